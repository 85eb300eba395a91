// etcd outages and partitions: a server whose link to etcd is cut (a TCP proxy on loopback that
// the test drops) and restored many times under writes made through a second server, and etcd
// itself killed and restarted. The cut server's watch cache must end equal to the store, /readyz
// must say not ready until the cache has caught up, and a watch held across the outages must
// either deliver every change in order or end with 410 (never miss one silently).
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { api, eventually, requireCommand, startServer, watchEvents, type RunningServer } from './harness.js';
import { startCutProxy, startEtcd, type RunningEtcd } from './etcd-harness.js';

const hasEtcd = requireCommand('etcd');
const cleanups: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const CMS = '/api/v1/namespaces/default/configmaps';
/** As in the report that found the cache 91 objects away from the store. */
const CUTS = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function etcdOne(): Promise<RunningEtcd> {
  const e = await startEtcd();
  cleanups.push(() => e.stop());
  return e;
}

async function serverOn(endpoints: string[]): Promise<RunningServer> {
  // Only the API server: the test is about its store and cache, not about leader elections.
  const s = await startServer({ args: ['--datastore', `etcd://${endpoints.join(',')}`, '--disable-scheduler', '--disable-controller-manager'] });
  cleanups.push(async () => {
    await s.stop();
    s.cleanup();
  });
  return s;
}

/** name -> resourceVersion of the ConfigMaps in default, from the cache (rv=0) or from etcd (rv ""), and the list's revision. */
async function listConfigMaps(s: RunningServer, fromCache: boolean): Promise<{ items: Map<string, number>; revision: number }> {
  const r = await api(s, 'GET', `${CMS}${fromCache ? '?resourceVersion=0' : ''}`);
  assert.equal(r.status, 200, r.text);
  return {
    items: new Map(r.json.items.map((i: any) => [i.metadata.name, Number(i.metadata.resourceVersion)])),
    revision: Number(r.json.metadata.resourceVersion),
  };
}
const configMaps = async (s: RunningServer, fromCache: boolean) => (await listConfigMaps(s, fromCache)).items;

const changes = (events: any[]) =>
  events.filter((e) => e.type !== 'BOOKMARK' && e.type !== 'ERROR').map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);

async function readyz(s: RunningServer): Promise<{ status: number; text: string }> {
  try {
    return await api(s, 'GET', '/readyz');
  } catch (e) {
    return { status: 0, text: (e as Error).message };
  }
}

