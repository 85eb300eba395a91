import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineCpu, parsePidStat, parseProcStat, processCpu, treeCpu, type ProcStat } from './proc-cpu.js';

test('/proc/stat: busy time leaves out idle and iowait, and guest time, which user already counts', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice (ticks of 1/100 s)
  const cpu = parseProcStat('cpu  1000 50 300 8000 200 10 40 0 500 7\ncpu0 500 25 150 4000 100 5 20 0 250 3\nintr 1\n');
  assert.equal(cpu.busy, (1000 + 50 + 300 + 10 + 40 + 0) / 100);
  assert.equal(cpu.total, (1000 + 50 + 300 + 10 + 40 + 0 + 8000 + 200) / 100);
});

test('/proc/stat of an old kernel without steal and guest columns', () => {
  const cpu = parseProcStat('cpu 100 0 100 800 0 0 0\n');
  assert.equal(cpu.busy, 2);
  assert.equal(cpu.total, 10);
});

test('/proc/stat that does not start with the cpu line is refused', () => {
  assert.throws(() => parseProcStat('intr 1 2 3\n'), /unexpected first line/);
});

test('/proc/PID/stat: utime + stime, with a command name holding spaces and parentheses', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
  const p = parsePidStat('4242 (node (a) b) S 17 4242 4242 0 -1 4194560 900 0 1 0 250 75 30 9 20 0 11 0 1000 0 0');
  assert.equal(p.ppid, 17);
  // Children's time (cutime, cstime) is not the process's own.
  assert.equal(p.cpu, 3.25);
});

test('a process tree sums the root and every descendant, not its siblings or parent', () => {
  const table = new Map<number, ProcStat>([
    [1, { ppid: 0, cpu: 100 }],
    [10, { ppid: 1, cpu: 1 }], // the root: berth server's supervisor
    [11, { ppid: 10, cpu: 5 }], // the server
    [12, { ppid: 11, cpu: 2 }], // a child of the server (scheduler)
    [13, { ppid: 10, cpu: 0.5 }],
    [20, { ppid: 1, cpu: 7 }], // a sibling: the agent
  ]);
  assert.equal(treeCpu(table, 10), 8.5);
  assert.equal(treeCpu(table, 12), 2);
  assert.equal(treeCpu(table, 99), 0);
});

test('the readers of this machine: busy ≤ total, and this process has used some CPU', () => {
  const m = machineCpu();
  assert.ok(m.busy > 0 && m.busy <= m.total, JSON.stringify(m));
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i;
  assert.ok(x > 0);
  assert.ok(processCpu(process.pid) > 0);
});
