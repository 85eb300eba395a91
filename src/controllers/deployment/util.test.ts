import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import {
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getProportion,
  isSaturated,
  lastRevision,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  resolveFenceposts,
  scaledValue,
  setNewReplicaSetAnnotations,
  type MutableReplicaSet,
} from './util.js';

function d(replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', type = 'RollingUpdate'): Deployment {
  return {
    metadata: { name: 'd', annotations: { 'kubernetes.io/change-cause': 'why', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      strategy: type === 'RollingUpdate' ? { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } : { type },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
    },
  };
}

function rs(
  name: string,
  replicas: number,
  opts: { revision?: string; created?: string; image?: string; available?: number; annotations?: Record<string, string> } = {},
): ReplicaSet {
  return {
    metadata: {
      name,
      uid: name,
      creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z',
      annotations: { ...(opts.revision ? { 'deployment.kubernetes.io/revision': opts.revision } : {}), ...opts.annotations },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: opts.image ?? 'v0' }] } },
    },
    status: { replicas, availableReplicas: opts.available ?? replicas },
  };
}

test('surge rounds up, unavailable rounds down; both zero means one unavailable', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), [3, 2]);
  assert.deepEqual(resolveFenceposts('25%', '25%', 3), [1, 0]);
  assert.deepEqual(resolveFenceposts(0, '1%', 10), [0, 1]);
  assert.deepEqual(resolveFenceposts(2, 0, 10), [2, 0]);
  assert.equal(scaledValue('33%', 10, true), 4);
  assert.equal(scaledValue('33%', 10, false), 3);
  assert.throws(() => scaledValue('3', 10, true), /not a percentage/);
  assert.equal(maxSurge(d(10)), 3);
  assert.equal(maxUnavailable(d(10)), 2);
  assert.equal(maxUnavailable(d(2, 0, 5)), 2, 'never more than replicas');
  assert.equal(maxUnavailable(d(0)), 0);
  assert.equal(maxSurge(d(10, 3, 2, 'Recreate')), 0);
});

test('revisions: max and last (second highest)', () => {
  const rss = [rs('a', 0, { revision: '3' }), rs('b', 0, { revision: '7' }), rs('c', 0, { revision: '5' }), rs('x', 0, { revision: 'bad' })];
  assert.equal(maxRevision(rss), 7);
  assert.equal(lastRevision(rss), 5);
  assert.equal(lastRevision([rs('a', 0, { revision: '1' })]), 0);
});

test('the new ReplicaSet is the one with the template (hash ignored); the oldest when several', () => {
  const dep = d(3);
  const a = rs('a', 1, { image: 'v1', created: '2024-01-02T00:00:00Z' });
  const b = rs('b', 1, { image: 'v1', created: '2024-01-01T00:00:00Z' });
  const old = rs('old', 2, { image: 'v0' });
  const empty = rs('empty', 0, { image: 'v-1' });
  assert.equal(findNewReplicaSet(dep, [a, old, b])!.metadata!.name, 'b');
  const [withPods, all] = findOldReplicaSets(dep, [a, old, empty]);
  assert.deepEqual(
    withPods.map((r) => r.metadata!.name),
    ['old'],
  );
  assert.deepEqual(
    all.map((r) => r.metadata!.name),
    ['old', 'empty'],
  );
  assert.ok(equalIgnoreHash(dep.spec!.template, a.spec!.template));
  // Unset and empty fields are the same.
  assert.ok(equalIgnoreHash({ metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'v1', env: [] }] } }, dep.spec!.template));
  assert.ok(!equalIgnoreHash(old.spec!.template, dep.spec!.template));
});

test('findActiveOrLatest: the one active, the newest when none, none when several', () => {
  const older = rs('older', 0, { created: '2024-01-01T00:00:00Z' });
  const newer = rs('newer', 0, { created: '2024-01-02T00:00:00Z' });
  assert.equal(findActiveOrLatest(undefined, [older, newer])!.metadata!.name, 'newer');
  assert.equal(findActiveOrLatest(rs('n', 0), [older])!.metadata!.name, 'n');
  assert.equal(findActiveOrLatest(rs('n', 0), [rs('o', 2)])!.metadata!.name, 'o');
  assert.equal(findActiveOrLatest(rs('n', 1), [rs('o', 2)]), undefined);
});

test('new ReplicaSet size: up to replicas + maxSurge in total, never past replicas', () => {
  const dep = d(10);
  const newRS = rs('n', 0);
  assert.equal(newRSNewReplicas(dep, [rs('o', 10), newRS], newRS), 3);
  assert.equal(newRSNewReplicas(dep, [rs('o', 8), rs('n', 3)], rs('n', 3)), 5);
  assert.equal(newRSNewReplicas(dep, [rs('o', 13), newRS], newRS), 0);
  assert.equal(newRSNewReplicas(dep, [rs('n', 9)], rs('n', 9)), 10);
  assert.equal(newRSNewReplicas(d(10, 3, 2, 'Recreate'), [newRS], newRS), 10);
});

test('proportions follow the max-replicas annotation and never overshoot', () => {
  const dep = d(20);
  const at13 = (name: string, n: number) => rs(name, n, { annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
  assert.equal(getProportion(at13('o', 8), dep, 12, 0), 7);
  assert.equal(getProportion(at13('n', 5), dep, 12, 7), 5);
  assert.equal(getProportion(at13('n', 5), dep, 12, 10), 2, 'capped by what is left');
  assert.equal(getProportion(at13('n', 0), dep, 12, 0), 0, 'never from zero');
  // Down to zero: the whole size.
  assert.equal(getProportion(at13('o', 8), d(0), -13, 0), -8);
});

test('saturated: desired everywhere and all available', () => {
  const dep = d(3);
  const ann = { 'deployment.kubernetes.io/desired-replicas': '3' };
  assert.ok(isSaturated(dep, rs('n', 3, { annotations: ann })));
  assert.ok(!isSaturated(dep, rs('n', 3, { annotations: ann, available: 2 })));
  assert.ok(!isSaturated(dep, rs('n', 3)));
});

test("new ReplicaSet annotations: the deployment's (not the skipped ones), revision raised, history kept", () => {
  const dep = d(4);
  const fresh = { metadata: { name: 'n' }, spec: {} } as MutableReplicaSet;
  assert.ok(setNewReplicaSetAnnotations(dep, fresh, 1, false));
  assert.deepEqual(fresh.metadata.annotations, {
    'kubernetes.io/change-cause': 'why',
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '4',
    'deployment.kubernetes.io/max-replicas': '5',
  });
  assert.ok(!setNewReplicaSetAnnotations(dep, fresh, 1, true), 'nothing changes the second time');
  // Rolled back to: the revision it had goes into revision-history.
  const back = structuredClone(fresh);
  assert.ok(setNewReplicaSetAnnotations(dep, back, 3, true));
  assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.ok(setNewReplicaSetAnnotations(dep, back, 5, true));
  assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1,3');
  // Revisions compare as numbers: 10 is not below 9.
  const ten = structuredClone(fresh);
  ten.metadata.annotations!['deployment.kubernetes.io/revision'] = '10';
  assert.ok(!setNewReplicaSetAnnotations(dep, ten, 9, true));
  // The history is bounded in length, dropping the oldest.
  const long = structuredClone(fresh);
  long.metadata.annotations!['deployment.kubernetes.io/revision-history'] = '1,2,3';
  setNewReplicaSetAnnotations(dep, long, 7, true, 6);
  assert.equal(long.metadata.annotations!['deployment.kubernetes.io/revision-history'], '2,3,1');
});
