// The `join` suite: how long a machine takes to join, from `berth agent --server URL
// --token-file TOKEN` starting to its Node Ready, as a k3s user would time it (#14: median of 5,
// goal <= 2 s). Each run is a fresh machine of the test LAN (test/e2e/machines.ts: a network
// namespace, its own data dir and containerd), joining a `berth server` on the LAN with the
// server's K10 token: the CA fetched from /cacerts and checked, the client certificate's CSR
// round trip, containerd's start, the Node's registration, its podCIDR, the CNI config and the
// status that says Ready. The machines join one after the other (a quiet server, one join at a
// time); each agent is stopped once its Node is Ready. The phases are when the agent's log lines
// arrived, so a slow join says where its time went.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import { RestClient, resources } from '../src/client/index.js';
import { missingAgentPrerequisite } from '../test/e2e/agent-fixture.js';
import { BERTH, ROOT } from '../test/e2e/harness.js';
import { lanPrerequisiteMissing, startLan, type Machine } from '../test/e2e/machines.js';
import { emit, median, round, type Result } from './common.js';

const RUNS = Number(process.env.BERTH_BENCH_RUNS) || 5;

/** Agent log lines that end a phase of the join (containerd's start overlaps the CSR round trip). */
const PHASES: Array<[string, RegExp]> = [
  ['CA fetched, CSR sent', /asking for a client certificate/],
  ['containerd running', /containerd \S+ running/],
  ['client certificate', /client certificate issued by the cluster CA/],
  ['Node registered', /registered node /],
  ['podCIDR assigned', /has podCIDR /],
];

interface Sample {
  readyMs: number;
  /** CPU time the agent process used until then (user + system): what the load of the machine does not stretch. */
  cpuMs: number;
  phases: Record<string, number>;
}

/** utime + stime of a live process, in ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function timeJoin(m: Machine, server: { url: string; dataDir: string }, api: RestClient): Promise<Sample> {
  const args = [
    `--net=/run/netns/${m.netns}`,
    '--',
    process.execPath,
    BERTH,
    'agent',
    '--server',
    server.url,
    '--token-file',
    join(server.dataDir, 'token'),
    '--data-dir',
    m.dataDir,
    '--node-name',
    m.netns,
    '--node-ip',
    m.ip,
    '--bridge',
    m.bridge,
    '--cgroup-root',
    m.cgroupRoot,
  ];
  const t0 = performance.now();
  const proc = spawn('nsenter', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const phases: Record<string, number> = {};
  const onData = (d: Buffer) => {
    out += d;
    const at = performance.now() - t0;
    for (const [name, re] of PHASES) if (phases[name] === undefined && re.test(out)) phases[name] = at;
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`agent ${m.netns} exited with ${proc.exitCode}:\n${out}`);
      if (performance.now() - t0 > 90_000) throw new Error(`node ${m.netns} not Ready within 90 s:\n${out}`);
      const node = await api.get<Node>({ ...resources.nodes, name: m.netns }).catch(() => undefined);
      if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const readyMs = performance.now() - t0;
    // nsenter without --pid execs the agent in place: this pid is the agent's.
    const cpuMs = cpuMsOf(proc.pid!);
    if (process.env.BERTH_BENCH_VERBOSE) process.stderr.write(`--- ${m.netns} (Ready at ${round(readyMs, 0)} ms)\n${out}\n`);
    return { readyMs, cpuMs, phases };
  } finally {
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  }
}

export async function joinSuite(): Promise<Result[]> {
  const missing = (await missingAgentPrerequisite()) ?? lanPrerequisiteMissing();
  if (missing) throw new Error(`the join benchmark cannot run: ${missing}`);
  const lan = await startLan({ machines: RUNS, startAgents: false });
  const api = new RestClient({ server: lan.server.url, ca: lan.server.caCert, token: lan.server.token });
  try {
    const samples: Sample[] = [];
    const loadBefore = loadavg()[0]!;
    for (const m of lan.machines) {
      const s = await timeJoin(m, lan.server, api);
      samples.push(s);
      // The LAN's node IPAM has four ranges: the machine that joined gives its back.
      await api.delete({ ...resources.nodes, name: m.netns });
      const steps = PHASES.map(([name]) => `${name} ${s.phases[name] === undefined ? '-' : round(s.phases[name]!, 0)}`).join(', ');
      process.stderr.write(`join: run ${samples.length}/${RUNS}: Ready at ${round(s.readyMs, 0)} ms, agent CPU ${s.cpuMs} ms (${steps} ms)\n`);
    }
    const results: Result[] = [
      emit({
        suite: 'join',
        workload: 'berth agent start to Node Ready',
        metric: 'join time (median)',
        value: round(median(samples.map((s) => s.readyMs)), 0),
        unit: 'ms',
        target: '<= 2000 ms',
        note: `median of ${RUNS} fresh machines (netns, own containerd), one at a time; runs ${samples.map((s) => round(s.readyMs, 0)).join(', ')} ms; load average ${round(loadBefore)} before, ${round(loadavg()[0]!)} after`,
      }),
      emit({
        suite: 'join',
        workload: 'berth agent start to Node Ready',
        metric: 'agent CPU time until Ready (median)',
        value: median(samples.map((s) => s.cpuMs)),
        unit: 'ms',
        note: 'user + system of the agent process (not containerd): the part no other load stretches',
      }),
    ];
    for (const [name] of PHASES) {
      const xs = samples.map((s) => s.phases[name]).filter((x): x is number => x !== undefined);
      if (!xs.length) continue;
      results.push(
        emit({
          suite: 'join',
          workload: 'berth agent start to Node Ready',
          metric: `${name} at (median)`,
          value: round(median(xs), 0),
          unit: 'ms',
          note: 'from the agent start',
        }),
      );
    }
    return results;
  } finally {
    api.close();
    await lan.cleanUp();
  }
}
