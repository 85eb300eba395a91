// The reflector's logic against a scripted ListWatcher: what it lists and watches from, and
// what handlers see, without a server. (test/e2e/client-lib.test.ts runs it against one.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Informer, type ListWatcher } from './informer.js';
import { StatusError } from './errors.js';
import type { WatchEvent } from './types.js';

interface Obj {
  metadata: { name: string; namespace: string; resourceVersion: string };
  data?: string;
}
const obj = (name: string, rv: string, data?: string): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, data });
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

class ScriptedLW implements ListWatcher<Obj> {
  lists: string[] = [];
  watches: Array<{ rv: string; bookmarks: boolean }> = [];
  listResults: Array<{ items: Obj[]; resourceVersion: string } | Error> = [];
  private cur?: { onEvent: (e: WatchEvent<Obj>) => void; onClose: (err?: Error) => void; stopped: boolean };

  async list(opts: { resourceVersion: string }) {
    this.lists.push(opts.resourceVersion);
    const r = this.listResults.shift();
    if (!r) throw new Error('no list scripted');
    if (r instanceof Error) throw r;
    return r;
  }
  watch(opts: { resourceVersion: string; allowWatchBookmarks: boolean }, onEvent: (e: WatchEvent<Obj>) => void, onClose: (err?: Error) => void) {
    this.watches.push({ rv: opts.resourceVersion, bookmarks: opts.allowWatchBookmarks });
    const w = { onEvent, onClose, stopped: false };
    this.cur = w;
    return { stop: () => void (w.stopped = true) };
  }
  send(type: WatchEvent['type'], object: Obj | object) {
    assert.ok(this.cur && !this.cur.stopped, 'a watch is open');
    this.cur.onEvent({ type, object: object as Obj });
  }
  close(err?: Error) {
    const w = this.cur!;
    this.cur = undefined;
    w.onClose(err);
  }
  get watching() {
    return !!this.cur && !this.cur.stopped;
  }
}

function record(inf: Informer<Obj>): string[] {
  const seen: string[] = [];
  inf.addEventHandler({
    onAdd: (o) => seen.push(`add ${o.metadata.name}`),
    onUpdate: (a, b) => seen.push(`update ${a.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name} ${o.data ?? ''}`.trim()),
  });
  return seen;
}

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 400 && !cond(); i++) await tick(5);
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('informer: lists (RV 0), syncs, then watches from the list RV with bookmarks, applying events in order', async () => {
  const lw = new ScriptedLW();
  lw.listResults.push({ items: [obj('a', '3'), obj('b', '4')], resourceVersion: '10' });
  const inf = new Informer<Obj>(lw, { log: () => {} });
  const seen = record(inf);
  inf.start();
  await inf.waitForSync(1000);
  assert.ok(inf.hasSynced());
  assert.deepEqual(lw.lists, ['0']);
  await until(() => lw.watching, 'watch');
  assert.deepEqual(lw.watches, [{ rv: '10', bookmarks: true }]);

  lw.send('ADDED', obj('c', '11'));
  lw.send('MODIFIED', obj('a', '12', 'x'));
  lw.send('DELETED', obj('b', '13', 'final'));
  lw.send('DELETED', obj('never-seen', '14'));
  lw.send('MODIFIED', obj('d', '15')); // unknown: an add
  lw.send('BOOKMARK', { metadata: { resourceVersion: '20' } });
  assert.deepEqual(seen, ['add a', 'add b', 'add c', 'update a 3->12', 'delete b final', 'add d']);
  assert.equal(inf.lastSyncResourceVersion(), '20');
  assert.deepEqual(
    inf
      .list()
      .map((o) => o.metadata.name)
      .sort(),
    ['a', 'c', 'd'],
  );
  assert.equal(inf.get('ns', 'a')?.data, 'x');
  await inf.stop();
  assert.ok(!lw.watching, 'stop ends the watch');
});

