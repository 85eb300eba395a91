// The `api` suite: create throughput (1 and 64 clients, durable commits), get latency, list of
// 10 000 pods, watch fan-out to 100 watchers, idle RSS and cold start.
import { request } from 'node:https';
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

export async function apiSuite(only?: string): Promise<Result[]> {
  const out: Result[] = [];
  const want = (w: string) => !only || only === w;
  const res = (workload: string, metric: string, value: number, unit: string, target?: string, note?: string) =>
    out.push(emit({ suite: 'api', workload, metric, value, unit, target, note }));

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
    res('startup', 'cold-start', round(median(starts)), 'ms', '≤ 1000', `spawn to ready line, fresh data dir, median of ${RUNS}`);
    res('startup', 'idle-rss', round(median(rss)), 'MB', '≤ 100', `2 s after ready, median of ${RUNS}`);
  }

  const s = await startBerth();
  try {
    if (want('create')) {
      const one: number[] = [];
      const many: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await namespace(s, `one-${i}`);
        one.push(await createMany(s, `one-${i}`, 1000, 1));
        await namespace(s, `many-${i}`);
        many.push(await createMany(s, `many-${i}`, 10_000, 64));
      }
      res('create', 'creates-1-client', round(median(one)), 'creates/s', undefined, `1000 pods, sequential, durable, median of ${RUNS}`);
      res('create', 'creates-64-clients', round(median(many)), 'creates/s', '≥ 5000', `10 000 pods, 64 concurrent, durable, median of ${RUNS}`);
    } else {
      await namespace(s, 'many-0');
      await createMany(s, 'many-0', 10_000, 64);
    }

    if (want('get')) {
      const lat: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const t0 = performance.now();
        const r = await call(s, 'GET', `/api/v1/namespaces/many-0/pods/p-${(i * 7919) % 10_000}`);
        lat.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`get: ${r.status}`);
      }
      res('get', 'p50', round(percentile(lat, 50), 2), 'ms', undefined, '5000 sequential gets');
      res('get', 'p99', round(percentile(lat, 99), 2), 'ms');
    }

    if (want('list')) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await call(s, 'GET', '/api/v1/namespaces/many-0/pods');
        times.push(performance.now() - t0);
        const n = (JSON.parse(r.text).items as unknown[]).length;
        if (n !== 10_000) throw new Error(`list returned ${n}`);
      }
      res('list', 'list-10000-pods', round(median(times)), 'ms', '≤ 200', 'full JSON list from the watch cache, median of 5');
      const paged: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        let cont = '';
        let n = 0;
        do {
          const r = JSON.parse((await call(s, 'GET', `/api/v1/namespaces/many-0/pods?limit=500${cont ? `&continue=${cont}` : ''}`)).text);
          n += r.items.length;
          cont = r.metadata.continue ?? '';
        } while (cont);
        paged.push(performance.now() - t0);
        if (n !== 10_000) throw new Error(`paged list returned ${n}`);
      }
      res('list', 'list-10000-pods-paged-500', round(median(paged)), 'ms', undefined, 'as kubectl lists: limit=500 + continue, consistent snapshot from the store, median of 3');
    }

    if (want('watch')) {
      const rates: number[] = [];
      for (let run = 0; run < RUNS; run++) {
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
        rates.push(delivered / ((last - t0) / 1000));
        for (const w of ws) w.close();
      }
      res('watch', 'fan-out-100-watchers', Math.round(median(rates)), 'events/s', '≥ 100000', `2000 pod creates (64 clients) seen by 100 watchers, median of ${RUNS}`);
    }
  } finally {
    await s.stop();
  }
  return out;
}

async function currentRv(s: BenchServer): Promise<string> {
  return JSON.parse((await call(s, 'GET', '/api/v1/namespaces?limit=1')).text).metadata.resourceVersion;
}
