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
import { podCreate as pod, runningStatus as status } from './pod-fixtures.js';
import type { RestClient } from '../src/client/rest.js';
import type { KubeObject } from '../src/client/types.js';

type Pod = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: Record<string, unknown> };
type ClientClass = { fromKubeconfig(path: string): RestClient };
const PODS = { group: '', version: 'v1', resource: 'pods' };

// The write-path bench's pod, in the namespace every server has. No scheduler runs: it stays where it is.
const podCreate = (): Pod => ({ ...pod, metadata: { ...pod.metadata, namespace: 'default' } });

// The status a kubelet reports once the pod runs; `at` makes each write a change.
const runningStatus = (at: number) => ({
  ...status,
  conditions: status.conditions.map((c) => ({ ...c, lastTransitionTime: new Date(1_780_000_000_000 + at * 1000).toISOString().replace(/\.\d+Z$/, 'Z') })),
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
