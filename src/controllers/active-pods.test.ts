import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { filterActivePods, isPodAvailable, msUntilAvailable, podDeletionCost, podsToDelete } from './active-pods.js';

const NOW = new Date('2024-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(
  name: string,
  o: { node?: string; phase?: string; readySince?: number; restarts?: number; created?: number; cost?: string; uid?: string } = {},
): Pod {
  return {
    metadata: {
      name,
      uid: o.uid ?? name,
      creationTimestamp: ago(o.created ?? 1000),
      ...(o.cost ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
    },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions:
        o.readySince === undefined ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.readySince) }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: o.restarts ?? 0 }],
    },
  };
}

const order = (pods: Pod[], related: Pod[] = pods) => podsToDelete(pods, related, pods.length - 1, NOW).map((p) => p.metadata!.name);

test('active pods: not finished, not being deleted', () => {
  const done = { ...pod('done', { phase: 'Succeeded' }) };
  const failed = pod('failed', { phase: 'Failed' });
  const dying = { ...pod('dying'), metadata: { name: 'dying', deletionTimestamp: ago(0) } };
  assert.deepEqual(
    filterActivePods([pod('ok'), done, failed, dying]).map((p) => p.metadata!.name),
    ['ok'],
  );
});

test('deletion order: unassigned, Pending < Unknown < Running, not ready, cost, doubled-up, ready briefly, restarts, newest', () => {
  assert.deepEqual(order([pod('assigned', { node: 'n', readySince: 100 }), pod('unassigned', { readySince: 100 })]), ['unassigned']);
  assert.deepEqual(
    order([pod('running', { node: 'n', phase: 'Running' }), pod('unknown', { node: 'n', phase: 'Unknown' }), pod('pending', { node: 'n', phase: 'Pending' })]),
    ['pending', 'unknown'],
  );
  assert.deepEqual(order([pod('ready', { node: 'n', readySince: 10 }), pod('notready', { node: 'n' })]), ['notready']);
  assert.deepEqual(
    order([
      pod('cheap', { node: 'n', readySince: 10, cost: '-5' }),
      pod('dear', { node: 'n', readySince: 10, cost: '5' }),
      pod('plain', { node: 'n', readySince: 10 }),
    ]),
    ['cheap', 'plain'],
  );
  // Two pods on n1 and one on n2: one of n1's goes first.
  const doubled = [pod('a1', { node: 'n1', readySince: 10 }), pod('a2', { node: 'n1', readySince: 10 }), pod('b', { node: 'n2', readySince: 10 })];
  assert.notEqual(podsToDelete(doubled, doubled, 1, NOW)[0]!.metadata!.name, 'b');
  // Ready for a short time goes before ready for long (log2 buckets: 4 s vs 1 hour).
  assert.deepEqual(order([pod('long', { node: 'n', readySince: 3600 }), pod('short', { node: 'n', readySince: 4 })]), ['short']);
  assert.deepEqual(order([pod('calm', { node: 'n', readySince: 10 }), pod('crashy', { node: 'n', readySince: 10, restarts: 5 })]), ['crashy']);
  assert.deepEqual(order([pod('old', { node: 'n', readySince: 10, created: 100000 }), pod('new', { node: 'n', readySince: 10, created: 10 })]), ['new']);
});

test('all of them when diff covers every pod', () => {
  const pods = [pod('a'), pod('b')];
  assert.equal(podsToDelete(pods, pods, 5, NOW).length, 2);
});

test('deletion cost: int32, malformed is 0', () => {
  assert.equal(podDeletionCost(pod('a', { cost: '-12' })), -12);
  assert.equal(podDeletionCost(pod('a', { cost: 'abc' })), 0);
  assert.equal(podDeletionCost(pod('a', { cost: '99999999999' })), 0);
  assert.equal(podDeletionCost(pod('a')), 0);
});

test('availability after minReadySeconds', () => {
  const p = pod('a', { readySince: 5 });
  assert.ok(isPodAvailable(p, 0, NOW));
  assert.ok(isPodAvailable(p, 4, NOW));
  assert.ok(!isPodAvailable(p, 5, NOW), 'strictly after');
  assert.ok(!isPodAvailable(p, 10, NOW));
  assert.equal(msUntilAvailable(p, 10, NOW), 5001);
  assert.ok(!isPodAvailable(pod('b'), 0, NOW));
});
