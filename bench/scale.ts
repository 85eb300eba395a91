// The `scale` suite: a ClusterLoader2-style load on simulated nodes, measured from outside, with
// the ways of running the control plane compared in one run, each on a fresh data dir:
//   one-process  `berth server --no-agent --single-process` (API server, scheduler, controllers
//                on one thread)
//   all-cores    `berth server --no-agent` (the default: scheduler and controller manager in
//                child processes), when this build has `--single-process`
//   split        `berth server --disable-scheduler --disable-controller-manager` + `berth
//                scheduler` + `berth controller-manager`, three processes started by hand
// Each mode gets its own `berth sim --nodes N` process, whose CPU and memory are not counted.
// The load: N nodes Ready, then D Deployments of R replicas created at once, spread over
// namespaces of at most 100 Deployments; every pod watched (one cluster-wide watch) from the
// moment the watch first saw it to the moment it saw it Running (creationTimestamp has whole
// seconds only). Measured: pods/s from the first Deployment create to the last pod Running; the
// control plane's CPU (every process under its roots, children included) and its peak resident
// memory (the sum over its processes, sampled every second); API latency probes throughout
// (GET a pod, LIST a namespace's pods by label, PATCH a pod's label). Then, with the cluster
// full: a cluster-wide LIST of every pod, whole and paged by 500 as kubectl pages; and a churn
// of bare pods created (and the ones 10 s older deleted) at 20/s, creation to Running on the watch.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { RestClient, createInformer, resources, stripManagedFields } from '../src/client/index.js';
import { call, emit, median, percentile, round, startBerth, type BenchServer, type Result } from './common.js';
import { mustCreate, parallel, startSim } from './sim.js';
import { treeCpuMs, treeRssMb } from './proc-tree.js';
import { pagedList, POD_MARKER, timedGet } from './list.js';

export type ScaleMode = 'one-process' | 'all-cores' | 'split';
export const SCALE_MODES: ScaleMode[] = ['one-process', 'all-cores', 'split'];

export interface ScaleOptions {
  nodes?: number;
  deployments?: number;
  replicas?: number;
  churnSeconds?: number;
  modes?: ScaleMode[];
}

/** BERTH_BENCH_BIN: another build's dist/berth.js for the control plane (a before/after in the same conditions). */
const BIN = process.env.BERTH_BENCH_BIN ?? join(import.meta.dirname, '..', 'dist', 'berth.js');
const DEPLOYMENTS_PER_NAMESPACE = 100;
const CHURN_PER_SECOND = 20;
/** A churn pod is deleted this long after it was created, so the cluster stays as full as it was. */
const CHURN_LIFETIME_S = 10;
const PAGE_SIZE = 500; // kubectl's --chunk-size
const LIST_RUNS = 3;
/**
 * The control plane's CPU with the nodes Ready and nothing else going on (their leases and
 * status), measured this long before the load: a slower mode's longer load window accrues
 * more of it, so CPU per pod is also given net of it.
 */
const IDLE_BASELINE_MS = 10_000;
/** Probes per second of each kind (GET, LIST, PATCH): "a few per second", not a load of their own. */
const PROBES_PER_SECOND = 2;

interface ModeResult {
  mode: ScaleMode;
  pods: number;
  running: number;
  podsPerSecond: number;
  cpuS: number;
  cpuMsPerPod: number;
  /** CPU per pod above the idle rate over the same window. */
  netCpuMsPerPod: number;
  idleCpuPerS: number;
  /** API requests served during the load window, by verb and resource. */
  requests: Map<string, number>;
  peakRssMb: number;
  processes: number;
  probes: Record<'get' | 'list' | 'patch', number[]>;
  probeErrors: number;
  listWholeMs: number;
  listPagedMs: number;
  listedPods: number;
  listedMiB: number;
  churn: number[];
  churnCreated: number;
}

/** What `berth server` of this build can do: whether `--single-process` exists yet. */
function hasSingleProcessFlag(): boolean {
  const r = spawnSync(process.execPath, [BIN, 'server', '--help'], { encoding: 'utf8' });
  return /--single-process\b/.test(r.stdout ?? '');
}

/** A `berth <component>` run beside the server (the split mode), with profiling like the server's. */
function startComponent(args: string[]): { proc: ChildProcess; log: () => string } {
  const prof = process.env.BERTH_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BERTH_BENCH_PROF] : [];
  const proc = spawn(process.execPath, [...prof, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  proc.stderr!.on('data', (d) => (tail = (tail + d).slice(-4000)));
  return { proc, log: () => tail };
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function deployment(name: string, replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { bench: 'scale' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, bench: 'scale' } }, spec: podSpec() },
    },
  };
}

