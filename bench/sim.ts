// The `sim` suite: the simulator at scale. A real API server (no scheduler, no controllers: pods
// are created bound, so what is measured is the simulator's own work) and `berth sim` as its own
// process with N nodes; M pods created bound round-robin by 16 clients. Throughput is the pods
// over the time from the first create to the last pod seen Running on a watch; the simulator's
// resident memory is read once every pod runs (and its peak), its CPU time per pod over the run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { RestClient, createInformer, resources } from '../src/client/index.js';
import { call, cpuMs, emit, peakRssMb, rssMb, round, startBerth, type BenchServer, type Result } from './common.js';

/** BERTH_BENCH_SIM_BIN: another bundle to run the simulator from (to compare two builds in one run). */
const SIM_BIN = process.env.BERTH_BENCH_SIM_BIN ?? join(import.meta.dirname, '..', 'dist', 'berth.js');

export async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

/** Creates, waiting out the server's 429s (its inflight limit), as client-go does. */
export async function mustCreate(s: BenchServer, path: string, body: unknown): Promise<void> {
  for (;;) {
    const r = await call(s, 'POST', path, body);
    if (r.status === 201) return;
    if (r.status !== 429) throw new Error(`POST ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** Clients creating pods: enough to keep the server busy, few enough that watchers keep up on 2 cores. */
const CREATORS = 16;

export function startSim(kubeconfig: string, nodes: number) {
  // BERTH_BENCH_PROF=DIR profiles the simulator too (it shares the machine with what is measured).
  const prof = process.env.BERTH_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BERTH_BENCH_PROF] : [];
  const proc = spawn(process.execPath, [...prof, SIM_BIN, 'sim', '--kubeconfig', kubeconfig, '--nodes', String(nodes)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const registered = new Promise<void>((res, rej) => {
    let out = '';
    proc.stderr!.on('data', (d) => {
      out += d;
      if (/nodes registered in/.test(out)) res();
    });
    proc.on('exit', (c) => rej(new Error(`sim exited ${c}: ${out.slice(-500)}`)));
  });
  return {
    proc,
    registered,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    },
  };
}

export async function simSuite(opts: { nodes?: number; pods?: number }): Promise<Result[]> {
  const nodes = opts.nodes ?? 1000;
  const pods = opts.pods ?? 20 * nodes;
  const server = await startBerth(['--disable-scheduler', '--disable-controller-manager']);
  const client = RestClient.fromKubeconfig(server.kubeconfig);
  const sim = startSim(server.kubeconfig, nodes);
  try {
    const t0 = performance.now();
    await sim.registered;
    const registrationMs = performance.now() - t0;
    process.stderr.write(`sim: ${nodes} nodes registered in ${(registrationMs / 1000).toFixed(1)} s; creating ${pods} pods\n`);
    await mustCreate(server, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'simbench' } });
    const running = new Set<string>();
    let lastRunning = 0;
    let resolveAll!: () => void;
    const allRunning = new Promise<void>((r) => (resolveAll = r));
    // An informer, not a bare watch: it lists again when its watch ends, so no pod is missed.
    const informer = createInformer<Pod>(client, resources.pods, { namespace: 'simbench', name: 'simbench pods' });
    const seen = (p: Pod) => {
      const name = p.metadata!.name!;
      if (p.status?.phase !== 'Running' || running.has(name)) return;
      running.add(name);
      lastRunning = performance.now();
      if (running.size === pods) resolveAll();
    };
    informer.addEventHandler({ onAdd: seen, onUpdate: (_old, p) => seen(p) });
    informer.start();
    await informer.waitForSync();
    const simCpu0 = cpuMs(sim.proc.pid!);
    const c0 = performance.now();
    await parallel(pods, CREATORS, (i) =>
      mustCreate(server, '/api/v1/namespaces/simbench/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p-${i}` },
        spec: { nodeName: `sim-${i % nodes}`, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      }),
    );
    const createdMs = performance.now() - c0;
    const deadline = setTimeout(() => resolveAll(), Math.max(120_000, pods * 20));
    await allRunning;
    clearTimeout(deadline);
    await informer.stop();
    const wallMs = lastRunning - c0;
    const rssRunning = rssMb(sim.proc.pid!);
    const simCpuMs = cpuMs(sim.proc.pid!) - simCpu0;
    // Again once the simulator has been idle a while (its heap collected), less at the mercy of GC timing.
    await new Promise((r) => setTimeout(r, 20_000));
    const rssIdle = rssMb(sim.proc.pid!);
    const note = `${nodes} nodes, ${pods} pods created bound by ${CREATORS} clients (${round(createdMs / 1000)} s), first create → last Running on a watch`;
    const results = [
      emit({
        suite: 'sim',
        workload: `${nodes}-nodes`,
        metric: 'registration',
        value: round(registrationMs),
        unit: 'ms',
        note: `${nodes} nodes and their Leases registered`,
      }),
      emit({
        suite: 'sim',
        workload: `${nodes}-nodes`,
        metric: 'pods-to-running',
        value: round((running.size / wallMs) * 1000),
        unit: 'pods/s',
        note: `${running.size}/${pods} Running; ${note}`,
      }),
      emit({
        suite: 'sim',
        workload: `${nodes}-nodes`,
        metric: 'sim-rss',
        value: rssRunning,
        unit: 'MB',
        note: 'simulator process once every pod runs',
      }),
      emit({
        suite: 'sim',
        workload: `${nodes}-nodes`,
        metric: 'sim-rss-idle',
        value: rssIdle,
        unit: 'MB',
        note: 'the same, 20 s later (nothing changed meanwhile)',
      }),
      emit({ suite: 'sim', workload: `${nodes}-nodes`, metric: 'sim-peak-rss', value: round(peakRssMb(sim.proc.pid!)), unit: 'MB', note: 'VmHWM' }),
      emit({
        suite: 'sim',
        workload: `${nodes}-nodes`,
        metric: 'sim-cpu-per-pod',
        value: round(simCpuMs / pods, 2),
        unit: 'ms',
        note: 'simulator CPU time from the first create to the last pod Running, / pods',
      }),
    ];
    return results;
  } finally {
    await sim.stop();
    await server.stop();
  }
}
