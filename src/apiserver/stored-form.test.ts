import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, encode } from './stored-form.js';
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