function podSpec(): object {
  return {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  };
}

/** The server's apiserver_request_total, summed by verb and resource (codes and scopes together). */
export function requestCounts(metricsText: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const get = (name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
    const sub = get('subresource');
    const k = `${get('verb')} ${get('resource') || '(non-resource)'}${sub ? '/' + sub : ''}`;
    out.set(k, (out.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

async function serverRequests(server: BenchServer): Promise<Map<string, number>> {
  const r = await call(server, 'GET', '/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
  return requestCounts(r.text);
}

const key = (p: Pod) => `${p.metadata!.namespace}/${p.metadata!.name}`;

/** Every pod of the run on one watch: when it was first seen, and when it was first seen Running. */
class PodTimes {
  readonly firstSeen = new Map<string, number>();
  readonly running = new Map<string, number>();
  /** Pods of the Deployments, in the order first seen (probe targets). */
  readonly loadPods: string[] = [];
  loadRunning = 0;
  lastLoadRunning = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly loadPodCount: number) {}

  seen(p: Pod): void {
    const k = key(p);
    const now = performance.now();
    const isLoad = p.metadata?.labels?.bench === 'scale';
    if (!this.firstSeen.has(k)) {
      this.firstSeen.set(k, now);
      if (isLoad) this.loadPods.push(k);
    }
    if (p.status?.phase === 'Running' && !this.running.has(k)) {
      this.running.set(k, now);
      if (isLoad) {
        this.loadRunning++;
        this.lastLoadRunning = now;
        if (this.loadRunning >= this.loadPodCount) for (const w of this.waiters.splice(0)) w();
      }
    }
  }

  allLoadRunning(timeoutMs: number): Promise<void> {
    if (this.loadRunning >= this.loadPodCount) return Promise.resolve();
    return new Promise((res) => {
      const t = setTimeout(res, timeoutMs);
      this.waiters.push(() => (clearTimeout(t), res()));
    });
  }
}

/** Latency probes, PROBES_PER_SECOND of each kind, against pods the watch has seen. */
function startProbes(server: BenchServer, times: PodTimes): { stop(): Promise<void>; samples: ModeResult['probes']; errors: () => number } {
  const samples: ModeResult['probes'] = { get: [], list: [], patch: [] };
  let errors = 0;
  /** What the failed probes got, by kind and status or error: printed, so that a count has a cause. */
  const failures = new Map<string, number>();
  const failed = (what: string) => {
    errors++;
    failures.set(what, (failures.get(what) ?? 0) + 1);
  };
  let n = 0;
  const inflight = new Set<Promise<void>>();
  const probe = async (kind: keyof ModeResult['probes'], target: string) => {
    const [ns, name] = target.split('/') as [string, string];
    const app = name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''); // <deployment>-<rs hash>-<suffix>
    const t = performance.now();
    const r =
      kind === 'get'
        ? await call(server, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)
        : kind === 'list'
          ? await call(server, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`)
          : await call(
              server,
              'PATCH',
              `/api/v1/namespaces/${ns}/pods/${name}`,
              { metadata: { labels: { probe: String(n) } } },
              {
                'Content-Type': 'application/merge-patch+json',
              },
            );
    // A pod the Deployment controller replaced meanwhile is no failure of the API.
    if (r.status === 200) samples[kind].push(performance.now() - t);
    else if (r.status !== 404) failed(`${kind} ${r.status}: ${r.text.slice(0, 120).replace(/\s+/g, ' ')}`);
  };
  const kinds: Array<keyof ModeResult['probes']> = ['get', 'list', 'patch'];
  const timer = setInterval(
    () => {
      if (times.loadPods.length === 0) return;
      const target = times.loadPods[Math.floor(Math.random() * times.loadPods.length)]!;
      const kind = kinds[n++ % kinds.length]!;
      const p = probe(kind, target).catch((e: Error) => failed(`${kind}: ${e.message}`));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    },
    1000 / (PROBES_PER_SECOND * kinds.length),
  );
  return {
    samples,
    errors: () => errors,
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      for (const [what, count] of failures) process.stderr.write(`scale: ${count} probe(s) failed: ${what}\n`);
    },
  };
}

/**
 * Cluster-wide LIST of every pod: whole, then paged by PAGE_SIZE; each the median of LIST_RUNS,
 * timed to the last byte as the list suite times it (the pods counted as they arrive, not decoded:
 * decoding 720 MB of pods is the client's work, and took this bench longer than the server's).
 */
async function listAllPods(server: BenchServer): Promise<{ wholeMs: number; pagedMs: number; pods: number; bytes: number }> {
  const whole: number[] = [];
  const paged: number[] = [];
  let pods = 0;
  let bytes = 0;
  for (let run = 0; run < LIST_RUNS; run++) {
    const r = await timedGet(server, '/api/v1/pods', { count: POD_MARKER });
    whole.push(r.ms);
    pods = r.count!;
    bytes = r.bytes;
    const p = await pagedList(server, '/api/v1/pods', PAGE_SIZE, 'application/json', POD_MARKER);
    paged.push(p.ms);
    if (p.items !== pods) process.stderr.write(`scale: paged LIST saw ${p.items} pods, the whole LIST ${pods}\n`);
  }
  return { wholeMs: median(whole), pagedMs: median(paged), pods, bytes };
}

/** Bare pods created at CHURN_PER_SECOND for `seconds`, each deleted CHURN_LIFETIME_S later; creation → Running on the watch. */
async function churn(server: BenchServer, times: PodTimes, seconds: number): Promise<{ latencies: number[]; created: number }> {
  const ns = 'scale-churn';
  const total = seconds * CHURN_PER_SECOND;
  const interval = 1000 / CHURN_PER_SECOND;
  const work: Array<Promise<void>> = [];
  // Awaited all together at the end: a request failing meanwhile is reported there, not left
  // unhandled (which ended the bench with a bare ECONNRESET).
  const track = (p: Promise<void>) => {
    p.catch(() => undefined);
    work.push(p);
  };
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    track(mustCreate(server, `/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `churn-${i}` }, spec: podSpec() }));
    const old = i - CHURN_LIFETIME_S * CHURN_PER_SECOND;
    if (old >= 0) track(call(server, 'DELETE', `/api/v1/namespaces/${ns}/pods/churn-${old}`).then(() => undefined));
  }
  await Promise.all(work);
  const names = Array.from({ length: total }, (_, i) => `${ns}/churn-${i}`);
  // The last ones need a moment; a pod not Running a minute after the churn counts as missing.
  await until(
    () => names.every((k) => times.running.has(k)),
    60_000,
    () => '',
  ).catch(() => undefined);
  const latencies = names.filter((k) => times.running.has(k) && times.firstSeen.has(k)).map((k) => times.running.get(k)! - times.firstSeen.get(k)!);
  return { latencies, created: total };
}

