// Client CPU per request of RestClient (what a controller, the scheduler or the simulator pays
// for each write it sends): pod creates (POST) and pod status writes (PUT .../status) of
// pod-sized bodies against a real `berth server` on loopback, over TLS with the admin's client
// certificate, one at a time and 16 at once, answers parsed or discarded.
//   node --import tsx bench/client-request.ts [SRC_DIR...]   (N=requests per run, default 400; ROUNDS=3)
// Each SRC_DIR (default: this checkout's src) is another checkout's src, e.g. a base worktree's:
// its RestClient is loaded from there and the runs alternate between them against one server, so
// a before/after shares the machine's state. The figure is this process's CPU time (user +
// system) per request, which a busy shared machine disturbs little; the server's is not in it.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBerth, median, round } from './common.js';
import type { RestClient } from '../src/client/rest.js';
import type { KubeObject } from '../src/client/types.js';

type Pod = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: Record<string, unknown> };
type ClientClass = { fromKubeconfig(path: string): RestClient };
const PODS = { group: '', version: 'v1', resource: 'pods' };

// A Deployment's pod as the ReplicaSet controller sends it. No scheduler runs: it stays where it is.
const podCreate = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'web-7d9c6b8f5d-',
    namespace: 'default',
    labels: { app: 'web', 'pod-template-hash': '7d9c6b8f5d', tier: 'frontend' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-7d9c6b8f5d',
        uid: '6f1c2b7e-8a4d-4c1e-9b3f-2d5e7a9c1b0f',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'registry.example/web:1.4.2',
        args: ['--port=8080', '--log-level=info'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'production' }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
  },
});

// The status a kubelet reports once the pod runs; `at` makes each write a change.
const runningStatus = (at: number) => ({
  phase: 'Running',
  conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: new Date(1_780_000_000_000 + at * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
  })),
  hostIP: '10.200.0.42',
  podIP: '10.244.42.17',
  podIPs: [{ ip: '10.244.42.17' }],
  startTime: '2026-12-05T11:35:02Z',
  containerStatuses: [
    {
      name: 'app',
      state: { running: { startedAt: '2026-12-05T11:35:04Z' } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: 'registry.example/web:1.4.2',
      imageID: 'registry.example/web@sha256:4b0f3c2a1e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b',
      containerID: 'containerd://9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19f8e7d6c5b4a3f2e1d0c9b8a7f6',
      started: true,
    },
  ],
  qosClass: 'Burstable',
});

interface Case {
  name: string;
  /** One request; worker is which of the concurrent senders sends it, i its sequence number. */
  send(client: RestClient, worker: number, i: number): Promise<unknown>;
}

const CONCURRENCY = [1, 16];
const N = Number(process.env.N ?? 400);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

/**
 * CPU time of this process per request, in µs, over n requests sent by `concurrency` senders:
 * user + system, and user alone (system time holds the loopback TCP work, and varies more).
 */
async function cpuUsPerRequest(client: RestClient, c: Case, concurrency: number, n: number): Promise<{ total: number; user: number }> {
  let next = 0;
  const sender = async (worker: number) => {
    for (let i = next++; i < n; i = next++) await c.send(client, worker, i);
  };
  const start = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => sender(w)));
  const used = process.cpuUsage(start);
  return { total: (used.user + used.system) / n, user: used.user / n };
}

const srcs = process.argv.slice(2);
if (!srcs.length) srcs.push(resolve(import.meta.dirname, '../src'));
const server = await startBerth(['--disable-scheduler', '--disable-controller-manager']);
try {
  const clients = await Promise.all(
    srcs.map(async (src) => {
      const mod = (await import(pathToFileURL(resolve(src, 'client/rest.ts')).href)) as { RestClient: ClientClass };
      return mod.RestClient.fromKubeconfig(server.kubeconfig);
    }),
  );
  // One pod per concurrent sender whose status the PUTs rewrite; no resourceVersion: unconditional.
  const targets: Pod[] = [];
  for (let w = 0; w < Math.max(...CONCURRENCY); w++) {
    const p = await clients[0]!.create(PODS, podCreate() as KubeObject);
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = p.metadata!;
    targets.push({ ...podCreate(), metadata: metadata as Record<string, unknown> });
  }
  const cases: Case[] = [
    { name: 'POST pod', send: (c) => c.create(PODS, podCreate() as KubeObject) },
    { name: 'POST pod, discardAnswer', send: (c) => c.create(PODS, podCreate() as KubeObject, { discardAnswer: true }) },
    // A client without createForName (an older checkout) creates and decodes the whole answer.
    {
      name: 'POST pod, createForName',
      send: (c) => ('createForName' in c ? c.createForName(PODS, podCreate() as KubeObject) : (c as RestClient).create(PODS, podCreate() as KubeObject)),
    },
    { name: 'PUT pod status', send: (c, w, i) => c.updateStatus(PODS, { ...targets[w]!, status: runningStatus(i) } as KubeObject) },
    {
      name: 'PUT pod status, discardAnswer',
      send: (c, w, i) => c.updateStatus(PODS, { ...targets[w]!, status: runningStatus(i) } as KubeObject, { discardAnswer: true }),
    },
  ];
  // Warm-up: connections open, code optimized.
  for (const client of clients) for (const c of cases) await cpuUsPerRequest(client, c, 16, 200);
  const results = cases.map(() => CONCURRENCY.map(() => clients.map(() => [] as Array<{ total: number; user: number }>)));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [ci, c] of cases.entries()) {
      for (const [ki, conc] of CONCURRENCY.entries()) {
        for (const [ii, client] of clients.entries()) results[ci]![ki]![ii]!.push(await cpuUsPerRequest(client, c, conc, N));
      }
    }
  }
  for (const client of clients) client.close();
  console.log([`client CPU µs per request, user+system / user (median of ${ROUNDS})`, ...srcs].join('\t'));
  const fmt = (xs: Array<{ total: number; user: number }>) => `${round(median(xs.map((x) => x.total)), 1)} / ${round(median(xs.map((x) => x.user)), 1)}`;
  cases.forEach((c, ci) => CONCURRENCY.forEach((conc, ki) => console.log([`${c.name}, ${conc} at once`, ...results[ci]![ki]!.map(fmt)].join('\t'))));
} finally {
  await server.stop();
}
