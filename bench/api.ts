// The `api` suite: create throughput (1 and 64 clients, durable commits), get latency, list of
// 10 000 pods, watch fan-out to 100 watchers, idle RSS and cold start.
import { request } from 'node:https';
import { startEtcd } from '../test/e2e/etcd-harness.js';
import { call, emit, median, percentile, round, rssMb, startBerth, type BenchServer, type Result } from './common.js';

const RUNS = 3;

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench', tier: 'load' } },
  spec: { containers: [{ name: 'c', image: 'registry.local/bench:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
});

async function createMany(s: BenchServer, ns: string, count: number, clients: number, prefix = 'p'): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const r = await call(s, 'POST', `/api/v1/namespaces/${ns}/pods`, pod(`${prefix}-${i}`));
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

async function namespace(s: BenchServer, name: string): Promise<void> {
  const r = await call(s, 'POST', '/api/v1/namespaces', { metadata: { name } });
  if (r.status !== 201) throw new Error(`namespace: ${r.text}`);
}

function watchers(s: BenchServer, path: string, n: number): Promise<Array<{ count: number; lastAt: number; close(): void }>> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<{ count: number; lastAt: number; close(): void }>((res, rej) => {
          const state = { count: 0, lastAt: 0, close: () => req.destroy() };
          const req = request(new URL(path, s.url), { agent: s.agent, ca: s.ca, headers: { Authorization: `Bearer ${s.token}` } }, (r) => {
            let buf = '';
            r.setEncoding('utf8');
            r.on('data', (d: string) => {
              buf += d;
              let i;
              while ((i = buf.indexOf('\n')) >= 0) {
                buf = buf.slice(i + 1);
                state.count++;
                state.lastAt = performance.now();
              }
            });
            r.on('error', () => {});
            res(state);
          });
          req.on('error', (e) => (state.count ? undefined : rej(e)));
          req.end();
        }),
    ),
  );
}

export interface ApiSuiteOptions {
  workload?: string;
  /** Datastores measured side by side, interleaved round by round: 'sqlite', 'etcd'. */
  datastores: string[];
}

