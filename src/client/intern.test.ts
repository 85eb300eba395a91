// The interner: values intact, equal values stored once, unique fields left out of the table,
// the table bounded, and the heap of many parsed pods smaller for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowth } from './heap-growth.js';
import { StringInterner } from './intern.js';
import { defaultTransformFor } from './transform.js';
import { resources } from './paths.js';
import type { KubeObject } from './types.js';

function podJson(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `mem-${i}`,
      namespace: 'mem',
      uid: `uid-${i}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: '2026-12-05T04:10:11Z',
      labels: { app: 'mem', shard: String(i % 10) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'mem-5d8f', uid: 'rs-uid', controller: true }],
    },
    spec: {
      nodeName: `sim-${i % 20}`,
      schedulerName: 'default-scheduler',
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
    status: {
      phase: 'Running',
      podIP: `10.1.${i >> 8}.${i & 255}`,
      podIPs: [{ ip: `10.1.${i >> 8}.${i & 255}` }],
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: '2026-12-05T04:10:12Z',
      })),
      containerStatuses: [
        {
          name: 'pause',
          ready: true,
          image: 'registry.k8s.io/pause:3.10',
          containerID: `sim://${i}`,
          state: { running: { startedAt: '2026-12-05T04:10:12Z' } },
        },
      ],
    },
  });
}

test('interning keeps every value, stores each repeated value once and leaves unique fields out', () => {
  const interner = new StringInterner();
  const pods = Array.from({ length: 100 }, (_, i) => interner.internObject(JSON.parse(podJson(i)) as KubeObject));
  pods.forEach((p, i) => assert.deepEqual(p, JSON.parse(podJson(i)), `pod ${i} unchanged in value`));
  const table = new Set<string>();
  // What the table may hold: values (keys are V8's own, shared already) that are not names,
  // uids, resourceVersions, IPs or container ids.
  for (let i = 0; i < 100; i++) {
    for (const s of [`sim-${i % 20}`, String(i % 10)]) table.add(s);
  }
  const shared = [
    'v1',
    'Pod',
    'mem',
    '2026-12-05T04:10:11Z',
    'apps/v1',
    'ReplicaSet',
    'mem-5d8f',
    'rs-uid',
    'default-scheduler',
    'pause',
    'registry.k8s.io/pause:3.10',
    '10m',
    '16Mi',
    'Running',
    'Initialized',
    'Ready',
    'ContainersReady',
    'PodScheduled',
    'True',
    '2026-12-05T04:10:12Z',
  ];
  for (const s of shared) table.add(s);
  assert.equal(interner.size, table.size);
  assert.equal(interner.intern('mem'), 'mem');
  assert.equal(interner.size, table.size, 'an interned value is not added twice');
});

test('the table starts afresh past its limit, and long strings stay out of it', () => {
  const interner = new StringInterner(3);
  for (const s of ['a', 'b', 'c']) interner.intern(s);
  assert.equal(interner.size, 3);
  assert.equal(interner.intern('d'), 'd');
  assert.equal(interner.size, 1);
  assert.equal(interner.intern('x'.repeat(300)), 'x'.repeat(300));
  assert.equal(interner.size, 1);
});

test('interned pods take less heap than pods as JSON.parse makes them', () => {
  const heapFor = (transform: (p: KubeObject) => KubeObject) => {
    const { bytes, result } = heapGrowth(() => Array.from({ length: 20_000 }, (_, i) => transform(JSON.parse(podJson(i)) as KubeObject)));
    assert.equal(result.length, 20_000);
    return bytes / 20_000;
  };
  const plain = heapFor((p) => p);
  const interned = heapFor(defaultTransformFor(resources.pods));
  // Measured about 35 % less; the bound leaves room for the runtime's variation.
  assert.ok(interned < plain * 0.85, `per pod: interned ${Math.round(interned)} B, plain ${Math.round(plain)} B`);
});
