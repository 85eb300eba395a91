// The watch cache over a store whose watch can lag (etcd): behind() says so from a lost stream
// until the cache holds every change up to the revision the stream resumed at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../storage/sqlite.js';
import type { Store, StoreEvent, WatchStatus } from '../storage/store.js';
import { WatchCache } from './watch-cache.js';

/** A real SQLite store whose watch events the test holds back, as a slow etcd stream would. */
function laggingStore(inner: SqliteStore) {
  let status: WatchStatus = {};
  let held: Array<() => void> | undefined;
  const store = Object.create(inner) as Store;
  Object.defineProperty(store, 'synchronousWatch', { value: false });
  store.watch = (prefix, from, onEvents, onError, s) => {
    status = s ?? {};
    return inner.watch(prefix, from, (evs: StoreEvent[]) => (held ? held.push(() => onEvents(evs)) : onEvents(evs)), onError);
  };
  return {
    store,
    status: () => status,
    hold: () => (held = []),
    release: () => {
      const h = held ?? [];
      held = undefined;
      for (const f of h) f();
    },
  };
}

const cm = (name: string) => JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'ns' } });
const settle = () => new Promise((r) => setTimeout(r, 20));

async function withLaggingCache(fn: (inner: SqliteStore, l: ReturnType<typeof laggingStore>, cache: WatchCache) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-wc-lag-'));
  const inner = new SqliteStore(join(dir, 'db'));
  const l = laggingStore(inner);
  const cache = new WatchCache(l.store, '/registry/configmaps/');
  try {
    await cache.whenReady();
    await fn(inner, l, cache);
  } finally {
    cache.stop();
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('watch cache: behind from a lost stream until the changes up to the resume revision arrive', async () => {
  await withLaggingCache(async (inner, l, cache) => {
    assert.equal(cache.behind(), undefined, 'current after the initial list');
    l.status().interrupted?.('etcd watch interrupted: connection reset');
    assert.match(cache.behind() ?? '', /connection reset/);
    l.hold();
    await inner.create('/registry/configmaps/ns/a', cm('a'));
    await inner.create('/registry/configmaps/ns/b', cm('b'));
    l.status().resumed?.(await inner.currentRevision());
    await settle();
    assert.match(cache.behind() ?? '', /catching up to revision \d+/, 'two changes below the resume revision are still to come');
    l.release();
    assert.equal(cache.behind(), undefined, 'caught up once they are applied');
    assert.deepEqual(
      (await cache.list('/registry/configmaps/')).items.map((e) => e.obj.metadata.name),
      ['a', 'b'],
    );
  });
});

test('watch cache: a resource with no change during the gap is caught up once its keys match the store', async () => {
  await withLaggingCache(async (inner, l, cache) => {
    await inner.create('/registry/configmaps/ns/x', cm('x'));
    await settle();
    l.status().interrupted?.('etcd watch interrupted: stream ended');
    // Other resources moved the store's revision; this one did not change.
    for (let i = 0; i < 3; i++) await inner.create(`/registry/secrets/ns/s${i}`, '{}');
    l.status().resumed?.(await inner.currentRevision());
    assert.ok(cache.behind(), 'behind until the store has been checked');
    await settle();
    assert.equal(cache.behind(), undefined);
  });
});

test('watch cache: a progress notification at the resume revision means caught up, without waiting for the store check', async () => {
  await withLaggingCache(async (inner, l, cache) => {
    l.status().interrupted?.('etcd watch interrupted: stream ended');
    await inner.create('/registry/secrets/ns/other', '{}');
    const rev = await inner.currentRevision();
    l.status().resumed?.(rev);
    assert.ok(cache.behind());
    l.status().progress?.(rev);
    assert.equal(cache.behind(), undefined);
    assert.equal(await cache.revision(), rev, 'the cache is known current at that revision');
  });
});
