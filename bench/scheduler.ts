// The `scheduler` suite: upstream scheduler_perf workloads (test/integration/scheduler_perf) with
// upstream's node and pod templates. A real API server and store; the scheduler runs as its own
// process (`berth scheduler`) and binds through the API. Throughput is the measured pods over
// the time from the first to the last binding; latency is from the create request to the
// binding seen on a watch.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient, resources } from '../src/client/index.js';
import { call, cpuMs, emit, peakRssMb, percentile, round, startBerth, type BenchServer, type Result } from './common.js';

type Obj = Record<string, any>;

const container = (cpu: string, memory = '500Mi') => ({
  image: 'registry.k8s.io/pause:3.10',
  name: 'pause',
  ports: [{ containerPort: 80 }],
  resources: { limits: { cpu, memory }, requests: { cpu, memory } },
});

// Upstream's templates (templates/*.yaml in scheduler_perf), restated.
const TEMPLATES: Record<string, (ns: string) => Obj> = {
  'pod-default': () => ({ spec: { containers: [container('100m')] } }),
  'pod-with-pod-anti-affinity': () => ({
    metadata: { labels: { color: 'green' } },
    spec: {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { color: 'green' } }, topologyKey: 'kubernetes.io/hostname', namespaces: ['sched-1', 'sched-0'] },
          ],
        },
      },
      containers: [container('100m')],
    },
  }),
  'pod-with-pod-affinity': () => ({
    metadata: { labels: { color: 'blue' } },
    spec: {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { color: 'blue' } }, topologyKey: 'topology.kubernetes.io/zone', namespaces: ['sched-1', 'sched-0'] },
          ],
        },
      },
      containers: [container('100m')],
    },
  }),
  'pod-with-preferred-pod-anti-affinity': () => ({
    metadata: { labels: { color: 'yellow' } },
    spec: {
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              podAffinityTerm: {
                labelSelector: { matchLabels: { color: 'yellow' } },
                topologyKey: 'kubernetes.io/hostname',
                namespaces: ['sched-1', 'sched-0'],
              },
              weight: 1,
            },
          ],
        },
      },
      containers: [container('100m')],
    },
  }),
  'pod-with-node-affinity': () => ({
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone1', 'zone2'] }] }],
          },
        },
      },
      containers: [container('100m')],
    },
  }),
  'pod-with-topology-spreading': () => ({
    metadata: { labels: { color: 'blue' } },
    spec: {
      topologySpreadConstraints: [
        { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { color: 'blue' } } },
      ],
      containers: [container('100m')],
    },
  }),
  'pod-low-priority': () => ({ spec: { terminationGracePeriodSeconds: 0, containers: [container('900m')] } }),
  // Upstream sets priority: 10 directly, which its test API server allows by running without
  // the Priority admission plugin; here a PriorityClass of value 10 gives the pod that priority.
  'pod-high-priority': () => ({ spec: { priorityClassName: 'scheduler-perf-10', containers: [container('3000m')] } }),
};

interface Workload {
  name: string;
  nodes: number;
  initPods: number;
  measurePods: number;
  initTemplate: string;
  measureTemplate: string;
  /** labelNodePrepareStrategy: this label key, values spread over the nodes. */
  nodeLabel?: { key: string; values: string[] };
  /** Upstream's threshold (pods/s) and Berth's target from performance-targets.md. */
  threshold: number;
  target: number;
  /** Upstream's `churn` op in create mode: one pod of this template every intervalMs while the
   *  measured pods are scheduled (the preemptors of PreemptionAsync). */
  churn?: { template: string; intervalMs: number };
}