test('informer: a watch that ends is resumed from the last RV without re-listing', async () => {
  const lw = new ScriptedLW();
  lw.listResults.push({ items: [], resourceVersion: '5' });
  const inf = new Informer<Obj>(lw, { log: () => {} });
  const seen = record(inf);
  inf.start();
  await until(() => lw.watching, 'watch');
  lw.send('ADDED', obj('a', '6'));
  lw.send('BOOKMARK', { metadata: { resourceVersion: '9' } });
  lw.close(); // server timeout
  await until(() => lw.watches.length === 2, 're-watch');
  lw.send('ADDED', obj('b', '10'));
  lw.close(new Error('socket hang up')); // network drop after some events
  await until(() => lw.watches.length === 3, 're-watch after a drop');
  assert.deepEqual(
    lw.watches.map((w) => w.rv),
    ['5', '9', '10'],
  );
  assert.deepEqual(lw.lists, ['0']);
  assert.deepEqual(seen, ['add a', 'add b']);
  await inf.stop();
});

test('informer: a 410 ERROR event re-lists at the latest RV and emits the difference', async () => {
  const lw = new ScriptedLW();
  lw.listResults.push({ items: [obj('keep', '1'), obj('change', '2'), obj('drop', '3', 'last')], resourceVersion: '3' });
  const inf = new Informer<Obj>(lw, { log: () => {} });
  const seen = record(inf);
  inf.start();
  await until(() => lw.watching, 'watch');
  seen.length = 0;
  lw.listResults.push({ items: [obj('keep', '1'), obj('change', '8'), obj('new', '9')], resourceVersion: '12' });
  lw.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 3 (7)' });
  await until(() => lw.watches.length === 2, 're-watch after re-list');
  assert.deepEqual(lw.lists, ['0', ''], 'after 410 the list asks for the latest');
  assert.deepEqual(seen, ['update change 2->8', 'add new', 'delete drop last']);
  assert.equal(lw.watches[1]!.rv, '12');
  await inf.stop();
});

test('informer: a watch refused with 410 re-lists; other errors back off and re-list from the last RV', async () => {
  const lw = new ScriptedLW();
  lw.listResults.push({ items: [], resourceVersion: '3' });
  const inf = new Informer<Obj>(lw, { log: () => {}, backoffInitialMs: 1, backoffMaxMs: 2 });
  inf.start();
  await until(() => lw.watching, 'watch');
  lw.listResults.push({ items: [], resourceVersion: '7' });
  lw.close(new StatusError({ code: 410, reason: 'Expired', message: 'gone' }));
  await until(() => lw.watches.length === 2, 'watch after 410');
  lw.listResults.push(new Error('connection refused'), { items: [], resourceVersion: '9' });
  lw.send('ERROR', { kind: 'Status', code: 500, reason: 'InternalError', message: 'oops' });
  await until(() => lw.watches.length === 3, 'watch after error and failed list');
  assert.deepEqual(lw.lists, ['0', '', '7', '7']);
  assert.equal(lw.watches[2]!.rv, '9');
  await inf.stop();
});

test('informer: late handlers see the cache as adds; a throwing handler does not stop the others', async () => {
  const lw = new ScriptedLW();
  lw.listResults.push({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '2' });
  const logs: string[] = [];
  const inf = new Informer<Obj>(lw, { log: (m) => logs.push(m) });
  inf.onAdd(() => {
    throw new Error('handler bug');
  });
  inf.start();
  await inf.waitForSync();
  const late: string[] = [];
  inf.onAdd((o) => late.push(o.metadata.name));
  assert.deepEqual(late.sort(), ['a', 'b']);
  await until(() => lw.watching, 'watch');
  lw.send('ADDED', obj('c', '3'));
  assert.deepEqual(late.sort(), ['a', 'b', 'c']);
  assert.equal(logs.filter((l) => l.includes('handler bug')).length, 3);
  await inf.stop();
});

test('informer: stop before sync rejects waitForSync; waitForSync times out', async () => {
  const lw = new ScriptedLW();
  lw.listResults.push(new Error('down'));
  const inf = new Informer<Obj>(lw, { log: () => {}, backoffInitialMs: 10_000 });
  inf.start();
  await assert.rejects(inf.waitForSync(20), /not synced within 20 ms/);
  const waiting = inf.waitForSync();
  await inf.stop();
  await assert.rejects(waiting, /stopped before it synced/);
  assert.equal(inf.hasSynced(), false);
});
