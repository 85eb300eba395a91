import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { budgetStatus, conditionUpToDate, countHealthyPods, disruptedPodMap, expectedPodCount, DELETION_TIMEOUT_MS } from './budget.js';
import { budgetSelects } from '../../registry/poddisruptionbudgets/selects.js';

const pdb = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget => ({
  metadata: { name: 'b', namespace: 'n', generation: 2 },
  spec,
  ...(status ? { status } : {}),
});
const pod = (name: string, ready: boolean, owner?: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: {
    name,
    namespace: 'n',
    labels: { app: 'a' },
    ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] } : {}),
    ...extra,
  },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const scales: Record<string, number> = { rs1: 4, rs2: 6 };
const ownerScale = (p: Pod) => {
  const ref = p.metadata?.ownerReferences?.[0];
  return ref ? { uid: ref.uid, scale: scales[ref.name]! } : undefined;
};

test('selectors: null covers nothing, empty covers every pod (policy/v1), invalid covers nothing', () => {
  assert.equal(budgetSelects(undefined, { app: 'a' }), false);
  assert.equal(budgetSelects({}, { app: 'a' }), true);
  assert.equal(budgetSelects({ matchLabels: { app: 'a' } }, { app: 'a', x: 'y' }), true);
  assert.equal(budgetSelects({ matchLabels: { app: 'b' } }, { app: 'a' }), false);
  assert.equal(budgetSelects({ matchExpressions: [{ key: 'app', operator: 'Bogus' }] }, { app: 'a' }), false);
});

test('expected count: a whole minAvailable counts pods; percentages and maxUnavailable count the controllers replicas, rounding up', () => {
  const pods = [pod('p1', true, 'rs1'), pod('p2', true, 'rs1'), pod('p3', true, 'rs2')];
  assert.deepEqual(expectedPodCount(pdb({ minAvailable: 2 }), pods, ownerScale), { expectedCount: 3, desiredHealthy: 2, unmanagedPods: [] });
  // 10 replicas across rs1 (4) and rs2 (6), each counted once however many pods it has.
  assert.deepEqual(expectedPodCount(pdb({ minAvailable: '25%' }), pods, ownerScale), { expectedCount: 10, desiredHealthy: 3, unmanagedPods: [] });
  assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: '15%' }), pods, ownerScale), { expectedCount: 10, desiredHealthy: 8, unmanagedPods: [] });
  assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: 20 }), pods, ownerScale).desiredHealthy, 0);
  const bare = [...pods, pod('lonely', true)];
  assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: 1 }), bare, ownerScale).unmanagedPods, ['lonely']);
});

test('disrupted pods: recent evictions count as unhealthy until deleted; overdue ones drop out; deleting pods never count', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const recent = '2026-01-01T00:09:30Z';
  const old = new Date(now - DELETION_TIMEOUT_MS - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const budget = pdb(
    { minAvailable: 1 },
    { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0, disruptedPods: { p1: recent, p2: old, gone: recent } },
  );
  const pods = [pod('p1', true), pod('p2', true), pod('p3', true), pod('p4', true, undefined, { deletionTimestamp: recent })];
  const { disrupted, recheckAt, overdue } = disruptedPodMap(budget, pods, now);
  assert.deepEqual(disrupted, { p1: recent });
  assert.deepEqual(overdue, ['p2']);
  assert.equal(recheckAt, Date.parse(recent) + DELETION_TIMEOUT_MS);
  assert.equal(countHealthyPods(pods, disrupted, now), 2, 'p2 and p3: p1 was evicted, p4 is being deleted');
});

test('status: disruptionsAllowed never below 0 nor with no expected pods, and the DisruptionAllowed condition follows it', () => {
  const at = '2026-01-01T00:00:00Z';
  const s = budgetStatus(pdb({ minAvailable: 1 }), { currentHealthy: 3, desiredHealthy: 1, expectedCount: 3, disrupted: {} }, at);
  assert.equal(s.disruptionsAllowed, 2);
  assert.equal(s.observedGeneration, 2);
  assert.deepEqual(s.conditions, [
    { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 2, lastTransitionTime: at },
  ]);
  assert.ok(conditionUpToDate(s));
  const none = budgetStatus(pdb({ minAvailable: 1 }, s), { currentHealthy: 1, desiredHealthy: 1, expectedCount: 3, disrupted: {} }, '2026-01-01T00:01:00Z');
  assert.equal(none.disruptionsAllowed, 0);
  assert.deepEqual(
    none.conditions!.map((c) => [c.status, c.reason, c.lastTransitionTime]),
    [['False', 'InsufficientPods', '2026-01-01T00:01:00Z']],
  );
  assert.equal(budgetStatus(pdb({ maxUnavailable: 1 }), { currentHealthy: 2, desiredHealthy: 0, expectedCount: 0, disrupted: {} }, at).disruptionsAllowed, 0);
  assert.equal(conditionUpToDate({ ...s, disruptionsAllowed: 0 }), false);
});