export async function apiSuite(opts: ApiSuiteOptions): Promise<Result[]> {
  const out: Result[] = [];
  const only = opts.workload;
  const want = (w: string) => !only || only === w;
  const res = (workload: string, metric: string, value: number, unit: string, target?: string, note?: string, datastore?: string) =>
    out.push(emit({ suite: 'api', workload, metric, value, unit, target, note, datastore }));

  if (want('startup')) {
    const starts: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = await startBerth();
      starts.push(s.startMs);
      await new Promise((r) => setTimeout(r, 2000));
      rss.push(rssMb(s.pid));
      await s.stop();
    }
    res(
      'startup',
      'cold-start',
      round(median(starts)),
      'ms',
      '≤ 1000',
      `spawn to ready line, fresh data dir, SQLite, scheduler and controllers included, median of ${RUNS}`,
      'sqlite',
    );
    res('startup', 'idle-rss', round(median(rss)), 'MB', '≤ 100', `2 s after ready, SQLite, median of ${RUNS}`, 'sqlite');
  }
  if (only === 'startup') return out;

  const etcd = opts.datastores.includes('etcd') ? await startEtcd() : undefined;
  const servers: Array<{ name: string; s: BenchServer }> = [];
  try {
    for (const name of opts.datastores) {
      // The API server and store alone: an embedded scheduler would answer each of the
      // 10 000 node-less pods with a FailedScheduling event and a status write.
      const args = ['--disable-scheduler', '--disable-controller-manager', ...(name === 'etcd' ? ['--datastore', `etcd://${etcd!.endpoints.join(',')}`] : [])];
      servers.push({ name, s: await startBerth(args) });
    }
    // Every figure is taken for each datastore within the same round, so both see the same
    // machine noise; the median over rounds is reported.
    const each = async (fn: (s: BenchServer, round: number) => Promise<void>, rounds = 1) => {
      for (let i = 0; i < rounds; i++) for (const { s } of servers) await fn(s, i);
    };
    const perStore = () => new Map<BenchServer, number[]>(servers.map(({ s }) => [s, []]));
    const report = (m: Map<BenchServer, number[]>, f: (xs: number[]) => number, emitOne: (v: number, datastore: string) => void) => {
      for (const { name, s } of servers) emitOne(f(m.get(s)!), name);
    };

    if (want('create')) {
      const one = perStore();
      const many = perStore();
      await each(async (s, i) => {
        await namespace(s, `one-${i}`);
        one.get(s)!.push(await createMany(s, `one-${i}`, 1000, 1));
        await namespace(s, `many-${i}`);
        many.get(s)!.push(await createMany(s, `many-${i}`, 10_000, 64));
      }, RUNS);
      report(one, median, (v, d) =>
        res('create', 'creates-1-client', round(v), 'creates/s', undefined, `1000 pods, sequential, durable, median of ${RUNS}`, d),
      );
      report(many, median, (v, d) =>
        res('create', 'creates-64-clients', round(v), 'creates/s', '≥ 5000', `10 000 pods, 64 concurrent, durable, median of ${RUNS}`, d),
      );
    } else {
      await each(async (s) => {
        await namespace(s, 'many-0');
        await createMany(s, 'many-0', 10_000, 64);
      });
    }

    if (want('get')) {
      const lat = perStore();
      await each(async (s) => {
        for (let i = 0; i < 5000; i++) {
          const t0 = performance.now();
          const r = await call(s, 'GET', `/api/v1/namespaces/many-0/pods/p-${(i * 7919) % 10_000}`);
          lat.get(s)!.push(performance.now() - t0);
          if (r.status !== 200) throw new Error(`get: ${r.status}`);
        }
      });
      report(
        lat,
        (xs) => percentile(xs, 50),
        (v, d) => res('get', 'p50', round(v, 2), 'ms', undefined, '5000 sequential gets (from the store)', d),
      );
      report(
        lat,
        (xs) => percentile(xs, 99),
        (v, d) => res('get', 'p99', round(v, 2), 'ms', undefined, undefined, d),
      );
    }

    if (want('list')) {
      const times = perStore();
      await each(async (s) => {
        const t0 = performance.now();
        const r = await call(s, 'GET', '/api/v1/namespaces/many-0/pods?resourceVersion=0');
        times.get(s)!.push(performance.now() - t0);
        const n = (JSON.parse(r.text).items as unknown[]).length;
        if (n !== 10_000) throw new Error(`list returned ${n}`);
      }, 5);
      report(times, median, (v, d) =>
        res('list', 'list-10000-pods-rv0', round(v), 'ms', '≤ 200', 'full JSON list with resourceVersion=0: from the watch cache, median of 5', d),
      );
      const consistent = perStore();
      await each(async (s) => {
        const t0 = performance.now();
        const r = await call(s, 'GET', '/api/v1/namespaces/many-0/pods');
        consistent.get(s)!.push(performance.now() - t0);
        const n = (JSON.parse(r.text).items as unknown[]).length;
        if (n !== 10_000) throw new Error(`list returned ${n}`);
      }, 5);
      report(consistent, median, (v, d) =>
        res('list', 'list-10000-pods', round(v), 'ms', undefined, 'full JSON list, most recent (resourceVersion unset), median of 5', d),
      );
      const paged = perStore();
      await each(async (s) => {
        const t0 = performance.now();
        let cont = '';
        let n = 0;
        do {
          const r = JSON.parse((await call(s, 'GET', `/api/v1/namespaces/many-0/pods?limit=500${cont ? `&continue=${cont}` : ''}`)).text);
          n += r.items.length;
          cont = r.metadata.continue ?? '';
        } while (cont);
        paged.get(s)!.push(performance.now() - t0);
        if (n !== 10_000) throw new Error(`paged list returned ${n}`);
      }, RUNS);
      report(paged, median, (v, d) =>
        res(
          'list',
          'list-10000-pods-paged-500',
          round(v),
          'ms',
          undefined,
          `as kubectl lists: limit=500 + continue, consistent snapshot from the store, median of ${RUNS}`,
          d,
        ),
      );
    }

    if (want('watch')) {
      const rates = perStore();
      await each(async (s, run) => {
        const ns = `fan-${run}`;
        await namespace(s, ns);
        const ws = await watchers(s, `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${await currentRv(s)}`, 100);
        const events = 2000;
        const t0 = performance.now();
        await createMany(s, ns, events, 64, 'w');
        const deadline = Date.now() + 60_000;
        while (ws.some((w) => w.count < events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const last = Math.max(...ws.map((w) => w.lastAt));
        const delivered = ws.reduce((a, w) => a + Math.min(w.count, events), 0);
        rates.get(s)!.push(delivered / ((last - t0) / 1000));
        for (const w of ws) w.close();
      }, RUNS);
      report(rates, median, (v, d) =>
        res('watch', 'fan-out-100-watchers', Math.round(v), 'events/s', '≥ 100000', `2000 pod creates (64 clients) seen by 100 watchers, median of ${RUNS}`, d),
      );
    }
  } finally {
    for (const { s } of servers) await s.stop();
    await etcd?.stop();
  }
  return out;
}

async function currentRv(s: BenchServer): Promise<string> {
  return JSON.parse((await call(s, 'GET', '/api/v1/namespaces?limit=1')).text).metadata.resourceVersion;
}