const WORKLOADS: Workload[] = [
  {
    name: 'SchedulingBasic',
    nodes: 5000,
    initPods: 1000,
    measurePods: 10000,
    initTemplate: 'pod-default',
    measureTemplate: 'pod-default',
    threshold: 680,
    target: 1400,
  },
  {
    name: 'SchedulingPodAntiAffinity',
    nodes: 5000,
    initPods: 1000,
    measurePods: 2000,
    initTemplate: 'pod-with-pod-anti-affinity',
    measureTemplate: 'pod-with-pod-anti-affinity',
    threshold: 60,
    target: 300,
  },
  {
    name: 'SchedulingPodAffinity',
    nodes: 5000,
    initPods: 5000,
    measurePods: 5000,
    initTemplate: 'pod-with-pod-affinity',
    measureTemplate: 'pod-with-pod-affinity',
    nodeLabel: { key: 'topology.kubernetes.io/zone', values: ['zone1'] },
    threshold: 35,
    target: 200,
  },
  {
    name: 'SchedulingPreferredPodAntiAffinity',
    nodes: 5000,
    initPods: 5000,
    measurePods: 5000,
    initTemplate: 'pod-with-preferred-pod-anti-affinity',
    measureTemplate: 'pod-with-preferred-pod-anti-affinity',
    threshold: 90,
    target: 300,
  },
  {
    name: 'SchedulingNodeAffinity',
    nodes: 5000,
    initPods: 5000,
    measurePods: 10000,
    initTemplate: 'pod-with-node-affinity',
    measureTemplate: 'pod-with-node-affinity',
    nodeLabel: { key: 'topology.kubernetes.io/zone', values: ['zone1'] },
    threshold: 220,
    target: 800,
  },
  {
    name: 'TopologySpreading',
    nodes: 5000,
    initPods: 5000,
    measurePods: 5000,
    initTemplate: 'pod-default',
    measureTemplate: 'pod-with-topology-spreading',
    nodeLabel: { key: 'topology.kubernetes.io/zone', values: ['moon-1', 'moon-2', 'moon-3'] },
    threshold: 460,
    target: 900,
  },
  // default_preemption/performance-config.yaml: 4 low-priority pods fill 3.6 of each node's 4 cpu;
  // a 3-cpu high-priority pod arrives every 200 ms and must preempt 3 of them; the measured pods
  // (0.1 cpu) always fit, and what is measured is their throughput beside the preemptions.
  {
    name: 'PreemptionAsync',
    nodes: 5000,
    initPods: 20000,
    measurePods: 5000,
    initTemplate: 'pod-low-priority',
    measureTemplate: 'pod-default',
    churn: { template: 'pod-high-priority', intervalMs: 200 },
    threshold: 570,
    target: 1000,
  },
];

function nodeObject(i: number, w: Workload): Obj {
  const name = `scheduler-perf-${i}`;
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name };
  if (w.nodeLabel) labels[w.nodeLabel.key] = w.nodeLabel.values[i % w.nodeLabel.values.length]!;
  // node-default.yaml: capacity only; the API server defaults allocatable from it.
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: {},
    status: { capacity: { pods: '110', cpu: '4', memory: '32Gi' }, conditions: [{ status: 'True', type: 'Ready' }], phase: 'Running' },
  };
}

function podObject(template: string, ns: string, name: string): Obj {
  const t = TEMPLATES[template]!(ns);
  return { apiVersion: 'v1', kind: 'Pod', ...t, metadata: { ...(t.metadata ?? {}), name, namespace: ns } };
}

async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await fn(i);
      }
    }),
  );
}

