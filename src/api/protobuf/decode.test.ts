// Decoding protobuf bodies as client-go encodes them. The bytes are built here with a minimal
// encoder following the wire format; kubectl itself is exercised by the e2e tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubernetesProtobuf, PROTOBUF_MAGIC, ProtobufError } from './decode.js';

const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const bytes = (field: number, b: Buffer | number[]): number[] => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, Buffer.from(s));
const int = (field: number, n: number | bigint) => [...varint(field << 3), ...varint(n)];
const entry = (field: number, k: string, v: string) => bytes(field, [...str(1, k), ...str(2, v)]);

function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  return Buffer.concat([PROTOBUF_MAGIC, Buffer.from([...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw)])]);
}

test('a ConfigMap as client-go sends it: empty fields dropped, maps and booleans kept', () => {
  // Go writes every non-pointer field, so generateName "" and a zero creationTimestamp arrive too.
  const meta = [...str(1, 'cfg'), ...str(2, ''), ...str(3, 'apps'), ...int(7, 0), ...bytes(8, [...int(1, -62135596800n), ...int(2, 0)]), ...entry(11, 'app', 'web')];
  const raw = [...bytes(1, meta), ...entry(2, 'k1', 'v1'), ...entry(2, 'k2', ''), ...int(4, 1)];
  const obj = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw));
  assert.deepEqual(obj, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'apps', labels: { app: 'web' } },
    data: { k1: 'v1', k2: '' },
    immutable: true,
  });
});

test('a Namespace and a Deployment with nested messages, int-or-string and pointer zeros', () => {
  const ns = decodeKubernetesProtobuf(envelope('v1', 'Namespace', [...bytes(1, str(1, 'scratch')), ...bytes(2, []), ...bytes(3, [])]));
  assert.deepEqual(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' }, spec: {}, status: {} });
  const container = [...str(1, 'web'), ...str(2, 'nginx:1.25')];
  const template = [...bytes(1, entry(11, 'app', 'web')), ...bytes(2, bytes(2, container))];
  const strategy = [...str(1, 'RollingUpdate'), ...bytes(2, [...bytes(1, [...int(1, 1), ...str(3, '25%')]), ...bytes(2, [...int(1, 0), ...int(2, 1)])])];
  const spec = [...int(1, 0), ...bytes(2, entry(1, 'app', 'web')), ...bytes(3, template), ...bytes(4, strategy)];
  const d = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', [...bytes(1, str(1, 'web')), ...bytes(2, spec)])) as any;
  assert.equal(d.spec.replicas, 0, 'replicas is a pointer: an explicit 0 stays');
  assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web' } });
  assert.deepEqual(d.spec.template.spec.containers, [{ name: 'web', image: 'nginx:1.25' }]);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } });
});

test('garbage is refused with a ProtobufError', () => {
  assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')), ProtobufError);
  assert.throws(() => decodeKubernetesProtobuf(Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x0a, 0x50, 0x01])])), ProtobufError);
  assert.throws(() => decodeKubernetesProtobuf(envelope('v1', 'Frobnicator', [])), ProtobufError);
});
