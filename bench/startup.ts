// The `startup` suite: pod startup on a real node. A server (--no-agent, with its scheduler) and
// a node agent in a process of its own on a containerd it manages, fresh data dirs each run; 50
// pods created at once with the local busybox image present (imagePullPolicy IfNotPresent);
// time from each create request to phase Running seen on a watch. Also the agent's idle RSS.
// Medians of 3 runs. Needs root, containerd, runc, the CNI plugins and busybox-static; leaves
// nothing behind (containerd state, mounts, the bridge, cgroups, temp dirs).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Pod } from 'kubernetes-types/core/v1';
import { RestClient, resources } from '../src/client/index.js';
import { BUSYBOX, RUNNER, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from '../test/e2e/agent-fixture.js';
import { childPids, ROOT } from '../test/e2e/harness.js';
import { emit, median, percentile, privateRssMb, round, rssMb, type Result } from './common.js';

/** BERTH_BENCH_RUNS overrides the number of runs (for a quick look). */
const RUNS = Number(process.env.BERTH_BENCH_RUNS) || 3;
/** BERTH_BENCH_PODS overrides the number of pods (for a quick look). */
const PODS = Number(process.env.BERTH_BENCH_PODS) || 50;
const NS = 'startup';

/** The agent runner bundled as `berth` is (one module, no TypeScript loader), so that its RSS is what a real agent's is. */
async function bundleRunner(dir: string): Promise<string> {
  const outfile = join(dir, 'agent-runner.mjs');
  await build({
    entryPoints: [RUNNER],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['better-sqlite3', 'etcd3'],
    banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const podManifest = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { app: 'startup' } },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
  },
});

/** CPU seconds a process used so far (user + system). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's busy and total CPU seconds so far (all cores). */
function machineCpu(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  const total = n.reduce((a, b) => a + b, 0) / 100;
  const idle = (n[3]! + n[4]!) / 100;
  return { busy: total - idle, total };
}

/** CPU seconds of every process whose command line mentions dir (the node's containerd and its shims). */
function runtimeCpuSeconds(dir: string): { containerd: number; shims: number } {
  const out = { containerd: 0, shims: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(dir)) continue;
      const exe = cmdline.split('\0')[0] ?? '';
      if (exe.endsWith('containerd')) out.containerd += cpuSeconds(Number(pid));
      else if (exe.includes('containerd-shim')) out.shims += cpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

interface RunResult {
  latencies: number[];
  allRunningMs: number;
  idleRss: number;
  idlePrivate: number;
  busyRss: number;
  /**
   * CPU seconds during the burst (first create → all Running): the whole machine, the agent, the
   * API server, containerd, the pods' shims; what is left is mostly runc and the CNI plugins.
   */
  cpu: { machine: number; agent: number; server: number; containerd: number; shims: number };
}

async function oneRun(runner: string, log: (m: string) => void): Promise<RunResult> {
  let env: AgentEnv | undefined;
  try {
    env = await startAgentEnv({
      nodeName: 'bench-node',
      runnerCommand: [process.execPath, ...(process.env.BERTH_BENCH_AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean), runner],
      log,
    });
    const client = new RestClient({ server: env.server.url, ca: env.server.caCert, token: env.server.token });
    // The node Ready, then the agent left alone for a while: its idle RSS.
    for (let i = 0; ; i++) {
      const node = await client
        .get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>({ ...resources.nodes, name: 'bench-node' })
        .catch(() => undefined);
      if (node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') break;
      if (i > 300) throw new Error('node not Ready in 30 s');
      await sleep(100);
    }
    await client.create({ ...resources.namespaces }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await sleep(5000);
    const idleRss = rssMb(env.runner.proc.pid!);
    const idlePrivate = privateRssMb(env.runner.proc.pid!);

    const list = await client.list({ ...resources.pods, namespace: NS });
    const sentAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    let resolveAll!: () => void;
    const allRunning = new Promise<void>((r) => (resolveAll = r));
    const watch = client.watch<Pod>(
      { ...resources.pods, namespace: NS },
      { resourceVersion: list.metadata?.resourceVersion },
      (e) => {
        const p = e.object;
        const name = p?.metadata?.name;
        if (!name || runningAt.has(name) || p.status?.phase !== 'Running') return;
        runningAt.set(name, performance.now());
        if (runningAt.size === PODS) resolveAll();
      },
      (err) => log(`startup: watch ended${err ? `: ${err.message}` : ''}`),
    );
    // `berth server` is a supervisor (idle) and the server process doing the work: measure that one.
    const serverPid = childPids(env.server.proc.pid!)[0] ?? env.server.proc.pid!;
    const cpu0 = { m: machineCpu().busy, a: cpuSeconds(env.runner.proc.pid!), s: cpuSeconds(serverPid), rt: runtimeCpuSeconds(env.agentDir) };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PODS }, async (_, i) => {
        const name = `p-${i}`;
        sentAt.set(name, performance.now());
        await client.create({ ...resources.pods, namespace: NS }, podManifest(name));
      }),
    );
    const timeout = sleep(120_000).then(() => {
      throw new Error(`only ${runningAt.size} of ${PODS} pods Running after 120 s`);
    });
    await Promise.race([allRunning, timeout]);
    const allRunningMs = Math.max(...runningAt.values()) - t0;
    const rt1 = runtimeCpuSeconds(env.agentDir);
    const cpu = {
      machine: machineCpu().busy - cpu0.m,
      agent: cpuSeconds(env.runner.proc.pid!) - cpu0.a,
      server: cpuSeconds(serverPid) - cpu0.s,
      containerd: rt1.containerd - cpu0.rt.containerd,
      shims: rt1.shims - cpu0.rt.shims,
    };
    watch.stop();
    const latencies = [...sentAt].map(([name, at]) => runningAt.get(name)! - at);
    await sleep(2000);
    const busyRss = rssMb(env.runner.proc.pid!);

    // Delete them all (no grace) and wait until the runtime is empty of them, so that the agent
    // stops with nothing left to remove.
    await Promise.all(
      [...sentAt.keys()].map((name) => client.delete({ ...resources.pods, namespace: NS, name }, { gracePeriodSeconds: 0 }).catch(() => undefined)),
    );
    for (let i = 0; i < 600; i++) {
      if ((await env.rt.listPodSandbox()).length === 0) break;
      await sleep(100);
    }
    return { latencies, allRunningMs, idleRss, idlePrivate, busyRss, cpu };
  } finally {
    await env?.stop();
  }
}

