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
// `--split` runs the scheduler and the controller manager as their own processes (`berth
// scheduler`, `berth controller-manager` against the server's component kubeconfigs) and
// reports each process's RSS, so each cache of every pod is seen on its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { RestClient, createInformer, resources, stripManagedFields, type KubeObject } from '../src/client/index.js';
import { call, emit, median, peakRssMb, privateRssMb, round, rssMb, startBerth, type BenchServer, type Result } from './common.js';

export interface ServerMemoryOptions {
  pods?: number;
  nodes?: number;
  runs?: number;
  /** Another build's dist/berth.js, measured in the same runs. */
  compare?: string;
  /** The scheduler and the controller manager in processes of their own, measured each. */
  split?: boolean;
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
  /** With --split: the RSS of each process (server, scheduler, controller-manager). */
  parts?: Record<string, number>;
}

/** `berth scheduler` or `berth controller-manager` against the server, its log passed on. */
function startComponent(bin: string, dataDir: string, command: 'scheduler' | 'controller-manager'): ChildProcess {
  const args = [bin, command, '--kubeconfig', join(dataDir, `${command}.kubeconfig`)];
  if (command === 'scheduler') args.push('--metrics-bind-address', '127.0.0.1:0');
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.resume();
  return proc;
}

async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

async function runOnce(bin: string, pods: number, nodes: number, split: boolean): Promise<RunResult> {
  const server: BenchServer = await startBerth(split ? ['--disable-scheduler', '--disable-controller-manager'] : [], bin);
  const components = split
    ? {
        scheduler: startComponent(bin, dirname(server.kubeconfig), 'scheduler'),
        'controller-manager': startComponent(bin, dirname(server.kubeconfig), 'controller-manager'),
      }
    : {};
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
    const result: RunResult = {
      rss: rssMb(server.pid),
      privateRss: privateRssMb(server.pid),
      peakRss: round(peakRssMb(server.pid)),
      allRunningS: round(allRunningS),
    };
    if (split) {
      result.parts = { server: result.rss };
      for (const [name, proc] of Object.entries(components)) {
        if (proc.exitCode !== null) throw new Error(`${name} exited ${proc.exitCode}`);
        result.parts[name] = rssMb(proc.pid!);
      }
      result.rss = round(Object.values(result.parts).reduce((a, b) => a + b, 0));
    }
    return result;
  } finally {
    await watcher.stop();
    client.close();
    await stopProcess(sim);
    for (const proc of Object.values(components)) await stopProcess(proc);
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
      const r = await runOnce(bin, pods, nodes, opts.split ?? false);
      const parts = r.parts
        ? ` = ${Object.entries(r.parts)
            .map(([p, mb]) => `${p} ${mb}`)
            .join(' + ')}`
        : '';
      process.stderr.write(
        `server-memory: run ${run}/${runs}, ${name}: RSS ${r.rss} MB${parts} (server's private ${r.privateRss} MB, peak ${r.peakRss} MB); all Running in ${r.allRunningS} s\n`,
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
    const control = opts.split ? 'berth server --no-agent + berth scheduler + berth controller-manager' : 'berth server --no-agent';
    const what = `${control}, ${pods} Running pods (created bound) on ${nodes} simulated nodes; median of ${runs}`;
    res(
      'rss',
      m((r) => r.rss),
      'MB',
      `${opts.split ? 'the three processes together; ' : ''}${what}, ${SETTLE_MS / 1000} s after the last pod Running`,
    );
    for (const part of Object.keys(rs[0]?.parts ?? {}))
      res(
        `rss: ${part}`,
        m((r) => r.parts![part]!),
        'MB',
        `that process alone; ${what}`,
      );
    res(
      'private-rss',
      m((r) => r.privateRss),
      'MB',
      `the same, RssAnon${opts.split ? ', the server alone' : ''}`,
    );
    res(
      'peak-rss',
      m((r) => r.peakRss),
      'MB',
      `VmHWM${opts.split ? ' of the server' : ''}; ${what}`,
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
