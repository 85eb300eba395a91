import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  descendants,
  machineCpu,
  parseMachineStat,
  parseProcStat,
  parseStatusKb,
  parseVmRssKb,
  processCpuSeconds,
  processTreeMemoryMb,
  treeCpuMs,
  treeRssMb,
} from './proc-tree.js';

test('parseProcStat reads pid, ppid and utime+stime+cutime+cstime, whatever the command name holds', () => {
  // A command name with spaces and a ')' of its own: only the last ')' ends it.
  const line = '4242 (node (worker) x) S 17 4242 31573 0 -1 4194304 100 0 0 0 250 75 12 3 20 0 11 0 3082013 3133440 410 18446744073709551615\n';
  assert.deepEqual(parseProcStat(line), { pid: 4242, ppid: 17, cpuTicks: 250 + 75 + 12 + 3, ownTicks: 250 + 75 });
  assert.throws(() => parseProcStat('garbage'), /not a \/proc\/PID\/stat line/);
  assert.throws(() => parseProcStat('1 (x) S 0 1 1 0 -1 0 0 0 0 0 abc 0 0 0'), /field 14 is not a number/);
});

test('descendants walks children and grandchildren of every root, and nothing else', () => {
  const procs = [
    { pid: 1, ppid: 0 },
    { pid: 100, ppid: 1 }, // root A
    { pid: 101, ppid: 100 },
    { pid: 102, ppid: 101 }, // grandchild of A
    { pid: 200, ppid: 1 }, // root B
    { pid: 300, ppid: 1 }, // not ours
    { pid: 301, ppid: 300 },
  ];
  assert.deepEqual(descendants([100, 200], procs), [100, 200, 101, 102]);
  assert.deepEqual(descendants([999], procs), [], 'a root that has exited contributes nothing');
  assert.deepEqual(descendants([100, 101], procs), [100, 101, 102], 'a process under two roots is counted once');
});

test('parseVmRssKb reads VmRSS, 0 when the process has none (a kernel thread)', () => {
  assert.equal(parseVmRssKb('Name:\tnode\nVmHWM:\t  99999 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 1 kB\n'), 123456);
  assert.equal(parseVmRssKb('Name:\tkthreadd\nState:\tS\n'), 0);
});

test('treeCpuMs counts the CPU of a grandchild that the root started, not only the root', async () => {
  // The root (a shell) starts a node process that burns 500 ms of CPU (its own measure, not the
  // clock: the machine may be loaded) and then sleeps.
  const burn = `while(process.cpuUsage().user<500000){};setTimeout(()=>{},60000)`;
  const root = spawn('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(burn)}; true`], { stdio: 'ignore', detached: true });
  try {
    let snap = treeCpuMs([root.pid!]);
    for (const deadline = Date.now() + 50_000; snap.cpuMs < 400 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      snap = treeCpuMs([root.pid!]);
    }
    assert.equal(snap.pids[0], root.pid);
    assert.equal(snap.pids.length, 2, `the shell and its node child: ${snap.pids.join(',')}`);
    const rootAlone = treeCpuMs([]).cpuMs;
    assert.equal(rootAlone, 0);
    assert.ok(snap.cpuMs >= 400, `the child's burn is counted: ${snap.cpuMs} ms`);
    assert.ok(treeRssMb(snap.pids) > 10, 'a node process holds more than 10 MB resident');
  } finally {
    // The whole group: the shell and the node child it started.
    process.kill(-root.pid!, 'SIGKILL');
  }
});

test('/proc/stat: busy time leaves out idle and iowait, and guest time, which user already counts', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice (ticks of 1/100 s)
  const cpu = parseMachineStat('cpu  1000 50 300 8000 200 10 40 0 500 7\ncpu0 500 25 150 4000 100 5 20 0 250 3\nintr 1\n');
  assert.equal(cpu.busy, (1000 + 50 + 300 + 10 + 40 + 0) / 100);
  assert.equal(cpu.total, (1000 + 50 + 300 + 10 + 40 + 0 + 8000 + 200) / 100);
  // An old kernel without steal and guest columns.
  assert.deepEqual(parseMachineStat('cpu 100 0 100 800 0 0 0\n'), { busy: 2, total: 10 });
  assert.throws(() => parseMachineStat('intr 1 2 3\n'), /unexpected first line/);
});

test('the readers of this machine: busy <= total, and this process has used some CPU of its own', () => {
  const m = machineCpu();
  assert.ok(m.busy > 0 && m.busy <= m.total, JSON.stringify(m));
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i;
  assert.ok(x > 0);
  assert.ok(processCpuSeconds(process.pid) > 0);
  assert.equal(processCpuSeconds(999_999_999), 0, 'a process that does not exist');
});

test('parseStatusKb reads the field asked for, not a neighbour', () => {
  const status = 'Name:\tnode\nVmHWM:\t  99999 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 777 kB\nRssFile:\t 5 kB\n';
  assert.equal(parseStatusKb(status, 'VmHWM'), 99999);
  assert.equal(parseStatusKb(status, 'RssAnon'), 777);
  assert.equal(parseStatusKb(status), 123456);
});

test('a process tree memory figure counts the children: a spawned child adds its own', async () => {
  const alone = processTreeMemoryMb(process.pid, 'VmRSS');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const withChild = processTreeMemoryMb(process.pid, 'VmRSS');
    assert.ok(withChild > alone + 10, `${withChild} MB with a node child vs ${alone} MB alone`);
  } finally {
    child.kill();
  }
});
