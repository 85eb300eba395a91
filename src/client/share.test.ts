// The sharer: values intact, equal parts one frozen object once seen twice, unique parts kept
// out of the shared table, both tables bounded, and the heap of many cached pods smaller for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowth } from './heap-growth.js';
import { sharePodParts, SubtreeSharer } from './share.js';
import { StringInterner } from './intern.js';

function podJson(i: number): string {
  const ip = `10.1.${i >> 8}.${i & 255}`;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: 'ns',
      uid: `uid-${i}`,
      resourceVersion: String(1000 + i),
      labels: { app: 'web', 'pod-template-hash': '5d8f' },
      annotations: {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: `node-${i % 10}`,
      containers: [
        { name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '10m', memory: '16Mi' } }, ports: [{ containerPort: 80, protocol: 'TCP' }] },
      ],
      // One volume of the pod's own (upstream's projected token volume has a random suffix).
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'shared' } }, { name: `token-${i}` }],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      securityContext: {},
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIPs: [{ ip: `192.168.0.${i % 10}` }],
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: '2026-12-05T04:10:12Z',
      })),
      containerStatuses: [
        { name: 'app', ready: true, restartCount: 0, image: 'nginx:1.27', state: { running: { startedAt: '2026-12-05T04:10:12Z' } }, lastState: {} },
      ],
    },
  });
}

type Pod = {
  metadata: Record<string, unknown>;
  spec: { containers: unknown[]; volumes: unknown[]; tolerations: unknown[]; securityContext: object };
  status: { podIPs: unknown[]; hostIPs: unknown[]; conditions: unknown[]; containerStatuses: unknown[] };
};

test('equal parts of pods become one frozen object once seen twice; every pod keeps its value', () => {
  const sharer = new SubtreeSharer();
  const pods = Array.from({ length: 30 }, (_, i) => sharePodParts(JSON.parse(podJson(i)) as Pod, sharer));
  pods.forEach((p, i) => assert.deepEqual(p, JSON.parse(podJson(i)), `pod ${i} unchanged in value`));
  const [a, b, c] = pods as [Pod, Pod, Pod];
  // The first pod's parts became the shared ones when the second pod brought equal ones.
  for (const part of ['labels', 'annotations', 'ownerReferences'] as const) {
    assert.equal(b.metadata[part], a.metadata[part], part);
    assert.equal(c.metadata[part], a.metadata[part], part);
    assert.ok(Object.isFrozen(a.metadata[part]), `${part} frozen`);
  }
  assert.equal(c.spec.containers, a.spec.containers);
  assert.equal(c.spec.tolerations, a.spec.tolerations);
  assert.equal(c.spec.securityContext, a.spec.securityContext);
  assert.equal(c.status.conditions, a.status.conditions);
  assert.equal(c.status.containerStatuses, a.status.containerStatuses);
  assert.ok(Object.isFrozen((a.spec.containers[0] as { resources: { requests: object } }).resources.requests), 'frozen all the way down');
  // The volumes list holds a volume of each pod's own: the list is its own, the common volume shared.
  assert.notEqual(c.spec.volumes, a.spec.volumes);
  assert.equal(c.spec.volumes[0], a.spec.volumes[0]);
  assert.equal(Object.isFrozen(c.spec.volumes), false);
  // hostIPs are shared by the pods of a node (i % 10); podIPs are each pod's own.
  assert.equal(pods[12]!.status.hostIPs, pods[2]!.status.hostIPs);
  assert.notEqual(pods[12]!.status.hostIPs, pods[3]!.status.hostIPs);
  assert.notEqual(c.status.podIPs, a.status.podIPs);
  assert.throws(() => {
    (a.metadata.labels as Record<string, string>).app = 'changed';
  }, TypeError);
});

test('parts seen once stay out of the shared table, and both tables are bounded', () => {
  const sharer = new SubtreeSharer(3, 2);
  for (let i = 0; i < 100; i++) sharer.share({ ip: `10.0.0.${i}` });
  assert.equal(sharer.size, 0, 'unique parts are never shared');
  const x1 = { a: 1 };
  assert.equal(sharer.share(x1), x1);
  assert.equal(sharer.share({ a: 1 }), x1, 'the second sighting gets the first');
  assert.equal(sharer.size, 1);
  for (const v of ['b', 'c']) {
    sharer.share({ v });
    sharer.share({ v });
  }
  assert.equal(sharer.size, 3);
  sharer.share({ v: 'd' });
  sharer.share({ v: 'd' });
  assert.equal(sharer.size, 1, 'the shared table starts afresh past its bound');
  // The table forgot { a: 1 }: a new copy is first seen again (the old one stays frozen in its pods).
  const x2 = { a: 1 };
  assert.equal(sharer.share(x2), x2);
  assert.ok(Object.isFrozen(x1));
  const long = { s: 'x'.repeat(3000) };
  sharer.share(long);
  assert.equal(sharer.share({ s: 'x'.repeat(3000) }) === long, false, 'long parts are not keyed');
});

test('shared pods take less heap than pods with interned strings alone', () => {
  const heapFor = (transform: (p: Pod) => Pod) => {
    const { bytes, result } = heapGrowth(() => Array.from({ length: 20_000 }, (_, i) => transform(JSON.parse(podJson(i)) as Pod)));
    assert.equal(result.length, 20_000);
    return bytes / 20_000;
  };
  const strings = new StringInterner();
  const interned = heapFor((p) => strings.internObject(p));
  const sharer = new SubtreeSharer();
  const shared = heapFor((p) => sharePodParts(strings.internObject(p), sharer));
  // Measured 735 B against 2 127 B; the bound leaves room for the runtime's variation.
  assert.ok(shared < interned * 0.75, `per pod: shared ${Math.round(shared)} B, interned ${Math.round(interned)} B`);
});

test("a pod's own parts stay out of the shared table however many versions of it come; its versions share them unfrozen", () => {
  const sharer = new SubtreeSharer();
  const version = (uid: string, rv: number) => ({
    metadata: { uid, resourceVersion: String(rv) },
    spec: { volumes: [{ name: `token-${uid}` }], containers: [{ name: 'app' }] },
  });
  const a = [1, 2, 3].map((rv) => sharePodParts(version('a', rv), sharer));
  assert.equal(sharer.size, 0, 'versions of one pod are not two pods: nothing enters the shared table');
  assert.equal(a[2]!.spec.volumes, a[0]!.spec.volumes, 'a later version gets the part its first one had');
  assert.equal(Object.isFrozen(a[2]!.spec.volumes), false, 'not shared with another pod: not frozen');
  const b = sharePodParts(version('b', 1), sharer);
  assert.equal(b.spec.containers, a[2]!.spec.containers, "the other pod gets the first pod's part");
  assert.ok(Object.isFrozen(b.spec.containers));
  assert.notEqual(b.spec.volumes, a[2]!.spec.volumes);
  assert.equal(sharer.size, 1, 'the containers list, whole: an equal list is answered without looking at its elements');
  assert.equal(b.spec.containers[0], a[0]!.spec.containers[0]);
  // Two sightings without a uid still count as two objects.
  const x = { k: 'v' };
  sharer.share(x);
  assert.equal(sharer.share({ k: 'v' }), x);
});
