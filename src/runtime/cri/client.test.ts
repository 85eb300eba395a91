import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDefinition, nsToMs } from './client.js';

interface MethodDefinition {
  responseSerialize(v: unknown): Buffer;
  responseDeserialize(b: Buffer): { containers: Array<{ id: string; createdAt: unknown }> };
}

test('CRI int64s decode as numbers; their nanosecond timestamps read as milliseconds', () => {
  const list = (loadDefinition()['runtime.v1.RuntimeService'] as unknown as Record<string, MethodDefinition>).ListContainers!;
  const wire = list.responseSerialize({ containers: [{ id: 'c1', createdAt: '1733400000123456789' }] });
  const decoded = list.responseDeserialize(wire).containers[0]!;
  assert.equal(decoded.id, 'c1');
  assert.equal(typeof decoded.createdAt, 'number', 'no decimal string to build and parse again');
  assert.equal(nsToMs(decoded.createdAt), 1733400000123);
  assert.equal(nsToMs('1733400000123456789'), 1733400000123);
  assert.equal(nsToMs(0), 0);
  assert.equal(nsToMs(undefined), 0);
});
