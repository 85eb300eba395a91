import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, computeHash, fnv32a, safeEncodeString } from './hash.js';

const bytes = (s: string) => new TextEncoder().encode(s);

test('fnv32a matches the reference vectors', () => {
  assert.equal(fnv32a(bytes('')), 0x811c9dc5);
  assert.equal(fnv32a(bytes('a')), 0xe40c292c);
  assert.equal(fnv32a(bytes('foobar')), 0xbf9cf968);
  // Continuing from a state is hashing the concatenation.
  assert.equal(fnv32a(bytes('bar'), fnv32a(bytes('foo'))), 0xbf9cf968);
});

test('safeEncodeString maps digits into the vowel-free alphabet', () => {
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
});

test('computeHash: stable over key order, changed by the template and by collisionCount', () => {
  const t1 = { metadata: { labels: { app: 'a', tier: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  const t2 = { spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { tier: 'b', app: 'a' } } };
  const h = computeHash(t1);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(computeHash(t2), h);
  assert.notEqual(computeHash({ ...t1, spec: { containers: [{ name: 'c', image: 'y' }] } }), h);
  assert.notEqual(computeHash(t1, 0), h);
  assert.notEqual(computeHash(t1, 1), computeHash(t1, 0));
  assert.equal(canonicalJson({ b: 1, a: null, c: [{ y: 2, x: undefined }] }), '{"b":1,"c":[{"y":2}]}');
});
