// The `startup` suite: pod startup on a real node. A server (--no-agent, with its scheduler) and
// a node agent in a process of its own on a containerd it manages, fresh data dirs each run; 50
// pods created at once with the local busybox image present (imagePullPolicy IfNotPresent);
// time from each create request to phase Running seen on a watch. In the same run, on the same
// node, the floor: the same pods started by direct CRI calls (startup-floor.ts); Berth is judged
// by its ratio to the floor and by its share of the machine's CPU (startup-verdict.ts). Also the
// agent's idle RSS. Medians of 3 runs. Needs root, containerd, runc, the CNI plugins and busybox-static; leaves
// nothing behind (containerd state, mounts, the bridge, cgroups, temp dirs).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1';
import { Quantity } from '../src/api/quantity.js';
import { RestClient, resources } from '../src/client/index.js';
import { parseResolvConf, type DnsSettings } from '../src/agent/container-config.js';
import { defaultStartConcurrency } from '../src/agent/start-gate.js';
import { BUSYBOX, RUNNER, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from '../test/e2e/agent-fixture.js';
import { ROOT } from '../test/e2e/harness.js';
import { emit, median, percentile, privateRssMb, round, rssMb, type Result } from './common.js';
import { machineCpu, processCpuSeconds, treeCpuMs } from './proc-tree.js';
import { floorPods, removeFloorPods, startPodsDirectly, type FloorNode } from './startup-floor.js';
import {
  CPU_SHARE_DEFINITION,
  MAX_CPU_SHARE,
  MAX_LATENCY_RATIO,
  cpuShareVerdict,
  criCallsPerPod,
  histogramMeanMs,
  summarize,
  verdictTable,
  type BurstCpu,
  type CriCallRow,
} from './startup-verdict.js';
import { parseExposition, type Sample } from '../test/e2e/prometheus.js';

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

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
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

/** CPU seconds of every process whose command line mentions dir (the node's containerd and its shims). */
function runtimeCpuSeconds(dir: string): { containerd: number; shims: number } {
  const out = { containerd: 0, shims: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(dir)) continue;
      const exe = cmdline.split('\0')[0] ?? '';
      if (exe.endsWith('containerd')) out.containerd += processCpuSeconds(Number(pid));
      else if (exe.includes('containerd-shim')) out.shims += processCpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds over one burst, with the runtime's share apart. */
interface RunCpu extends BurstCpu {
  containerd: number;
  shims: number;
}

interface RunResult {
  latencies: number[];
  allRunningMs: number;
  /** The same pods started by direct CRI calls (startup-floor.ts), in the same run. */
  floor: { latencies: number[]; allRunningMs: number; cpu: RunCpu };
  idleRss: number;
  idlePrivate: number;
  busyRss: number;
  /**
   * CPU seconds during the burst (first create → all Running): the whole machine, the agent, the
   * control plane, containerd, the pods' shims; what is left is mostly runc and the CNI plugins.
   */
  cpu: RunCpu;
  /** The agent's CRI calls per pod during Berth's burst, by operation. */
  cri: CriCallRow[];
  /** The agent's own part, mean ms from its first sight of a pod to the pod running (kubelet_pod_start_duration_seconds). */
  agentStartMs: number;
}

/** CPU counters now: the machine's busy time, the agent, the control plane (berth server's process tree), the runtime. */
function cpuNow(env: AgentEnv): RunCpu {
  const rt = runtimeCpuSeconds(env.agentDir);
  return {
    machine: machineCpu().busy,
    agent: processCpuSeconds(env.runner.proc.pid!),
    controlPlane: treeCpuMs([env.server.proc.pid!]).cpuMs / 1000,
    containerd: rt.containerd,
    shims: rt.shims,
  };
}

function cpuSince(env: AgentEnv, before: RunCpu): RunCpu {
  const now = cpuNow(env);
  return {
    machine: now.machine - before.machine,
    agent: now.agent - before.agent,
    controlPlane: now.controlPlane - before.controlPlane,
    containerd: now.containerd - before.containerd,
    shims: now.shims - before.shims,
  };
}

/**
 * The node as the agent has it, for the floor: its directories, DNS, capacity and start gate's
 * bound; the pods the API server would give it come from a dry-run create of the bench's own.
 */
async function floorNode(env: AgentEnv, client: RestClient): Promise<FloorNode> {
  const node = await client.get<Node>({ ...resources.nodes, name: env.nodeName });
  const alloc = node.status?.allocatable ?? {};
  let host: DnsSettings['host'] = { servers: [], searches: [], options: [] };
  try {
    host = parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    // none: as the agent, pods get only the cluster's
  }
  return {
    runtime: env.rt,
    logRoot: join(env.agentDir, 'pod-logs'),
    podsRoot: join(env.agentDir, 'pods'),
    cgroupRoot: env.cgroupRoot,
    dns: { clusterDns: env.clusterDns, clusterDomain: 'cluster.local', host },
    nodeIP: '127.0.0.1',
    memoryCapacity: Quantity.parse(String(node.status?.capacity?.memory ?? '1Gi')).value(),
    allocatable: { cpuMilli: Quantity.parse(String(alloc.cpu ?? '1')).milliValue(), memory: Quantity.parse(String(alloc.memory ?? '0')).value() },
    concurrency: defaultStartConcurrency(),
    apiService: await client.get<Service>({ ...resources.services, namespace: 'default', name: 'kubernetes' }),
    caCert: env.server.caCert,
  };
}

async function admittedPods(client: RestClient, prefix: string, n: number): Promise<Pod[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => client.create({ ...resources.pods, namespace: NS }, podManifest(`${prefix}-${i}`), { dryRun: true })));
}