async function runMode(mode: ScaleMode, serverArgs: string[], opts: Required<Omit<ScaleOptions, 'modes'>>): Promise<ModeResult> {
  const { nodes, deployments, replicas, churnSeconds } = opts;
  const pods = deployments * replicas;
  const split = mode === 'split';
  const server = await startBerth(split ? ['--disable-scheduler', '--disable-controller-manager'] : serverArgs, BIN);
  const components: Array<{ proc: ChildProcess; log: () => string }> = [];
  let sim: ReturnType<typeof startSim> | undefined;
  const client = RestClient.fromKubeconfig(server.kubeconfig);
  const times = new PodTimes(pods);
  const informer = createInformer<Pod>(client, resources.pods, { transform: stripManagedFields, name: 'scale pods', log: () => {} });
  informer.addEventHandler({ onAdd: (p) => times.seen(p), onUpdate: (_o, p) => times.seen(p) });
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    if (split) {
      components.push(
        startComponent(['scheduler', '--kubeconfig', join(server.dir, 'scheduler.kubeconfig'), '--metrics-bind-address', '127.0.0.1:0']),
        startComponent([
          'controller-manager',
          '--kubeconfig',
          join(server.dir, 'controller-manager.kubeconfig'),
          '--cluster-signing-cert-file',
          join(server.dir, 'pki', 'ca.crt'),
          '--cluster-signing-key-file',
          join(server.dir, 'pki', 'ca.key'),
        ]),
      );
    }
    const roots = [server.pid, ...components.map((c) => c.proc.pid!)];
    const componentsAlive = () => {
      for (const c of components) if (c.proc.exitCode !== null) throw new Error(`${mode}: a component exited ${c.proc.exitCode}: ${c.log().slice(-1000)}`);
      return true;
    };
    sampler = setInterval(() => {
      peakRss = Math.max(peakRss, treeRssMb(treeCpuMs(roots).pids));
    }, 1000);

    sim = startSim(server.kubeconfig, nodes);
    await sim.registered;
    await until(
      async () => {
        componentsAlive();
        const list = await client.list<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(resources.nodes);
        return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= nodes;
      },
      300_000,
      () => `${nodes} nodes Ready`,
    );
    const namespaces = Array.from({ length: Math.ceil(deployments / DEPLOYMENTS_PER_NAMESPACE) }, (_, i) => `scale-${i}`);
    for (const ns of [...namespaces, 'scale-churn'])
      await mustCreate(server, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // Pods are refused until their namespace's default ServiceAccount exists (upstream's admission).
    await until(
      async () => {
        componentsAlive();
        const list = await client.list<{ metadata?: { namespace?: string } }>(resources.serviceaccounts, { fieldSelector: 'metadata.name=default' });
        const have = new Set(list.items.map((sa) => sa.metadata?.namespace));
        return [...namespaces, 'scale-churn'].every((ns) => have.has(ns));
      },
      60_000,
      () => 'default ServiceAccounts in the bench namespaces',
    );
    informer.start();
    await informer.waitForSync(60_000);
    process.stderr.write(`scale [${mode}]: ${nodes} nodes Ready; creating ${deployments} Deployments x ${replicas}\n`);

    const idle0 = treeCpuMs(roots).cpuMs;
    const i0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_BASELINE_MS));
    const idleCpuMsPerMs = (treeCpuMs(roots).cpuMs - idle0) / (performance.now() - i0);

    const requests0 = await serverRequests(server);
    const probes = startProbes(server, times);
    const cpu0 = treeCpuMs(roots).cpuMs;
    const t0 = performance.now();
    await parallel(deployments, Math.min(deployments, 100), (i) =>
      mustCreate(server, `/apis/apps/v1/namespaces/${namespaces[Math.floor(i / DEPLOYMENTS_PER_NAMESPACE)]}/deployments`, deployment(`d-${i}`, replicas)),
    );
    const progress = setInterval(() => process.stderr.write(`scale [${mode}]: ${times.loadRunning}/${pods} Running\n`), 10_000);
    await times.allLoadRunning(Math.max(180_000, pods * 30));
    clearInterval(progress);
    const end = times.loadRunning >= pods ? times.lastLoadRunning : performance.now();
    const cpuMs = treeCpuMs(roots).cpuMs - cpu0;
    const processes = treeCpuMs(roots).pids.length;
    await probes.stop();
    const requests1 = await serverRequests(server);
    const requests = new Map([...requests1].map(([k, v]) => [k, v - (requests0.get(k) ?? 0)] as const).filter(([, v]) => v > 0));
    componentsAlive();
    process.stderr.write(
      `scale [${mode}]: ${times.loadRunning}/${pods} Running in ${round((end - t0) / 1000)} s; API requests meanwhile: ${[...requests]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; LIST of every pod\n`,
    );

    const list = await listAllPods(server);
    process.stderr.write(`scale [${mode}]: churn at ${CHURN_PER_SECOND} pods/s for ${churnSeconds} s\n`);
    const ch = await churn(server, times, churnSeconds);
    componentsAlive();
    return {
      mode,
      pods,
      running: times.loadRunning,
      podsPerSecond: round((times.loadRunning / (end - t0)) * 1000),
      cpuS: round(cpuMs / 1000, 2),
      cpuMsPerPod: round(cpuMs / Math.max(1, times.loadRunning), 2),
      netCpuMsPerPod: round((cpuMs - idleCpuMsPerMs * (end - t0)) / Math.max(1, times.loadRunning), 2),
      idleCpuPerS: round(idleCpuMsPerMs, 3),
      requests,
      peakRssMb: round(peakRss),
      processes,
      probes: probes.samples,
      probeErrors: probes.errors(),
      listWholeMs: round(list.wholeMs),
      listPagedMs: round(list.pagedMs),
      listedPods: list.pods,
      listedMiB: round(list.bytes / 2 ** 20),
      churn: ch.latencies,
      churnCreated: ch.created,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await informer.stop();
    client.close();
    if (sim) await sim.stop();
    for (const c of components) await stopProc(c.proc);
    await server.stop();
  }
}

