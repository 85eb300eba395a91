// The `workloads` suite: controllers at scale on simulated nodes (a real API server with its
// scheduler and controllers, `berth sim` in its own process). `jobs`: N Jobs of 10 pods
// (parallelism 10, each pod ending after 1 s), from the first create to every Job Complete.
// `daemonset`: one DaemonSet over N nodes, to every node's pod available, then an image rollout
// (maxUnavailable 10%) to every pod updated and available.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RestClient, resources } from '../src/client/index.js';
import { cpuMs, emit, round, startBerth, type BenchServer, type Result } from './common.js';

type Obj = Record<string, any>;

async function startSim(s: BenchServer, nodes: number): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'dist', 'berth.js'),
      'sim',
      '--kubeconfig',
      s.kubeconfig,
      '--nodes',
      String(nodes),
      '--start-delay',
      '200',
      '--pod-cidr',
      '10.0.0.0/8',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((res, rej) => {
    let out = '';
    proc.stderr!.on('data', (d) => {
      out += d;
      if (/nodes registered in/.test(out)) res();
    });
    proc.on('exit', (c) => rej(new Error(`sim exited ${c}: ${out}`)));
  });
  return proc;
}

/** Resolves when `done` holds for the watched objects (polled on every event). */
function until<T extends Obj>(
  client: RestClient,
  gvr: { group: string; version: string; resource: string },
  ns: string,
  done: (objs: Map<string, T>) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const objs = new Map<string, T>();
    void client.list<T>({ ...gvr, namespace: ns }).then((list) => {
      for (const o of list.items) objs.set(o.metadata.name, o);
      if (done(objs)) return resolve();
      const h = client.watch<T>(
        { ...gvr, namespace: ns },
        { resourceVersion: list.metadata?.resourceVersion },
        (ev) => {
          if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
          if (ev.type === 'DELETED') objs.delete(ev.object.metadata!.name!);
          else objs.set(ev.object.metadata!.name!, ev.object);
          if (done(objs)) {
            h.stop();
            resolve();
          }
        },
        (e) => e && reject(e),
      );
    }, reject);
  });
}

async function jobs(count: number, nodes: number): Promise<Result[]> {
  const s = await startBerth();
  const sim = await startSim(s, nodes);
  const client = RestClient.fromKubeconfig(s.kubeconfig);
  try {
    const template = {
      metadata: { annotations: { 'sim.berth.dev/exit-after': '1s', 'sim.berth.dev/exit-code': '0' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    };
    const complete = (m: Map<string, Obj>) =>
      m.size === count && [...m.values()].every((j) => j.status?.conditions?.some((c: Obj) => c.type === 'Complete' && c.status === 'True'));
    const t0 = performance.now();
    const cpu0 = cpuMs(s.pid);
    const finished = until(client, resources.jobs, 'default', complete);
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, k) =>
          client.create(resources.jobs, {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: `job-${i + k}`, namespace: 'default' },
            spec: { parallelism: 10, completions: 10, template },
          }),
        ),
      );
    }
    await finished;
    const secs = (performance.now() - t0) / 1000;
    const cpu = (cpuMs(s.pid) - cpu0) / 1000;
    const note = `${count} Jobs × 10 pods on ${nodes} simulated nodes; each pod runs 1 s; server CPU ${round(cpu)} s`;
    return [
      emit({ suite: 'workloads', workload: 'jobs', metric: 'jobs completed per second', value: round(count / secs, 2), unit: 'jobs/s', note }),
      emit({ suite: 'workloads', workload: 'jobs', metric: 'pods completed per second', value: round((count * 10) / secs), unit: 'pods/s', note }),
    ];
  } finally {
    client.close();
    sim.kill('SIGKILL');
    await s.stop();
  }
}

async function daemonset(nodes: number): Promise<Result[]> {
  const s = await startBerth();
  const sim = await startSim(s, nodes);
  const client = RestClient.fromKubeconfig(s.kubeconfig);
  try {
    const ds = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image }] } },
      },
    });
    const settled = (image: string) => (m: Map<string, Obj>) => {
      const d = m.get('agent');
      const st = d?.status;
      return (
        !!st &&
        d!.spec.template.spec.containers[0].image === image &&
        st.observedGeneration === d!.metadata.generation &&
        st.desiredNumberScheduled === nodes &&
        st.updatedNumberScheduled === nodes &&
        st.numberAvailable === nodes
      );
    };
    let t0 = performance.now();
    const created = until(client, resources.daemonsets, 'default', settled('img:1'));
    await client.create(resources.daemonsets, ds('img:1'));
    await created;
    const createSecs = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const rolled = until(client, resources.daemonsets, 'default', settled('img:2'));
    await client.patch(
      { ...resources.daemonsets, namespace: 'default', name: 'agent' },
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } },
      'strategic',
    );
    await rolled;
    const rollSecs = (performance.now() - t0) / 1000;
    const note = `one DaemonSet over ${nodes} simulated nodes (container start 200 ms), rollout maxUnavailable 10%`;
    return [
      emit({ suite: 'workloads', workload: 'daemonset', metric: 'create to all available', value: round(createSecs, 2), unit: 's', note }),
      emit({ suite: 'workloads', workload: 'daemonset', metric: 'image rollout to all updated and available', value: round(rollSecs, 2), unit: 's', note }),
    ];
  } finally {
    client.close();
    sim.kill('SIGKILL');
    await s.stop();
  }
}

export async function workloadsSuite(o: { workload?: string; jobs?: number; nodes?: number }): Promise<Result[]> {
  const out: Result[] = [];
  if (!o.workload || o.workload === 'jobs') out.push(...(await jobs(o.jobs ?? 1000, o.nodes ?? 100)));
  if (!o.workload || o.workload === 'daemonset') out.push(...(await daemonset(o.nodes ?? 1000)));
  return out;
}
