import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/object.js';
import { decodeObject, encode, encodeWritten, jsonAtRevision } from './stored-form.js';
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
