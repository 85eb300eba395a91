import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/object.js';
import { decodeObject, encode, encodeWritten, jsonAtRevision, jsonWithRevisionLast } from './stored-form.js';
import { decode } from './watch-cache.js';

test('what is stored has no resourceVersion; decodeObject gives the object back at the store revision', () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', resourceVersion: '7' }, data: { a: '1' } };
  const stored = encode(obj);
  assert.equal(JSON.parse(stored).metadata.resourceVersion, undefined);
  assert.equal(obj.metadata.resourceVersion, '7', 'encode leaves the caller its object as it was');
  assert.deepEqual(decodeObject(stored, 42), { ...obj, metadata: { ...obj.metadata, resourceVersion: '42' } });
  // A value without metadata still gets a resourceVersion.
  assert.deepEqual(decodeObject('{"kind":"X"}', 3), { kind: 'X', metadata: { resourceVersion: '3' } });
  // The watch cache's decode is the same object, with its JSON.
  const { obj: cached, json } = decode(stored, 42);
  assert.deepEqual(cached, decodeObject(stored, 42));
  assert.deepEqual(JSON.parse(json), cached);
});

test('encodeWritten is encode, byte for byte, and says where metadata begins; jsonAtRevision inserts the resourceVersion there', () => {
  const objects: KObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', resourceVersion: '9', labels: { a: 'b' } },
      spec: { x: undefined, y: [1, 'z'] },
    } as unknown as KObject,
    // metadata after a spec that holds its own "metadata" (a template), as a client may send it
    { spec: { template: { metadata: { name: 'inner' } } }, metadata: { name: 'd' }, kind: 'Deployment', apiVersion: 'apps/v1' } as unknown as KObject,
    { kind: 'X', metadata: {} } as unknown as KObject,
    { kind: 'X', metadata: { name: 'q"uote\\d', annotations: { '\u00e9\n': '"}{' } }, '10': 'numeric key first', status: null } as unknown as KObject,
  ];
  for (const obj of objects) {
    const before = JSON.stringify(obj);
    const { value, written } = encodeWritten(obj);
    assert.equal(value, encode(obj));
    assert.deepEqual(JSON.parse(JSON.stringify(obj)), JSON.parse(before), 'the caller keeps its object as it was');
    assert.equal(written.obj, obj);
    const json = jsonAtRevision(value, written.metadataAt, 42)!;
    assert.deepEqual(JSON.parse(json), decodeObject(value, 42));
  }
  // Metadata that is not an object, or an offset that does not point at it: no JSON, the caller decodes.
  const { value, written } = encodeWritten({ kind: 'X', metadata: 'odd' } as unknown as KObject);
  assert.equal(written.metadataAt, -1);
  assert.equal(jsonAtRevision(value, written.metadataAt, 1), undefined);
  assert.equal(jsonAtRevision('{"kind":"X","metadata":{}}', 3, 1), undefined);
});

// ---- jsonWithRevisionLast against JSON.stringify, over generated objects ----

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['name', 'labels', 'resourceVersion', '10', '0', 'ключ', 'a"b', 'back\\slash', '}', '{', '', 'metadata', 'x'];
const SCALARS: unknown[] = [1, -0.5, true, null, undefined, 's', '"}{', 'ü😀', '\n', () => 1];

function value(r: () => number, depth: number): unknown {
  const roll = r();
  if (depth > 3 || roll < 0.4) return SCALARS[Math.floor(r() * SCALARS.length)];
  if (roll < 0.6) return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth + 1));
  return object(r, depth + 1);
}

function object(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let n = Math.floor(r() * 5); n > 0; n--) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth);
  return o;
}

test('generated objects: the JSON made from the stored value is JSON.stringify of the written object at its revision, byte for byte', () => {
  let withRevision = 0;
  for (let seed = 1; seed <= 500; seed++) {
    const r = rng(seed);
    const obj = object(r, 0) as unknown as KObject;
    // metadata: an object (sometimes empty, sometimes with a resourceVersion anywhere in it), placed anywhere
    const metadata = object(r, 1);
    if (r() < 0.5) {
      metadata.resourceVersion = String(Math.floor(r() * 1000));
      withRevision++;
    }
    const at = Math.floor(r() * 3);
    const entries = Object.entries(obj).filter(([k]) => k !== 'metadata');
    const placed = Object.fromEntries([...entries.slice(0, at), ['metadata', metadata], ...entries.slice(at)]) as unknown as KObject;
    const encoded = encodeWritten(placed);
    const rev = 1 + Math.floor(r() * 1e9);
    const json = jsonWithRevisionLast(encoded.value, encoded.written, rev);
    placed.metadata.resourceVersion = String(rev);
    assert.equal(json, JSON.stringify(placed), `seed ${seed}`);
  }
  assert.ok(withRevision > 200 && withRevision < 300, `${withRevision} objects written with a resourceVersion`);
  // Metadata that is not an object: none, the caller serializes.
  const odd = encodeWritten({ kind: 'X', metadata: 'odd' } as unknown as KObject);
  assert.equal(jsonWithRevisionLast(odd.value, odd.written, 1), undefined);
});
