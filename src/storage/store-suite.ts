// One behavioural suite for every Store backend (SQLite now, etcd later): each backend's test
// file calls storeSuite with a factory that opens a fresh, empty store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, ConflictError, KeyExistsError, KeyNotFoundError, type Store, type StoreEvent } from './store.js';

export function storeSuite(name: string, open: () => Promise<Store>): void {
  const withStore = (title: string, fn: (s: Store) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const s = await open();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });

  withStore('revisions increase strictly across keys and writes', async (s) => {
    const r0 = await s.currentRevision();
    const a = await s.create('/a/1', 'one');
    const b = await s.create('/b/1', 'two');
    const a2 = await s.update('/a/1', 'one-b', a.modRevision);
    assert.ok(a.modRevision > r0);
    assert.ok(b.modRevision > a.modRevision);
    assert.ok(a2.modRevision > b.modRevision);
    assert.equal(a2.createRevision, a.modRevision);
    assert.equal(await s.currentRevision(), a2.modRevision);
    assert.deepEqual(await s.get('/a/1'), a2);
  });

  withStore('a list larger than 4 MB (gRPC default limit) comes back whole', async (s) => {
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 60; i++) await s.create(`/big/${String(i).padStart(3, '0')}`, big);
    const page = await s.list('/big/', {});
    assert.equal(page.items.length, 60);
    assert.equal(page.items[59]!.value.length, big.length);
  });

  withStore('create refuses an existing key; update and delete refuse a missing one', async (s) => {
    await s.create('/k', 'v');
    await assert.rejects(s.create('/k', 'w'), KeyExistsError);
    await assert.rejects(s.update('/missing', 'v', 1), KeyNotFoundError);
    await assert.rejects(s.delete('/missing'), KeyNotFoundError);
    assert.equal((await s.get('/k'))?.value, 'v');
  });

  withStore('update is a compare-and-swap on modRevision', async (s) => {
    const kv = await s.create('/k', 'v1');
    const kv2 = await s.update('/k', 'v2', kv.modRevision);
    const err = await s.update('/k', 'v3', kv.modRevision).catch((e) => e);
    assert.ok(err instanceof ConflictError);
    assert.equal(err.current?.modRevision, kv2.modRevision);
    assert.equal((await s.get('/k'))?.value, 'v2');
  });

  withStore('concurrent compare-and-swap: exactly one of many wins', async (s) => {
    const kv = await s.create('/k', '0');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.update('/k', String(i + 1), kv.modRevision)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError).length, 9);
  });

  withStore('delete with a stale precondition is refused; a key can be re-created', async (s) => {
    const kv = await s.create('/k', 'v1');
    await s.update('/k', 'v2', kv.modRevision);
    await assert.rejects(s.delete('/k', kv.modRevision), ConflictError);
    const del = await s.delete('/k');
    assert.equal(del.value, 'v2');
    assert.equal(await s.get('/k'), undefined);
    const again = await s.create('/k', 'v3');
    assert.equal(again.createRevision, again.modRevision);
  });

  withStore('list by prefix, paginated, is a consistent snapshot', async (s) => {
    for (let i = 0; i < 10; i++) await s.create(`/pods/ns/p${i}`, `v${i}`);
    await s.create('/podsx/other', 'not mine');
    const page1 = await s.list('/pods/', { limit: 4 });
    assert.equal(page1.items.length, 4);
    assert.equal(page1.more, true);
    // Writes between pages must not show up in later pages read at the first page's revision.
    await s.delete('/pods/ns/p5');
    await s.create('/pods/ns/p55', 'new');
    const rest: string[] = [];
    let start = page1.items.at(-1)!.key + '\0';
    for (;;) {
      const page = await s.list('/pods/', { limit: 4, startKey: start, revision: page1.revision });
      rest.push(...page.items.map((i) => i.key));
      if (!page.more) break;
      start = page.items.at(-1)!.key + '\0';
    }
    const all = [...page1.items.map((i) => i.key), ...rest];
    assert.deepEqual(
      all,
      Array.from({ length: 10 }, (_, i) => `/pods/ns/p${i}`),
    );
    const latest = await s.list('/pods/');
    assert.deepEqual(
      latest.items.map((i) => i.key),
      ['/pods/ns/p0', '/pods/ns/p1', '/pods/ns/p2', '/pods/ns/p3', '/pods/ns/p4', '/pods/ns/p55', '/pods/ns/p6', '/pods/ns/p7', '/pods/ns/p8', '/pods/ns/p9'],
    );
  });

  withStore('watch replays history from a revision, then live changes, in order', async (s) => {
    const a = await s.create('/w/a', '1');
    await s.update('/w/a', '2', a.modRevision);
    await s.create('/other/x', 'x');
    const seen: StoreEvent[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const h = s.watch(
        '/w/',
        a.modRevision,
        (evs) => {
          seen.push(...evs);
          if (seen.length === 3) {
            h.cancel();
            resolve();
          }
        },
        reject,
      );
    });
    await s.create('/w/b', '3');
    await s.delete('/w/a');
    await done;
    assert.deepEqual(
      seen.map((e) => [e.type, e.kv.key, e.kv.value]),
      [
        ['update', '/w/a', '2'],
        ['create', '/w/b', '3'],
        ['delete', '/w/a', '2'],
      ],
    );
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.kv.modRevision > seen[i - 1]!.kv.modRevision);
  });

  withStore('compaction: history below it answers Compacted, latest values survive', async (s) => {
    const a = await s.create('/c/a', '1');
    const a2 = await s.update('/c/a', '2', a.modRevision);
    const b = await s.create('/c/b', 'x');
    await s.delete('/c/b');
    const rev = await s.currentRevision();
    await s.compact(rev);
    assert.equal(await s.compactedRevision(), rev);
    await assert.rejects(s.list('/c/', { revision: a2.modRevision }), CompactedError);
    const err = await new Promise<Error>((resolve) => s.watch('/c/', b.modRevision, () => {}, resolve));
    assert.ok(err instanceof CompactedError);
    const now = await s.list('/c/');
    assert.deepEqual(
      now.items.map((i) => [i.key, i.value]),
      [['/c/a', '2']],
    );
    // Revisions keep increasing after compaction, even though the newest row was a tombstone.
    const c = await s.create('/c/c', 'y');
    assert.ok(c.modRevision > rev);
  });
}