/** Creates, updates and deletes ConfigMaps through a server until stopped; remembers what it deleted. */
function startWriter(s: RunningServer) {
  const live: string[] = [];
  const deleted = new Set<string>();
  let n = 0;
  let stopped = false;
  const errors: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      const i = n++;
      let r;
      if (i % 4 < 2 || live.length < 5) {
        const name = `w-${i}`;
        r = await api(s, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
        if (r.status === 201) live.push(name);
      } else if (i % 4 === 2) {
        const name = live[i % live.length]!;
        r = await api(s, 'PATCH', `${CMS}/${name}`, { data: { i: String(i) } }, { 'Content-Type': 'application/merge-patch+json' });
      } else {
        const name = live.shift()!;
        deleted.add(name);
        r = await api(s, 'DELETE', `${CMS}/${name}`);
      }
      if (r.status >= 300) errors.push(`${r.status} ${r.text}`);
      await sleep(5);
    }
  })();
  return {
    deleted,
    writes: () => n,
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

test(
  'a server cut off from etcd and back 12 times under writes: not ready until caught up, its cache equals the store, its watch misses nothing',
  { skip: !hasEtcd, timeout: 300_000 },
  async (t) => {
    const etcd = await etcdOne();
    const proxy = await startCutProxy(etcd.endpoints[0]!);
    cleanups.push(() => proxy.close());
    const a = await serverOn([proxy.endpoint]);
    const b = await serverOn(etcd.endpoints);
    const rv = (await api(b, 'GET', CMS)).json.metadata.resourceVersion;
    const path = `${CMS}?watch=true&resourceVersion=${rv}&timeoutSeconds=900`;
    const wA = watchEvents(a, path);
    const wB = watchEvents(b, path);
    cleanups.push(() => (wA.close(), wB.close()));
    const writer = startWriter(b);
    const readyAfter: number[] = [];
    const probeSeen: number[] = [];
    try {
      for (let round = 0; round < CUTS; round++) {
        await sleep(200);
        proxy.cut();
        const cutMs = 300 + ((round * 397) % 1200);
        await sleep(cutMs / 2);
        const during = await readyz(a);
        assert.equal(during.status, 503, `round ${round}: not ready while cut off from etcd: ${during.text}`);
        await sleep(cutMs / 2);
        // What etcd holds now, written while the link was down: the cut server must hold at least
        // this once it says it is ready again.
        const { items: before, revision: beforeRv } = await listConfigMaps(b, false);
        proxy.restore();
        const restored = Date.now();
        let ready: { status: number; text: string };
        while ((ready = await readyz(a)).status !== 200) {
          assert.ok(Date.now() - restored < 30_000, `round ${round}: ready within 30 s of the link coming back: ${ready.text}`);
          await sleep(20);
        }
        readyAfter.push(Date.now() - restored);
        const cached = await configMaps(a, true);
        for (const [name, v] of before) {
          const got = cached.get(name);
          if (got === undefined)
            assert.ok(writer.deleted.has(name), `round ${round}: ${name}@${v} (in etcd before the link came back) is in the cache once ready`);
          else assert.ok(got >= v, `round ${round}: ${name} at ${got} in the cache, at ${v} in etcd before the link came back`);
        }
        for (const [name, v] of cached)
          if (!before.has(name))
            assert.ok(
              v > beforeRv,
              `round ${round}: ${name}@${v} is in the cache once ready, but etcd no longer had it at ${beforeRv} before the link came back`,
            );
        // A write right after recovery reaches the watch held across the outage within a bound.
        const probe = `probe-${round}`;
        const sent = Date.now();
        assert.equal((await api(b, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: probe } })).status, 201);
        await eventually(
          () => wA.ended() || wA.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === probe),
          `the held watch sees ${probe}`,
          10_000,
        );
        probeSeen.push(Date.now() - sent);
        assert.ok(probeSeen.at(-1)! < 2000, `round ${round}: a write right after recovery is in the watch within 2 s (took ${probeSeen.at(-1)} ms)`);
      }
    } finally {
      await writer.stop();
    }
    assert.deepEqual(writer.errors, [], 'every write through the server on the healthy link succeeded');

    // The cut server's cache ends equal to the store.
    const store = await configMaps(b, false);
    await eventually(
      async () => JSON.stringify([...(await configMaps(a, true))].sort()) === JSON.stringify([...store].sort()),
      'the cut server cache equals etcd',
      10_000,
    );
    // The watch held on the cut server saw every change the healthy server's watch saw, in the same
    // order; or it ended with 410 Expired having seen a prefix of them (and a re-list shows the rest).
    const endedWith410 = wA.events.some((e) => e.type === 'ERROR' && e.object.code === 410);
    await eventually(() => changes(wB.events).length >= writer.writes() - writer.errors.length, 'the reference watch has every write');
    if (!endedWith410)
      await eventually(() => changes(wA.events).length >= changes(wB.events).length, 'the held watch has as many changes as the reference', 10_000);
    const seen = changes(wA.events);
    const reference = changes(wB.events);
    assert.deepEqual(seen, reference.slice(0, seen.length), 'the held watch delivered the same changes in the same order');
    const missed = endedWith410 ? 0 : reference.length - seen.length;
    assert.equal(missed, 0);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    t.diagnostic(
      `figures: ${CUTS} cuts, ${writer.writes()} writes, ${reference.length} changes; ready after the link came back: median ${median(readyAfter)} ms, max ${Math.max(...readyAfter)} ms; ` +
        `write after recovery seen by the held watch: median ${median(probeSeen)} ms, max ${Math.max(...probeSeen)} ms; held watch ${endedWith410 ? 'ended with 410 after' : 'delivered'} ${seen.length} changes, missed ${missed}`,
    );
  },
);