/** The agent's metrics, read through the API server's node proxy as kubectl get --raw would. */
function agentMetrics(env: AgentEnv): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(`/api/v1/nodes/${env.nodeName}/proxy/metrics`, env.server.url),
      { ca: env.server.caCert, headers: { Authorization: `Bearer ${env.server.token}` } },
      (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => (r.statusCode === 200 ? resolve(parseExposition(body).samples) : reject(new Error(`agent metrics: ${r.statusCode} ${body}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The floor's burst: every pod started at once by direct CRI calls; then removed. */
async function floorBurst(env: AgentEnv, node: FloorNode, pods: Pod[], log: (m: string) => void): Promise<RunResult['floor']> {
  const before = cpuNow(env);
  const r = await startPodsDirectly(node, pods);
  const cpu = cpuSince(env, before);
  await removeFloorPods(node, pods, log);
  return { latencies: r.latencies, allRunningMs: Math.max(...r.latencies), cpu };
}

/** Berth's burst: every pod created at once, each timed from its create request to Running seen on a watch; then deleted. */
async function berthBurst(
  env: AgentEnv,
  client: RestClient,
  log: (m: string) => void,
): Promise<Pick<RunResult, 'latencies' | 'allRunningMs' | 'cpu' | 'busyRss' | 'cri' | 'agentStartMs'>> {
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
  const metricsBefore = await agentMetrics(env);
  const before = cpuNow(env);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PODS }, async (_, i) => {
      const name = `p-${i}`;
      sentAt.set(name, performance.now());
      await client.create({ ...resources.pods, namespace: NS }, podManifest(name));
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${runningAt.size} of ${PODS} pods Running after 120 s`)), 120_000);
  });
  try {
    await Promise.race([allRunning, timeout]);
  } finally {
    clearTimeout(timer);
  }
  const allRunningMs = Math.max(...runningAt.values()) - t0;
  const cpu = cpuSince(env, before);
  const metricsAfter = await agentMetrics(env);
  const cri = criCallsPerPod(metricsBefore, metricsAfter, PODS);
  const agentStartMs = histogramMeanMs(metricsBefore, metricsAfter, 'kubelet_pod_start_duration_seconds');
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
  return { latencies, allRunningMs, cpu, busyRss, cri, agentStartMs };
}