const p = (xs: number[], q: number) => (xs.length ? round(percentile(xs, q)) : NaN);

function results(r: ModeResult, what: string): Result[] {
  const res = (metric: string, value: number, unit: string, note: string) => emit({ suite: 'scale', workload: r.mode, metric, value, unit, note });
  return [
    res('pods-per-second', r.podsPerSecond, 'pods/s', `${r.running}/${r.pods} Running; ${what}; first Deployment create to the last pod Running on a watch`),
    res('control-plane-cpu', r.cpuS, 'CPU-s', `utime+stime of ${r.processes} control-plane process(es) and their children, same window; not the simulator`),
    res('cpu-per-pod', r.cpuMsPerPod, 'ms', 'control-plane CPU / pods Running'),
    res(
      'net-cpu-per-pod',
      r.netCpuMsPerPod,
      'ms',
      `the same less the idle rate (${r.idleCpuPerS} CPU-s/s with the nodes Ready, over ${IDLE_BASELINE_MS / 1000} s before the load) over the window`,
    ),
    res(
      'api-requests-per-pod',
      round([...r.requests.values()].reduce((a, b) => a + b, 0) / Math.max(1, r.running), 2),
      'requests',
      `served during the load window, probes included; most: ${[...r.requests]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ),
    res('peak-rss', r.peakRssMb, 'MB', 'control-plane processes together, sampled every second over the whole run'),
    ...(['get', 'list', 'patch'] as const).flatMap((k) => [
      res(`${k}-p50`, p(r.probes[k], 50), 'ms', `${r.probes[k].length} probes during the load${k === 'list' ? ' (namespaced, one Deployment by label)' : ''}`),
      res(`${k}-p99`, p(r.probes[k], 99), 'ms', `${r.probeErrors} probe errors in all`),
    ]),
    res(
      'list-all',
      r.listWholeMs,
      'ms',
      `cluster-wide LIST of ${r.listedPods} pods (${r.listedMiB} MiB of JSON), whole, to its last byte; median of ${LIST_RUNS}`,
    ),
    res('list-all-paged', r.listPagedMs, 'ms', `the same paged by ${PAGE_SIZE} (kubectl's chunks), to the last page`),
    res('churn-p50', p(r.churn, 50), 'ms', `${r.churn.length}/${r.churnCreated} churn pods Running; created at ${CHURN_PER_SECOND}/s into the full cluster`),
    res('churn-p99', p(r.churn, 99), 'ms', 'creation to Running, both as first seen on the watch'),
  ];
}

function table(rs: ModeResult[]): string {
  const head = [
    'mode',
    'pods/s',
    'CPU-s',
    'CPU-ms/pod',
    'net',
    'idle CPU-s/s',
    'peak MB',
    'GET p50/p99',
    'LIST p50/p99',
    'PATCH p50/p99',
    'LIST all',
    'paged',
    'churn p50/p99',
  ];
  const rows = rs.map((r) => [
    r.mode,
    `${r.podsPerSecond} (${r.running}/${r.pods})`,
    String(r.cpuS),
    String(r.cpuMsPerPod),
    String(r.netCpuMsPerPod),
    String(r.idleCpuPerS),
    String(r.peakRssMb),
    `${p(r.probes.get, 50)}/${p(r.probes.get, 99)}`,
    `${p(r.probes.list, 50)}/${p(r.probes.list, 99)}`,
    `${p(r.probes.patch, 50)}/${p(r.probes.patch, 99)}`,
    `${r.listWholeMs} ms`,
    `${r.listPagedMs} ms`,
    `${p(r.churn, 50)}/${p(r.churn, 99)} ms`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

export async function scaleSuite(opts: ScaleOptions): Promise<Result[]> {
  // 200 nodes / 2 000 pods: the issue's 2-core rows; three modes in about 10 minutes on 2 cores.
  const nodes = opts.nodes ?? 200;
  const deployments = opts.deployments ?? 20;
  const replicas = opts.replicas ?? 100;
  const churnSeconds = opts.churnSeconds ?? 120;
  const singleProcess = hasSingleProcessFlag();
  const modes: Array<[ScaleMode, string[]]> = [];
  for (const mode of opts.modes ?? SCALE_MODES) {
    if (mode === 'one-process') modes.push([mode, singleProcess ? ['--single-process'] : []]);
    else if (mode === 'all-cores') {
      if (singleProcess) modes.push([mode, []]);
      else process.stderr.write('scale: this build has no `berth server --single-process`: its default is the one-process mode, all-cores is skipped\n');
    } else modes.push([mode, []]);
  }
  const what = `${nodes} simulated nodes, ${deployments} Deployments x ${replicas}`;
  const out: Result[] = [];
  const done: ModeResult[] = [];
  for (const [mode, args] of modes) {
    process.stderr.write(
      `scale: ${mode} (${args.length ? `berth server ${args.join(' ')}` : mode === 'split' ? 'server + scheduler + controller-manager' : 'berth server'}), ${what}\n`,
    );
    const r = await runMode(mode, args, { nodes, deployments, replicas, churnSeconds });
    done.push(r);
    out.push(...results(r, what));
  }
  process.stderr.write(`\nscale: ${what}; churn ${churnSeconds} s\n${table(done)}\n`);
  return out;
}
