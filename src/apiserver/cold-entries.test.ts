import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ColdEntries, familyOf } from './cold-entries.js';
import { CacheEntry } from './watch-cache.js';

test('family: the key up to the last dash of the name, else the namespace', () => {
  assert.equal(familyOf('/registry/pods/ns/web-5b979d7dfb-26ptl'), '/registry/pods/ns/web-5b979d7dfb');
  assert.equal(familyOf('/registry/minions/sim-12'), '/registry/minions/sim');
  assert.equal(familyOf('/registry/configmaps/ns/settings'), '/registry/configmaps/ns');
  assert.equal(familyOf('/registry/configmaps/my-ns/settings'), '/registry/configmaps/my-ns');
});

const entry = (key: string, json: string) => new CacheEntry(key, json, 1, { labels: undefined, fields: {} });
const podJson = (name: string, image: string) =>
  JSON.stringify({
    metadata: { name, uid: randomBytes(16).toString('hex') },
    spec: { containers: [{ name: 'app', image, args: ['--serve', '--port=8080', '--log-level=info'] }] },
    padding: 'x'.repeat(600),
  });

function sweepAll(cold: ColdEntries, entries: CacheEntry[]) {
  for (const e of entries) cold.added(e);
  void cold.sweep(true);
  void cold.sweep(true);
}

/** Entries by key, as the watch cache's map of current versions. */
class Current extends Map<string, CacheEntry> {
  add(e: CacheEntry): void {
    this.set(e.key, e);
  }
}

test('the first of a family is its reference; the rest are encoded against it and read back the same', () => {
  const current = new Current();
  const cold = new ColdEntries((key) => current.get(key), 0);
  const web = Array.from({ length: 10 }, (_, i) => entry(`/registry/pods/ns/web-abc-${i}`, podJson(`web-abc-${i}`, 'nginx:1.27')));
  for (const e of web) current.add(e);
  const before = web.map((e) => e.json);
  sweepAll(cold, web);
  assert.deepEqual(
    web.map((e) => e.encoded),
    [false, ...Array(9).fill(true)],
  );
  assert.deepEqual(
    web.map((e) => e.json),
    before,
  );
  cold.stop();
});

test('small objects, superseded versions and texts too unlike every reference stay as they are', () => {
  const current = new Current();
  const cold = new ColdEntries((key) => current.get(key), 0);
  const small = entry('/registry/configmaps/ns/a', JSON.stringify({ metadata: { name: 'a' } }));
  const first = entry('/registry/pods/ns/web-1', podJson('web-1', 'nginx'));
  const superseded = entry('/registry/pods/ns/web-2', podJson('web-2', 'nginx'));
  const unlike = entry('/registry/secrets/ns/key', JSON.stringify({ data: randomBytes(900).toString('base64') }));
  for (const e of [small, first, unlike]) current.add(e);
  sweepAll(cold, [small, first, superseded, unlike]);
  assert.ok(![small, first, superseded, unlike].some((e) => e.encoded));
  // The unlike secret became a reference of its own: a similar one is encoded against it.
  const alike = entry('/registry/secrets/ns/key2', unlike.json.replace('"data":"', '"data":"ab'));
  current.add(alike);
  sweepAll(cold, [alike]);
  assert.ok(alike.encoded);
  assert.equal(alike.json, unlike.json.replace('"data":"', '"data":"ab'));
  cold.stop();
});