test(
  'etcd killed and restarted: not ready while down, ready within a bound after, the held watch sees the writes after recovery',
  { skip: !hasEtcd, timeout: 120_000 },
  async (t) => {
    const etcd = await etcdOne();
    const s = await serverOn(etcd.endpoints);
    const rv = (await api(s, 'GET', CMS)).json.metadata.resourceVersion;
    const w = watchEvents(s, `${CMS}?watch=true&resourceVersion=${rv}&timeoutSeconds=600`);
    cleanups.push(() => w.close());
    assert.equal((await api(s, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before' } })).status, 201);
    const ours = () =>
      changes(w.events)
        .map((c) => c.split(' ').slice(0, 2).join(' '))
        .filter((c) => / (before|after)$/.test(c));
    await eventually(() => ours().length === 1, `the watch sees the write before the outage: ${JSON.stringify(w.events)}`);
    await etcd.kill(0);
    await eventually(async () => (await readyz(s)).status === 503, 'not ready while etcd is down');
    await sleep(1500);
    assert.equal((await readyz(s)).status, 503, 'still not ready while etcd is down');
    const restartedAt = Date.now();
    await etcd.restart(0);
    const healthyAfter = Date.now() - restartedAt;
    const healthy = Date.now();
    await eventually(async () => (await readyz(s)).status === 200, 'ready again', 30_000);
    const readyAfter = Date.now() - healthy;
    const sent = Date.now();
    const created = await api(s, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } });
    assert.equal(created.status, 201, `a write right after ready succeeds: ${created.text}`);
    await eventually(
      () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'after'),
      'the held watch sees the write after recovery',
      10_000,
    );
    const seenAfter = Date.now() - sent;
    assert.ok(readyAfter < 5000, `ready within 5 s of etcd answering again (took ${readyAfter} ms)`);
    assert.ok(seenAfter < 2000, `a write right after recovery is in the held watch within 2 s (took ${seenAfter} ms)`);
    assert.deepEqual(ours(), ['ADDED before', 'ADDED after'], 'the held watch saw both writes, in order, once each');
    assert.ok(!w.ended(), 'the held watch is still open');
    t.diagnostic(
      `figures: etcd healthy ${healthyAfter} ms after restart; server ready ${readyAfter} ms after that; write after recovery seen by the held watch in ${seenAfter} ms`,
    );
  },
);

test(
  "etcd compacts past a cut-off server's place: its watches end with 410, its cache re-lists, and it is not ready until then",
  { skip: !hasEtcd || !requireCommand('etcdctl'), timeout: 120_000 },
  async (t) => {
    const etcd = await etcdOne();
    const proxy = await startCutProxy(etcd.endpoints[0]!);
    cleanups.push(() => proxy.close());
    const a = await serverOn([proxy.endpoint]);
    const b = await serverOn(etcd.endpoints);
    const rv = (await api(a, 'GET', CMS)).json.metadata.resourceVersion;
    const w = watchEvents(a, `${CMS}?watch=true&resourceVersion=${rv}&timeoutSeconds=600`);
    cleanups.push(() => w.close());
    assert.equal((await api(b, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen' } })).status, 201);
    await eventually(() => w.events.some((e) => e.object?.metadata?.name === 'seen'), 'the watch on the cut server sees a write before the cut');
    proxy.cut();
    for (let i = 0; i < 20; i++) {
      assert.equal((await api(b, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `while-cut-${i}` } })).status, 201);
    }
    assert.equal((await api(b, 'DELETE', `${CMS}/seen`)).status, 200);
    // etcd forgets the history the cut server would resume from.
    const { revision } = await listConfigMaps(b, false);
    const compact = spawnSync('etcdctl', ['--endpoints', etcd.endpoints[0]!, 'compact', String(revision)], {
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
      timeout: 30_000,
    });
    assert.equal(compact.status, 0, compact.stderr);
    proxy.restore();
    const restored = Date.now();
    let ready: { status: number; text: string };
    while ((ready = await readyz(a)).status !== 200) {
      assert.ok(Date.now() - restored < 30_000, `ready within 30 s: ${ready.text}`);
      await sleep(20);
    }
    const readyAfter = Date.now() - restored;
    // Ready means re-listed: the cache equals etcd at once.
    assert.deepEqual([...(await configMaps(a, true))].sort(), [...(await configMaps(b, false))].sort());
    await eventually(() => w.ended(), 'the held watch is closed');
    const last = w.events.at(-1);
    assert.equal(last?.type, 'ERROR', `the held watch ends with an error event: ${JSON.stringify(last)}`);
    assert.equal(last.object.code, 410);
    assert.equal(last.object.reason, 'Expired');
    // A watch from the old revision is refused with 410; one from the re-list works.
    const old = watchEvents(a, `${CMS}?watch=true&resourceVersion=${rv}&timeoutSeconds=5`);
    await eventually(() => old.ended(), 'a watch from a compacted revision ends at once');
    assert.equal(old.events[0]?.object?.code, 410);
    t.diagnostic(`figures: ready (re-listed) ${readyAfter} ms after the link came back past a compaction`);
  },
);
