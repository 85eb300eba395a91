import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { DeltaReference, MAX_REFERENCE_LENGTH } from './json-delta.js';

/** A Running pod of a ReplicaSet, as the watch cache holds it, with the fields that vary per pod. */
function pod(i: number, rs = 'web-5b979d7dfb', extra: Record<string, unknown> = {}): string {
  const suffix = randomBytes(3).toString('hex').slice(0, 5);
  const volume = `kube-api-access-${randomBytes(3).toString('hex').slice(0, 5)}`;
  const ip = `10.4.${i >> 8}.${i & 255}`;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      resourceVersion: String(1000 + i),
      generateName: `${rs}-`,
      namespace: 'default',
      labels: { app: 'web', 'pod-template-hash': rs.slice(-10) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: '61909c8c-1a7c-4221-81eb-90c310656840', controller: true }],
      name: `${rs}-${suffix}`,
      uid: randomUUID(),
      creationTimestamp: `2026-12-05T16:41:${String(i % 60).padStart(2, '0')}Z`,
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          time: '2026-12-05T16:41:43Z',
          fieldsV1: { 'f:spec': { 'f:volumes': { [`k:{"name":"${volume}"}`]: { '.': {}, 'f:name': {}, 'f:projected': {} } } } },
        },
      ],
      ...extra,
    },
    spec: {
      containers: [
        { name: 'app', image: 'registry.k8s.io/pause:3.10', volumeMounts: [{ name: volume, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] },
      ],
      volumes: [{ name: volume, projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } }],
      nodeName: `node-${i % 7}`,
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      containerStatuses: [{ name: 'app', ready: true, containerID: `containerd://${randomBytes(32).toString('hex')}` }],
    },
  });
}

test('a text encoded against a similar one decodes to itself and is several times shorter', () => {
  const ref = new DeltaReference(pod(0));
  for (let i = 1; i <= 200; i++) {
    const text = pod(i);
    const encoded = ref.encode(text);
    assert.ok(encoded !== undefined, `pod ${i} was not encoded`);
    assert.equal(ref.decode(encoded), text);
    assert.ok(encoded.length * 3 < text.length, `pod ${i}: ${encoded.length} of ${text.length} characters`);
  }
});

test('a pod of another ReplicaSet still shares most of the reference', () => {
  const ref = new DeltaReference(pod(0, 'web-5b979d7dfb'));
  const text = pod(1, 'api-7c8f9d6b4a');
  const encoded = ref.encode(text)!;
  assert.equal(ref.decode(encoded), text);
  assert.ok(encoded.length * 2 < text.length, `${encoded.length} of ${text.length}`);
});

test('texts with nothing in common, empty texts and the reference itself round-trip', () => {
  const refText = pod(0);
  const ref = new DeltaReference(refText);
  const unrelated = JSON.stringify({ data: randomBytes(600).toString('base64') });
  for (const text of [unrelated, '', '{}', 'x', refText, refText + refText]) {
    const encoded = ref.encode(text);
    assert.ok(encoded !== undefined);
    assert.equal(ref.decode(encoded), text);
  }
  // The reference against itself is one copy.
  assert.ok(ref.encode(refText)!.length <= 7);
});

test('characters outside Latin-1 never decode to a different text', () => {
  // U+0141 and U+0241 are 0x41 ('A') in their low byte, which the byte comparison sees: a copy
  // from the reference would turn 'Ł' into 'A'. The result is checked and refused instead.
  const refText = pod(0, 'web-5b979d7dfb', { annotations: { note: 'A'.repeat(40) } });
  const ref = new DeltaReference(refText);
  for (const note of ['Ł'.repeat(40), 'ɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁAɁA', 'żółw 🐢 '.repeat(5), 'é'.repeat(40)]) {
    const text = pod(1, 'web-5b979d7dfb', { annotations: { note } });
    const encoded = ref.encode(text);
    if (encoded !== undefined) assert.equal(ref.decode(encoded), text);
  }
  // A Latin-1 text is encoded and round-trips.
  const latin = pod(2, 'web-5b979d7dfb', { annotations: { note: 'é'.repeat(40) } });
  assert.equal(ref.decode(ref.encode(latin)!), latin);
});

test('a text holding U+0001 (the copy tag) is not encoded', () => {
  const ref = new DeltaReference(pod(0));
  assert.equal(ref.encode(`${pod(1)}\x01`), undefined);
});

test('random texts round-trip against random references', () => {
  const alphabet = '{}[]":,abcdefghij0123456789-é';
  const rand = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
  for (let k = 0; k < 300; k++) {
    const base = rand(50 + Math.floor(Math.random() * 2000));
    const ref = new DeltaReference(base);
    // Pieces of the reference spliced with random text: many copies of every length and offset.
    let text = '';
    while (text.length < 3000) {
      const at = Math.floor(Math.random() * base.length);
      text += Math.random() < 0.5 ? base.slice(at, at + Math.floor(Math.random() * 200)) : rand(Math.floor(Math.random() * 30));
    }
    const encoded = ref.encode(text)!;
    assert.equal(ref.decode(encoded), text);
  }
});

test('the index is rebuilt after it is forgotten, and decoding needs none', () => {
  const ref = new DeltaReference(pod(0));
  const text = pod(1);
  const first = ref.encode(text)!;
  assert.ok(ref.indexed);
  ref.forgetIndex();
  assert.ok(!ref.indexed);
  assert.equal(ref.decode(first), text);
  assert.ok(!ref.indexed);
  assert.equal(ref.encode(text), first);
});

test('references are bounded in length', () => {
  assert.throws(() => new DeltaReference('x'.repeat(MAX_REFERENCE_LENGTH + 1)), RangeError);
});