/** floorFirst: which side starts on the fresh node (alternated run by run, so that neither always gets it). */
async function oneRun(runner: string, floorFirst: boolean, log: (m: string) => void): Promise<RunResult> {
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

    const node = await floorNode(env, client);
    // One pod through the runtime first, so that neither side pays for the runtime's first
    // sandbox (the pause image's snapshot, the CNI plugins read from disk).
    const warm = floorPods(await admittedPods(client, 'warm', 1));
    await startPodsDirectly(node, warm);
    await removeFloorPods(node, warm, log);
    const floorPodList = floorPods(await admittedPods(client, 'f', PODS));
    let floor: RunResult['floor'];
    let berth: Awaited<ReturnType<typeof berthBurst>>;
    if (floorFirst) {
      floor = await floorBurst(env, node, floorPodList, log);
      berth = await berthBurst(env, client, log);
    } else {
      berth = await berthBurst(env, client, log);
      floor = await floorBurst(env, node, floorPodList, log);
    }
    return { ...berth, floor, idleRss, idlePrivate };
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
      const r = await oneRun(runner, i % 2 === 0, process.env.BERTH_BENCH_VERBOSE ? log : () => undefined);
      runs.push(r);
      const share = cpuShareVerdict(r.cpu, PODS);
      const cri = r.cri.map((c) => `${c.operation} ${round(c.perPod, 2)} (${round(c.meanMs)} ms)`).join(', ');
      log(
        `startup: run ${i + 1}/${RUNS} (${i % 2 === 0 ? 'floor' : 'Berth'} first): Berth p50 ${round(percentile(r.latencies, 50))} ms, p99 ${round(percentile(r.latencies, 99))} ms, all Running in ${round(r.allRunningMs)} ms (mean ${round(mean(r.latencies))} ms, of which the agent's, pod seen → running: ${round(r.agentStartMs)} ms); floor p50 ${round(percentile(r.floor.latencies, 50))} ms, p99 ${round(percentile(r.floor.latencies, 99))} ms, all running in ${round(r.floor.allRunningMs)} ms; agent RSS idle ${r.idleRss} MB (private ${r.idlePrivate} MB), with ${PODS} pods ${r.busyRss} MB; CPU during Berth's burst: machine ${round(r.cpu.machine)} s, agent ${round(r.cpu.agent)} s, control plane ${round(r.cpu.controlPlane)} s (Berth ${round(share.value * 100)} %), containerd ${round(r.cpu.containerd)} s, shims ${round(r.cpu.shims)} s; during the floor's: machine ${round(r.floor.cpu.machine)} s; the agent's CRI calls per pod (mean duration): ${cri}`,
      );
    }
    const m = (f: (r: RunResult) => number) => median(runs.map(f));
    const { latency, cpu: share } = summarize(
      runs.map((r) => ({ berth: r.latencies, floor: r.floor.latencies, cpu: r.cpu })),
      PODS,
    );
    log(`\nstartup: ${PODS} pods at once, median of ${RUNS} runs\n${verdictTable(latency, share)}\n${CPU_SHARE_DEFINITION}\n`);

    const note = `${PODS} pods created at once on one node (scheduler, containerd, runc, CNI bridge), image present; create request → Running on a watch; median of ${RUNS} runs`;
    const floorNote = `the same ${PODS} pods by direct CRI calls, no Berth (RunPodSandbox with CNI, PodSandboxStatus, ImageStatus, CreateContainer, StartContainer; the agent's configs and start gate), same node, same run; common start → container started; median of ${RUNS} runs`;
    for (const v of latency) {
      res(`${PODS}-pods`, v.metric, round(v.berth), 'ms', undefined, note);
      res(`${PODS}-pods`, `floor-${v.metric}`, round(v.floor), 'ms', undefined, floorNote);
      res(
        `${PODS}-pods`,
        `${v.metric}-vs-floor`,
        round(v.value, 2),
        'x',
        `≤ ${MAX_LATENCY_RATIO}`,
        `${v.pass ? 'pass' : 'FAIL'}: Berth's ${v.metric} / the floor's, each run's ratio, median of ${RUNS}`,
      );
    }
    res(
      `${PODS}-pods`,
      'berth-cpu-share',
      round(share.value * 100),
      '%',
      `≤ ${MAX_CPU_SHARE * 100}`,
      `${share.pass ? 'pass' : 'FAIL'}: ${CPU_SHARE_DEFINITION}; median of ${RUNS}`,
    );
    res(`${PODS}-pods`, 'all-running', round(m((r) => r.allRunningMs)), 'ms', undefined, `first create → last pod Running, median of ${RUNS}`);
    res(
      `${PODS}-pods`,
      'floor-all-running',
      round(m((r) => r.floor.allRunningMs)),
      'ms',
      undefined,
      `the floor's first request → last pod running, median of ${RUNS}`,
    );
    // Where the machine's CPU goes while the pods start, per pod: the runtime's share is what
    // bounds start-up latency on two cores.
    const perPod = (f: (r: RunResult) => number) => round((m(f) * 1000) / PODS);
    const cpuNote = `CPU per pod during Berth's burst, median of ${RUNS}`;
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
      perPod((r) => r.cpu.controlPlane),
      'ms',
      undefined,
      `${cpuNote}: the control plane (berth server's processes: API server, scheduler, controllers)`,
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
      perPod((r) => r.cpu.machine - r.cpu.agent - r.cpu.controlPlane - r.cpu.containerd - r.cpu.shims),
      'ms',
      undefined,
      `${cpuNote}: the rest — runc, CNI plugins, iptables, the kernel, the benchmark's client`,
    );
    res(
      `${PODS}-pods`,
      'floor-cpu-machine-per-pod',
      perPod((r) => r.floor.cpu.machine),
      'ms',
      undefined,
      `CPU per pod during the floor's burst, every process on the machine, median of ${RUNS}`,
    );
    res(
      `${PODS}-pods`,
      'agent-start-mean',
      round(m((r) => r.agentStartMs)),
      'ms',
      undefined,
      `the agent's part: mean of its kubelet_pod_start_duration_seconds (pod first seen → running) over Berth's burst; Berth's mean from the create request is in the run's line; median of ${RUNS}`,
    );
    res(
      `${PODS}-pods`,
      'agent-cri-calls-per-pod',
      round(m((r) => r.cri.reduce((a, c) => a + c.perPod, 0))),
      'calls',
      undefined,
      `the agent's CRI calls per pod during Berth's burst (its kubelet_runtime_operations metrics, relists included; the floor makes 5), median of ${RUNS}`,
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
