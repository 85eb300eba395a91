import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../storage/sqlite.js';
import { ExpiredError, HistoryBudget, WatchCache, type CacheEntry, type WatchEventType } from './watch-cache.js';
import { attrsFunc, type SelectionAttrs } from './selection-attrs.js';
import { resourceByKey } from '../registry/index.js';

const obj = (name: string, labels: Record<string, string> = {}) =>
  JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'ns', labels } });

async function withCache(fn: (store: SqliteStore, cache: WatchCache) => Promise<void>, capacity?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-wc-'));
  const store = new SqliteStore(join(dir, 'db'));
  const cache = new WatchCache(store, '/registry/configmaps/', capacity);
  try {
    await cache.whenReady();
    await fn(store, cache);
  } finally {
    cache.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function recorder() {
  const seen: Array<[WatchEventType, string, string]> = [];
  return {
    seen,
    watcher: {
      send: (t: WatchEventType, e: CacheEntry) => seen.push([t, e.obj.metadata.name!, e.obj.metadata.resourceVersion!]),
      expire: () => seen.push(['DELETED', 'EXPIRED', '']),
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('watch cache: lists current objects with resourceVersions, sorted by key', async () => {
  await withCache(async (store, cache) => {
    const b = await store.create('/registry/configmaps/ns/b', obj('b'));
    const a = await store.create('/registry/configmaps/ns/a', obj('a'));
    await store.create('/registry/secrets/ns/x', obj('x'));
    const { items, revision } = await cache.list('/registry/configmaps/');
    assert.deepEqual(
      items.map((i) => [i.obj.metadata.name, i.obj.metadata.resourceVersion]),
      [
        ['a', String(a.modRevision)],
        ['b', String(b.modRevision)],
      ],
    );
    assert.equal(JSON.parse(items[0]!.json).metadata.resourceVersion, String(a.modRevision));
    assert.equal(revision, await store.currentRevision());
  });
});

test('watch cache: replays from a revision, filters by selector with enter/leave semantics', async () => {
  await withCache(async (store, cache) => {
    const a = await store.create('/registry/configmaps/ns/a', obj('a', { app: 'x' }));
    const r = recorder();
    const matchX = (a: { labels?: Record<string, string> }) => a.labels?.app === 'x';
    const a2 = await store.update('/registry/configmaps/ns/a', obj('a', { app: 'y' }), a.modRevision);
    await cache.watch({ fromRevision: a.modRevision, sendInitialEvents: false, prefix: '/registry/configmaps/', filter: matchX }, r.watcher);
    // Leaving the selector is DELETED (of the old object, at the new revision).
    assert.deepEqual(r.seen, [['DELETED', 'a', String(a2.modRevision)]]);
    const a3 = await store.update('/registry/configmaps/ns/a', obj('a', { app: 'x' }), a2.modRevision);
    await store.create('/registry/configmaps/ns/other', obj('other', { app: 'z' }));
    await tick();
    assert.deepEqual(r.seen.at(-1), ['ADDED', 'a', String(a3.modRevision)]);
    assert.equal(r.seen.length, 2);
  });
});

test('watch cache: fromRevision 0 sends current objects as ADDED, then changes', async () => {
  await withCache(async (store, cache) => {
    await store.create('/registry/configmaps/ns/a', obj('a'));
    const r = recorder();
    await cache.watch({ fromRevision: 0, sendInitialEvents: true, prefix: '/registry/configmaps/ns/' }, r.watcher);
    const del = await store.delete('/registry/configmaps/ns/a');
    await tick();
    assert.deepEqual(
      r.seen.map((e) => e[0]),
      ['ADDED', 'DELETED'],
    );
    assert.equal(r.seen[1]![2], String(del.modRevision));
  });
});

test('watch cache: the end of the initial events is announced at the revision of that state, before later events', async () => {
  await withCache(async (store, cache) => {
    await store.create('/registry/configmaps/ns/a', obj('a'));
    const b = await store.create('/registry/configmaps/ns/b', obj('b'));
    await store.create('/registry/secrets/ns/s', obj('s'));
    const r = recorder();
    const ends: number[] = [];
    await cache.watch(
      { fromRevision: 0, sendInitialEvents: true, prefix: '/registry/configmaps/ns/' },
      { ...r.watcher, initialEventsEnd: (rev) => (ends.push(rev), r.seen.push(['ADDED', 'END', String(rev)])) },
    );
    const c = await store.create('/registry/configmaps/ns/c', obj('c'));
    await tick();
    // The state's revision is the store's, past the last configmap's (a secret came after it).
    assert.equal(ends.length, 1);
    assert.ok(ends[0]! > b.modRevision && ends[0]! < c.modRevision, `end at ${ends[0]}`);
    assert.deepEqual(
      r.seen.map((e) => e[1]),
      ['a', 'b', 'END', 'c'],
    );
  });
});

test('watch cache: a revision older than the window is Expired; compaction moves the window', async () => {
  await withCache(async (store, cache) => {
    const first = await store.create('/registry/configmaps/ns/a', obj('a'));
    let prev = first;
    for (let i = 0; i < 10; i++) prev = await store.update('/registry/configmaps/ns/a', obj('a', { i: String(i) }), prev.modRevision);
    await assert.rejects(
      cache.watch({ fromRevision: first.modRevision, sendInitialEvents: false, prefix: '/registry/configmaps/' }, recorder().watcher),
      ExpiredError,
    );
    const ok = recorder();
    await cache.watch({ fromRevision: prev.modRevision - 2, sendInitialEvents: false, prefix: '/registry/configmaps/' }, ok.watcher);
    assert.equal(ok.seen.length, 2);
    cache.compact(prev.modRevision);
    await assert.rejects(
      cache.watch({ fromRevision: prev.modRevision - 1, sendInitialEvents: false, prefix: '/registry/configmaps/' }, recorder().watcher),
      ExpiredError,
    );
  }, 4);
});

test('watch cache: the history budget bounds the window by bytes; a watch from a forgotten revision is Expired', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-wc-'));
  const store = new SqliteStore(join(dir, 'db'));
  const budget = new HistoryBudget(100_000);
  const big = new WatchCache(store, '/registry/configmaps/', undefined, budget);
  const small = new WatchCache(store, '/registry/secrets/', undefined, budget);
  try {
    await Promise.all([big.whenReady(), small.whenReady()]);
    const s1 = await store.create('/registry/secrets/ns/s', obj('s'));
    await tick();
    const data = 'x'.repeat(20_000);
    const first = await store.create('/registry/configmaps/ns/a', JSON.stringify({ metadata: { name: 'a' }, data: { v: data } }));
    let prev = first;
    for (let i = 0; i < 20; i++) {
      prev = await store.update('/registry/configmaps/ns/a', JSON.stringify({ metadata: { name: 'a' }, data: { v: data, i: String(i) } }), prev.modRevision);
    }
    await tick();
    // 21 events of ~20 KB each do not fit in 100 KB: the budget holds, by forgetting the big cache's oldest.
    assert.ok(budget.bytes <= 100_000, `history ${budget.bytes} bytes`);
    assert.ok(big.historyBytes >= 60_000, `kept ${big.historyBytes} bytes of configmap history`);
    assert.equal(budget.bytes, big.historyBytes + small.historyBytes);
    await assert.rejects(
      big.watch({ fromRevision: first.modRevision, sendInitialEvents: false, prefix: '/registry/configmaps/' }, recorder().watcher),
      ExpiredError,
    );
    const recent = recorder();
    await big.watch({ fromRevision: prev.modRevision - 2, sendInitialEvents: false, prefix: '/registry/configmaps/' }, recent.watcher);
    assert.deepEqual(
      recent.seen.map((e) => e[2]),
      [String(prev.modRevision - 1), String(prev.modRevision)],
    );
    // The small cache's one event was not the one forgotten.
    const fromSecret = recorder();
    await small.watch({ fromRevision: s1.modRevision - 1, sendInitialEvents: false, prefix: '/registry/secrets/' }, fromSecret.watcher);
    assert.deepEqual(fromSecret.seen, [['ADDED', 's', String(s1.modRevision)]]);
  } finally {
    big.stop();
    small.stop();
    assert.equal(budget.bytes, 0);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watch cache: every version is kept as JSON and selection attributes; the watchers of a change share its one decoding', async () => {
  await withCache(async (store, cache) => {
    const a = await store.create('/registry/configmaps/ns/a', obj('a', { v: '1' }));
    const listed = cache.get('/registry/configmaps/ns/a')!;
    assert.notEqual(listed.obj, listed.obj, 'each read of a stored version decodes its JSON afresh');
    assert.deepEqual(listed.labels, { v: '1' });
    assert.equal(listed.fields['metadata.name'], 'a');
    const seen: Array<[string, unknown]> = [];
    const watcher = (name: string) => ({ send: (_t: WatchEventType, e: CacheEntry) => seen.push([name, e.obj]), expire: () => {} });
    await cache.watch({ fromRevision: a.modRevision, sendInitialEvents: false, prefix: '/registry/configmaps/' }, watcher('w1'));
    await cache.watch({ fromRevision: a.modRevision, sendInitialEvents: false, prefix: '/registry/configmaps/' }, watcher('w2'));
    await store.update('/registry/configmaps/ns/a', obj('a', { v: '2' }), a.modRevision);
    await tick();
    assert.deepEqual(
      seen.map(([w]) => w),
      ['w1', 'w2'],
    );
    assert.equal(seen[0]![1], seen[1]![1], 'one decoded object for every watcher of the change');
    const current = cache.get('/registry/configmaps/ns/a')!;
    assert.notEqual(current.obj, seen[0]![1], 'once delivered, the current version too keeps only its JSON');
    assert.deepEqual(current.obj.metadata.labels, { v: '2' });
    assert.deepEqual(current.labels, { v: '2' });
    assert.deepEqual(listed.obj.metadata.labels, { v: '1' }, 'history still decodes to what it was');
  });
});

test("watch cache: selectors test the kind's selectable fields, kept per version: entering is ADDED, leaving DELETED", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-wc-'));
  const store = new SqliteStore(join(dir, 'db'));
  const cache = new WatchCache(store, '/registry/pods/', undefined, undefined, attrsFunc(resourceByKey('pods')));
  const pod = (phase: string) => JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', namespace: 'ns' }, status: { phase } });
  const running = (a: SelectionAttrs) => a.fields['status.phase'] === 'Running';
  try {
    await cache.whenReady();
    const p1 = await store.create('/registry/pods/ns/p', pod('Pending'));
    const r = recorder();
    await cache.watch({ fromRevision: p1.modRevision, sendInitialEvents: false, prefix: '/registry/pods/', filter: running }, r.watcher);
    assert.equal((await cache.list('/registry/pods/', running)).items.length, 0);
    const p2 = await store.update('/registry/pods/ns/p', pod('Running'), p1.modRevision);
    await tick();
    assert.equal((await cache.list('/registry/pods/', running)).items.length, 1);
    const p3 = await store.update('/registry/pods/ns/p', pod('Succeeded'), p2.modRevision);
    await tick();
    assert.deepEqual(r.seen, [
      ['ADDED', 'p', String(p2.modRevision)],
      ['DELETED', 'p', String(p3.modRevision)],
    ]);
    assert.equal((await cache.list('/registry/pods/', running)).items.length, 0);
  } finally {
    cache.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watch cache snapshots: the sorted view follows creates, updates and deletes, and a snapshot keeps its state', async () => {
  await withCache(async (store, cache) => {
    const names = (items: readonly CacheEntry[]) => items.map((e) => `${e.obj.metadata.name}@${e.rev}`);
    const c = await store.create('/registry/configmaps/ns/c', obj('c'));
    const a = await store.create('/registry/configmaps/ns/a', obj('a'));
    await cache.revision();
    const first = cache.snapshot();
    assert.deepEqual(names(first.entries), [`a@${a.modRevision}`, `c@${c.modRevision}`]);
    // No change since: the same snapshot, at every revision since the last change.
    assert.equal(cache.snapshot(), first);
    assert.equal(cache.snapshotAt(a.modRevision), first);

    const b = await store.create('/registry/configmaps/ns/b', obj('b'));
    const c2 = await store.update('/registry/configmaps/ns/c', obj('c', { v: '2' }), c.modRevision);
    await store.delete('/registry/configmaps/ns/a');
    const d = await store.create('/registry/configmaps/ns/d', obj('d'));
    await store.create('/registry/secrets/ns/x', obj('x'));
    const now = await cache.revision();
    const second = cache.snapshotAt(now)!;
    assert.notEqual(second, first);
    assert.deepEqual(names(second.entries), [`b@${b.modRevision}`, `c@${c2.modRevision}`, `d@${d.modRevision}`]);
    // The first snapshot is unchanged and still serves the revisions it was the state at, and only those.
    assert.deepEqual(names(first.entries), [`a@${a.modRevision}`, `c@${c.modRevision}`]);
    assert.equal(cache.snapshotAt(b.modRevision - 1), first);
    assert.equal(cache.snapshotAt(b.modRevision), undefined, 'no list took a snapshot of that state');
    assert.equal(cache.snapshotAt(now + 1), undefined, 'a revision the cache has not reached');
    // Ranges by prefix are binary searches over the sorted keys.
    assert.deepEqual(second.range('/registry/configmaps/ns/'), [0, 3]);
    assert.deepEqual(second.range('/registry/configmaps/other/'), [3, 3]);
    assert.equal(second.lowerBound('/registry/configmaps/ns/c\0'), 2);

    // Compaction past a snapshot's last revision forgets it: the store answers 410 there.
    cache.compact(b.modRevision);
    assert.equal(cache.snapshotAt(b.modRevision - 1), undefined);
  });
});

test('watch cache snapshots: the merged sorted view equals a full sort after many random changes', async () => {
  await withCache(async (store, cache) => {
    const live = new Map<string, number>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 15; i++) {
        const key = `/registry/configmaps/ns${rand(3)}/k${rand(40)}`;
        const rev = live.get(key);
        if (rev === undefined) live.set(key, (await store.create(key, obj(key))).modRevision);
        else if (rand(2)) live.set(key, (await store.update(key, obj(key, { r: String(round) }), rev)).modRevision);
        else {
          await store.delete(key);
          live.delete(key);
        }
      }
      await cache.revision();
      const got = cache.snapshot().entries.map((e) => [e.key, e.rev]);
      const want = [...live].sort(([x], [y]) => (x < y ? -1 : 1));
      assert.deepEqual(got, want, `round ${round}`);
    }
  });
});

test('watch cache: settled objects are kept encoded; every read and the history budget see the same JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-wc-'));
  const store = new SqliteStore(join(dir, 'db'));
  const budget = new HistoryBudget();
  // No timer: the test sweeps.
  const cache = new WatchCache(store, '/registry/configmaps/', undefined, budget, undefined, 0);
  const big = (name: string, i: number) =>
    JSON.stringify({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name, namespace: 'ns', labels: { app: 'web' } },
      data: { config: `${'line of settings\n'.repeat(60)}${i}` },
    });
  try {
    await cache.whenReady();
    const written = [];
    for (let i = 0; i < 20; i++) written.push(await store.create(`/registry/configmaps/ns/web-${i}`, big(`web-${i}`, i)));
    await tick();
    const plain = new Map([...cache.values()].map((e) => [e.key, e.json]));
    const charged = budget.bytes;
    // One sweep ages what was added, the second encodes it.
    await cache.sweepCold();
    assert.ok([...cache.values()].every((e) => !e.encoded));
    await cache.sweepCold();
    const entries = [...cache.values()];
    // One of them is the others' reference and stays as it was.
    assert.equal(entries.filter((e) => e.encoded).length, 19);
    for (const e of entries) assert.equal(e.json, plain.get(e.key));
    const { items } = await cache.list('/registry/configmaps/ns/');
    assert.equal(items.length, 20);
    const revisionOf = new Map(written.map((w, i) => [`web-${i}`, String(w.modRevision)]));
    for (const e of items) {
      const o = e.obj;
      assert.equal(o.metadata.resourceVersion, revisionOf.get(o.metadata.name!));
      assert.equal((o as { data?: Record<string, string> }).data?.config, JSON.parse(big(o.metadata.name!, Number(o.metadata.name!.slice(4)))).data.config);
    }
    // A watch from the first create replays the others' events as they were written.
    const r = recorder();
    await cache.watch({ fromRevision: written[0]!.modRevision, sendInitialEvents: false, prefix: '/registry/configmaps/' }, r.watcher);
    assert.deepEqual(
      r.seen.map(([, name, rv]) => `${name}@${rv}`),
      written.slice(1).map((w, i) => `web-${i + 1}@${w.modRevision}`),
    );
    assert.equal(budget.bytes, charged, 'encoding changes nothing the history was charged');
    // An update replaces the encoded version with plain JSON; a superseded version is not encoded.
    const updated = await store.update('/registry/configmaps/ns/web-3', big('web-3', 100), written[3]!.modRevision);
    await tick();
    const fresh = cache.get('/registry/configmaps/ns/web-3')!;
    assert.ok(!fresh.encoded);
    assert.equal(JSON.parse(fresh.json).metadata.resourceVersion, String(updated.modRevision));
    await store.update('/registry/configmaps/ns/web-3', big('web-3', 101), updated.modRevision);
    await tick();
    await cache.sweepCold();
    await cache.sweepCold();
    assert.ok(!fresh.encoded, 'a version superseded before its sweep is left alone');
    assert.ok(cache.get('/registry/configmaps/ns/web-3')!.encoded);
  } finally {
    cache.stop();
    assert.equal(budget.bytes, 0, 'every event charged is credited back');
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