async function create(s: BenchServer, path: string, body: Obj): Promise<void> {
  const r = await call(s, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text.slice(0, 300)}`);
}

/**
 * Watches a namespace's pods and records when each one got its node. A watch the server ends (a
 * burst of creates can leave this process's reader more than the server's 1 000 events behind:
 * "client too slow") is resumed from the last resourceVersion seen, as an informer does.
 */
function watchBindings(client: RestClient, ns: string, rv: string, onBound: (name: string, at: number) => void) {
  const seen = new Set<string>();
  let last = rv;
  let stopped = false;
  let handle: { stop(): void };
  const open = () => {
    handle = client.watch(
      { ...resources.pods, namespace: ns },
      { resourceVersion: last, allowWatchBookmarks: true },
      (e) => {
        const p = e.object as Obj;
        if (p?.metadata?.resourceVersion && e.type !== 'ERROR') last = p.metadata.resourceVersion;
        if ((e.type === 'ADDED' || e.type === 'MODIFIED') && p?.spec?.nodeName && !seen.has(p.metadata.name)) {
          seen.add(p.metadata.name);
          onBound(p.metadata.name, performance.now());
        }
      },
      () => {
        if (!stopped) setTimeout(() => !stopped && open(), 10);
      },
    );
  };
  open();
  return {
    stop() {
      stopped = true;
      handle.stop();
    },
  };
}

function startScheduler(kubeconfig: string, configPath: string): { proc: ChildProcess; stop(): Promise<void> } {
  // BERTH_BENCH_PROF=DIR writes a CPU profile of the scheduler process there.
  const prof = process.env.BERTH_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BERTH_BENCH_PROF] : [];
  // BERTH_BENCH_SCHEDULER_NODE_FLAGS: extra Node/V8 flags for the scheduler (e.g. heap sizing), to compare runs.
  const flags = (process.env.BERTH_BENCH_SCHEDULER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(
    process.execPath,
    [...prof, ...flags, join(import.meta.dirname, '..', 'dist', 'berth.js'), 'scheduler', '--kubeconfig', kubeconfig, '--config', configPath],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return {
    proc,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    },
  };
}

/** Creates one pod of the template every intervalMs until stopped; counts those bound. */
function startChurn(server: BenchServer, client: RestClient, churn: NonNullable<Workload['churn']>, rv: string) {
  let created = 0;
  let bound = 0;
  const watch = watchBindings(client, 'sched-churn', rv, () => bound++);
  const timer = setInterval(() => {
    const name = `churn-${created++}`;
    create(server, '/api/v1/namespaces/sched-churn/pods', podObject(churn.template, 'sched-churn', name)).catch((e) => process.stderr.write(`churn: ${e}\n`));
  }, churn.intervalMs);
  return {
    stop() {
      clearInterval(timer);
      watch.stop();
      return { created, bound };
    },
  };
}

async function runWorkload(
  w: Workload,
  nodes: number,
  pct: number,
): Promise<{
  throughput: number;
  p50: number;
  p99: number;
  schedulerRss: number;
  apiRss: number;
  schedulerCpuPerPod: number;
  apiCpuPerPod: number;
  measured: number;
  churn?: { created: number; bound: number };
}> {
  const scale = nodes / w.nodes;
  const initPods = Math.round(w.initPods * scale);
  const measurePods = Math.round(w.measurePods * scale);
  // As upstream's scheduler_perf: API server and store, no controllers (a node lifecycle
  // controller would mark the lease-less test nodes unreachable after a minute and taint them),
  // and no ServiceAccount admission, as its test server (test/integration/util InitTestAPIServer:
  // there is no token controller, and the token volume would double every pod). Priority stays:
  // the templates name PriorityClasses.
  const server = await startBerth([
    '--disable-scheduler',
    '--disable-controller-manager',
    '--disable-admission-plugins',
    'ServiceAccount,TaintNodesByCondition',
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'berth-schedbench-'));
  const config = join(dir, 'scheduler.yaml');
  writeFileSync(
    config,
    `apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nleaderElection:\n  leaderElect: false\npercentageOfNodesToScore: ${pct}\n`,
  );
  const client = RestClient.fromKubeconfig(server.kubeconfig);
  let scheduler: ReturnType<typeof startScheduler> | undefined;
  try {
    for (const ns of ['sched-0', 'sched-1', 'sched-churn'])
      await create(server, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await create(server, '/apis/scheduling.k8s.io/v1/priorityclasses', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'scheduler-perf-10' },
      value: 10,
    });
    process.stderr.write(`${w.name}: creating ${nodes} nodes\n`);
    await parallel(nodes, 64, (i) => create(server, '/api/v1/nodes', nodeObject(i, w)));
    scheduler = startScheduler(server.kubeconfig, config);

    // Initial pods, all scheduled before measuring.
    process.stderr.write(`${w.name}: ${initPods} initial pods\n`);
    let initBound = 0;
    const rv0 = (await client.list({ ...resources.pods, namespace: 'sched-0' }, { limit: 1 })).metadata?.resourceVersion ?? '0';
    const initWatch = watchBindings(client, 'sched-0', rv0, () => initBound++);
    await parallel(initPods, 64, (i) => create(server, '/api/v1/namespaces/sched-0/pods', podObject(w.initTemplate, 'sched-0', `init-${i}`)));
    await until(
      () => initBound >= initPods,
      600_000,
      () => `initial pods bound: ${initBound}/${initPods}`,
    );
    initWatch.stop();

    // Measured pods, with the churn (if any) running beside them.
    process.stderr.write(`${w.name}: ${measurePods} measured pods${w.churn ? `, a ${w.churn.template} every ${w.churn.intervalMs} ms` : ''}\n`);
    const churnRv = (await client.list({ ...resources.pods, namespace: 'sched-churn' }, { limit: 1 })).metadata?.resourceVersion ?? '0';
    const churn = w.churn ? startChurn(server, client, w.churn, churnRv) : undefined;
    const cpu0 = { scheduler: cpuMs(scheduler.proc.pid!), api: cpuMs(server.pid) };
    const created = new Map<string, number>();
    const bound: number[] = [];
    const latencies: number[] = [];
    const rv1 = (await client.list({ ...resources.pods, namespace: 'sched-1' }, { limit: 1 })).metadata?.resourceVersion ?? '0';
    const watch = watchBindings(client, 'sched-1', rv1, (name, at) => {
      bound.push(at);
      const t0 = created.get(name);
      if (t0 !== undefined) latencies.push(at - t0);
    });
    await parallel(measurePods, 64, async (i) => {
      const name = `pod-${i}`;
      created.set(name, performance.now());
      await create(server, '/api/v1/namespaces/sched-1/pods', podObject(w.measureTemplate, 'sched-1', name));
    });
    await until(
      () => bound.length >= measurePods,
      900_000,
      () => `measured pods bound: ${bound.length}/${measurePods}`,
    );
    watch.stop();
    const cpu1 = { scheduler: cpuMs(scheduler.proc.pid!), api: cpuMs(server.pid) };
    const churned = churn?.stop();
    const span = (Math.max(...bound) - Math.min(...bound)) / 1000;
    return {
      churn: churned,
      throughput: measurePods / span,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      schedulerRss: peakRssMb(scheduler.proc.pid!),
      apiRss: peakRssMb(server.pid),
      schedulerCpuPerPod: (cpu1.scheduler - cpu0.scheduler) / measurePods,
      apiCpuPerPod: (cpu1.api - cpu0.api) / measurePods,
      measured: measurePods,
    };
  } finally {
    client.close();
    // BERTH_BENCH_HEAPSNAP=1 (with BERTH_BENCH_SCHEDULER_NODE_FLAGS=--heapsnapshot-signal=SIGUSR2):
    // a heap snapshot of the scheduler holding the whole workload, written to the working dir.
    if (process.env.BERTH_BENCH_HEAPSNAP && scheduler) {
      scheduler.proc.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 15_000));
    }
    await scheduler?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    if (Date.now() - lastReport > 10_000) {
      process.stderr.write(`  ${what()}\n`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function schedulerSuite(opts: { workload?: string; nodes?: number; allNodes?: boolean }): Promise<Result[]> {
  const out: Result[] = [];
  const chosen = WORKLOADS.filter((w) => !opts.workload || w.name === opts.workload);
  if (chosen.length === 0) throw new Error(`unknown workload ${opts.workload}; workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  for (const w of chosen) {
    const nodes = opts.nodes ?? w.nodes;
    const variants: Array<[string, number]> = [['default', 0]];
    // What examining every node costs, compared in the same run.
    if (opts.allNodes) variants.push(['all-nodes', 100]);
    for (const [variant, pct] of variants) {
      const r = await runWorkload(w, nodes, pct);
      const churned = r.churn ? `; ${r.churn.created} ${w.churn!.template} pods created meanwhile, ${r.churn.bound} bound after preempting` : '';
      const note = `${nodes} nodes, ${Math.round(w.initPods * (nodes / w.nodes))} initial, ${r.measured} measured pods${churned}; percentageOfNodesToScore ${pct || 'adaptive'}; upstream threshold ${w.threshold}`;
      const res = (metric: string, value: number, unit: string, target?: string) =>
        out.push(
          emit({
            suite: 'scheduler',
            workload: w.name,
            metric: variant === 'default' ? metric : `${metric}-${variant}`,
            value,
            unit,
            target,
            note: metric === 'throughput' ? note : undefined,
          }),
        );
      res('throughput', round(r.throughput), 'pods/s', `≥ ${w.target}`);
      res('p50', round(r.p50), 'ms');
      res('p99', round(r.p99), 'ms');
      res('scheduler-rss', round(r.schedulerRss), 'MB');
      res('apiserver-rss', round(r.apiRss), 'MB');
      // CPU per measured pod (creation, scheduling, binding): steadier than throughput on a busy machine.
      res('scheduler-cpu-per-pod', round(r.schedulerCpuPerPod, 3), 'ms');
      res('apiserver-cpu-per-pod', round(r.apiCpuPerPod, 3), 'ms');
    }
  }
  return out;
}