export async function startupSuite(): Promise<Result[]> {
  const out: Result[] = [];
  const res = (workload: string, metric: string, value: number, unit: string, target?: string, note?: string) =>
    out.push(emit({ suite: 'startup', workload, metric, value, unit, target, note }));
  const missing = await missingAgentPrerequisite();
  if (missing) throw new Error(`the startup suite runs real containers: ${missing}`);
  // Inside the project, so that the bundle's native externals resolve from node_modules.
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'berth-startup-'));
  const log = (m: string) => process.stderr.write(m.endsWith('\n') ? m : `${m}\n`);
  try {
    const runner = await bundleRunner(dir);
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await oneRun(runner, process.env.BERTH_BENCH_VERBOSE ? log : () => undefined);
      runs.push(r);
      log(
        `startup: run ${i + 1}/${RUNS}: p50 ${round(percentile(r.latencies, 50))} ms, p99 ${round(percentile(r.latencies, 99))} ms, all Running in ${round(r.allRunningMs)} ms; agent RSS idle ${r.idleRss} MB (private ${r.idlePrivate} MB), with ${PODS} pods ${r.busyRss} MB; CPU during the burst: machine ${round(r.cpu.machine)} s, agent ${round(r.cpu.agent)} s, API server ${round(r.cpu.server)} s, containerd ${round(r.cpu.containerd)} s, shims ${round(r.cpu.shims)} s`,
      );
    }
    const m = (f: (r: RunResult) => number) => median(runs.map(f));
    const note = `${PODS} pods created at once on one node (scheduler, containerd, runc, CNI bridge), image present; create request → Running on a watch; median of ${RUNS} runs`;
    res(`${PODS}-pods`, 'p50', round(m((r) => percentile(r.latencies, 50))), 'ms', '≤ 600', note);
    res(`${PODS}-pods`, 'p99', round(m((r) => percentile(r.latencies, 99))), 'ms', '≤ 1500', note);
    res(`${PODS}-pods`, 'all-running', round(m((r) => r.allRunningMs)), 'ms', undefined, `first create → last pod Running, median of ${RUNS}`);
    // Where the machine's CPU goes while the pods start, per pod: the runtime's share is what
    // bounds start-up latency on two cores.
    const perPod = (f: (r: RunResult) => number) => round((m(f) * 1000) / PODS);
    const cpuNote = `CPU per pod during the burst, median of ${RUNS}`;
    res(
      `${PODS}-pods`,
      'cpu-machine-per-pod',
      perPod((r) => r.cpu.machine),
      'ms',
      undefined,
      `${cpuNote}: every process on the machine`,
    );
    res(
      `${PODS}-pods`,
      'cpu-agent-per-pod',
      perPod((r) => r.cpu.agent),
      'ms',
      undefined,
      `${cpuNote}: the agent`,
    );
    res(
      `${PODS}-pods`,
      'cpu-apiserver-per-pod',
      perPod((r) => r.cpu.server),
      'ms',
      undefined,
      `${cpuNote}: API server, scheduler, controllers`,
    );
    res(
      `${PODS}-pods`,
      'cpu-containerd-per-pod',
      perPod((r) => r.cpu.containerd + r.cpu.shims),
      'ms',
      undefined,
      `${cpuNote}: containerd and the pods' shims`,
    );
    res(
      `${PODS}-pods`,
      'cpu-other-per-pod',
      perPod((r) => r.cpu.machine - r.cpu.agent - r.cpu.server - r.cpu.containerd - r.cpu.shims),
      'ms',
      undefined,
      `${cpuNote}: the rest — runc, CNI plugins, iptables, the kernel, the benchmark's client`,
    );
    res(
      'agent',
      'idle-rss',
      round(m((r) => r.idleRss)),
      'MB',
      '≤ 60',
      `agent process (bundled as berth is), node Ready, no pods, 5 s idle; containerd not included; median of ${RUNS}`,
    );
    res(
      'agent',
      'idle-private-rss',
      round(m((r) => r.idlePrivate)),
      'MB',
      undefined,
      `the same, without the pages of the node binary and libraries that every Node process shares (RssAnon); median of ${RUNS}`,
    );
    res('agent', `rss-${PODS}-pods`, round(m((r) => r.busyRss)), 'MB', undefined, `agent process with ${PODS} running pods, median of ${RUNS}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
