// The `server-memory` suite: the resident memory of `berth server --no-agent` (API server, store,
// scheduler and controllers in one process) holding many pods, all Running on simulated nodes
// (`berth sim`, its own process, not counted). The pods are created already bound to a node
// (spec.nodeName), spread evenly, so that filling the cluster costs creates and the simulator's
// status writes, not a scheduling cycle each: on a shared, loaded 2-core machine that is what
// makes 20 000 pods reachable in minutes. Every cache still holds every pod (the watch cache,
// the scheduler's cache of bound pods, the controllers' informers). Measured once every pod is
// Running and the server has been left alone for a while; also the peak (VmHWM).
// `--compare OTHER/dist/berth.js` runs another build the same way, interleaved run by run, so
// both see the same machine load (e.g. the commit before a change: git archive it elsewhere,
// link node_modules, bundle).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RestClient, createInformer, resources, stripManagedFields, type KubeObject } from '../src/client/index.js';
import { call, emit, median, peakRssMb, privateRssMb, round, rssMb, startBerth, type BenchServer, type Result } from './common.js';

export interface ServerMemoryOptions {
  pods?: number;
  nodes?: number;
  runs?: number;
  /** Another build's dist/berth.js, measured in the same runs. */
  compare?: string;
}

const THIS_BUILD = join(import.meta.dirname, '..', 'dist', 'berth.js');
const SETTLE_MS = 20_000;
const CREATE_CONCURRENCY = 32;

function pod(i: number, nodes: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `mem-${i}`, namespace: 'mem', labels: { app: 'mem', shard: String(i % 10) } },
    spec: {
      nodeName: `sim-${i % nodes}`,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  };
}

async function createPods(server: BenchServer, pods: number, nodes: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pods; i = next++) {
      await ok(call(server, 'POST', '/api/v1/namespaces/mem/pods', pod(i, nodes)), `pod ${i}`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
}

async function ok(p: Promise<{ status: number; text: string }>, what: string): Promise<void> {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
}

function startSim(bin: string, kubeconfig: string, nodes: number): ChildProcess {
  const proc = spawn(process.execPath, [bin, 'sim', '--kubeconfig', kubeconfig, '--nodes', String(nodes), '--pods', '110'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Its log is noise here; errors show in the pods never getting Running.
  proc.stderr!.resume();
  return proc;
}

async function until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    if (Date.now() - lastReport > 15_000) {
      process.stderr.write(`  ${what()}\n`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface RunResult {
  rss: number;
  privateRss: number;
  peakRss: number;
  allRunningS: number;
}

async function runOnce(bin: string, pods: number, nodes: number): Promise<RunResult> {
  const server: BenchServer = await startBerth([], bin);
  const client = RestClient.fromKubeconfig(server.kubeconfig);
  let sim: ChildProcess | undefined;
  // The bench's own view of the pods (this process's memory, not the server's).
  const running = new Set<string>();
  const watcher = createInformer<KubeObject & { status?: { phase?: string } }>(client, resources.pods, {
    namespace: 'mem',
    transform: stripManagedFields,
    name: 'bench pods',
    log: () => {},
  });
  const seen = (p: KubeObject & { status?: { phase?: string } }) => {
    if (p.status?.phase === 'Running') running.add(p.metadata!.name!);
  };
  watcher.addEventHandler({ onAdd: seen, onUpdate: (_o, p) => seen(p) });
  try {
    sim = startSim(bin, server.kubeconfig, nodes);
    await ok(call(server, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mem' } }), 'namespace');
    let readyNodes = 0;
    for (const deadline = Date.now() + 300_000; readyNodes < nodes && Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      readyNodes = (await client.list(resources.nodes)).items.length;
    }
    if (readyNodes < nodes) throw new Error(`only ${readyNodes}/${nodes} simulated nodes registered`);
    watcher.start();
    await watcher.waitForSync(60_000);
    const t0 = performance.now();
    await createPods(server, pods, nodes);
    await until(
      () => running.size >= pods,
      1_800_000,
      () => `pods Running: ${running.size}/${pods}`,
    );
    const allRunningS = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { rss: rssMb(server.pid), privateRss: privateRssMb(server.pid), peakRss: round(peakRssMb(server.pid)), allRunningS: round(allRunningS) };
  } finally {
    await watcher.stop();
    client.close();
    if (sim && sim.exitCode === null) {
      sim.kill('SIGTERM');
      await new Promise((r) => sim!.once('exit', r));
    }
    await server.stop();
  }
}

export async function serverMemorySuite(opts: ServerMemoryOptions): Promise<Result[]> {
  const pods = opts.pods ?? 20_000;
  // Room for every pod at 110 a node, and a tenth to spare.
  const nodes = opts.nodes ?? Math.ceil((pods * 1.1) / 110);
  const runs = opts.runs ?? 3;
  const builds: Array<[string, string]> = [['this build', THIS_BUILD]];
  if (opts.compare) builds.push([`compared: ${opts.compare}`, opts.compare]);
  const results = new Map<string, RunResult[]>(builds.map(([name]) => [name, []]));
  for (let run = 1; run <= runs; run++) {
    for (const [name, bin] of builds) {
      process.stderr.write(`server-memory: run ${run}/${runs}, ${name}: ${pods} pods on ${nodes} simulated nodes\n`);
      const r = await runOnce(bin, pods, nodes);
      process.stderr.write(
        `server-memory: run ${run}/${runs}, ${name}: RSS ${r.rss} MB (private ${r.privateRss} MB, peak ${r.peakRss} MB); all Running in ${r.allRunningS} s\n`,
      );
      results.get(name)!.push(r);
    }
  }
  const out: Result[] = [];
  for (const [name] of builds) {
    const rs = results.get(name)!;
    const m = (f: (r: RunResult) => number) => round(median(rs.map(f)));
    const res = (metric: string, value: number, unit: string, note: string) =>
      out.push(emit({ suite: 'server-memory', workload: name, metric, value, unit, note }));
    const what = `berth server --no-agent, ${pods} Running pods (created bound) on ${nodes} simulated nodes; median of ${runs}`;
    res(
      'rss',
      m((r) => r.rss),
      'MB',
      `${what}, ${SETTLE_MS / 1000} s after the last pod Running`,
    );
    res(
      'private-rss',
      m((r) => r.privateRss),
      'MB',
      `the same, RssAnon`,
    );
    res(
      'peak-rss',
      m((r) => r.peakRss),
      'MB',
      `VmHWM; ${what}`,
    );
    res(
      'all-running',
      m((r) => r.allRunningS),
      's',
      `first pod created to every pod Running; ${what}`,
    );
  }
  return out;
}
