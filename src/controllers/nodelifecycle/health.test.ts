import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { checkNodeHealth, RateLimitedTimedQueue, type HealthCheck } from './health.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function readyNode(heartbeat: number): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: iso(T0 - 3600_000) },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 3600_000) },
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 3600_000) },
      ],
    },
  };
}

const lease = (renew: number): Lease => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: new Date(renew).toISOString() } });

function check(c: Partial<HealthCheck> & Pick<HealthCheck, 'node' | 'now'>) {
  return checkNodeHealth({ saved: undefined, lease: undefined, nowTime: iso(c.now), monitorGracePeriodMs: 40_000, startupGracePeriodMs: 60_000, ...c });
}

test('a node renewing its lease stays healthy though its status heartbeat is old', () => {
  const node = readyNode(T0);
  let v = check({ node, now: T0, lease: lease(T0) });
  assert.equal(v.statusUpdate, undefined);
  for (let t = T0 + 10_000; t <= T0 + 120_000; t += 10_000) {
    v = check({ node, now: t, saved: v.health, lease: lease(t) });
    assert.equal(v.statusUpdate, undefined, `healthy at +${(t - T0) / 1000}s`);
    assert.equal(v.health.probeTimestamp, t);
  }
});

test('a node silent past the grace period gets every condition Unknown, written once', () => {
  const node = readyNode(T0);
  let v = check({ node, now: T0, lease: lease(T0) });
  v = check({ node, now: T0 + 40_000, saved: v.health, lease: lease(T0) });
  assert.equal(v.statusUpdate, undefined, 'exactly the grace period is still fine');
  v = check({ node, now: T0 + 41_000, saved: v.health, lease: lease(T0) });
  assert.ok(v.statusUpdate);
  assert.equal(v.observedReady.status, 'True');
  assert.equal(v.currentReady?.status, 'Unknown');
  const conditions = v.statusUpdate.status!.conditions!;
  assert.deepEqual(
    conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
      ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
    ],
  );
  assert.equal(conditions[0]!.lastHeartbeatTime, iso(T0), 'the last heartbeat stays what the node sent');
  assert.equal(conditions[0]!.lastTransitionTime, iso(T0 + 41_000));
  // Written: the next pass sees Unknown already and writes nothing.
  const again = check({ node: v.statusUpdate, now: T0 + 46_000, saved: v.healthAfterUpdate, lease: lease(T0) });
  assert.equal(again.statusUpdate, undefined);
  assert.equal(again.observedReady.status, 'Unknown');
});

test('a new heartbeat in the Ready condition counts as hearing from the node', () => {
  let v = check({ node: readyNode(T0), now: T0 });
  v = check({ node: readyNode(T0 + 30_000), now: T0 + 30_000, saved: v.health });
  assert.equal(v.health.probeTimestamp, T0 + 30_000);
  v = check({ node: readyNode(T0 + 30_000), now: T0 + 65_000, saved: v.health });
  assert.equal(v.statusUpdate, undefined);
  v = check({ node: readyNode(T0 + 30_000), now: T0 + 71_000, saved: v.health });
  assert.ok(v.statusUpdate);
});

test('a node that never posted a Ready condition gets the startup grace period from its creation', () => {
  const created = T0;
  const node: Node = { metadata: { name: 'n1', creationTimestamp: iso(created) }, status: {} };
  let v = check({ node, now: created + 50_000 });
  assert.equal(v.statusUpdate, undefined);
  assert.equal(v.observedReady.status, 'Unknown');
  v = check({ node, now: created + 61_000, saved: v.health });
  assert.ok(v.statusUpdate);
  assert.deepEqual(
    v.statusUpdate.status!.conditions!.find((c) => c.type === 'Ready'),
    {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
      lastHeartbeatTime: iso(created),
      lastTransitionTime: iso(created + 61_000),
    },
  );
});

test('the tainting queue takes due nodes at its rate, none with a zero limiter, and retries later when asked', async () => {
  let now = 0;
  const q = new RateLimitedTimedQueue(1, () => now);
  assert.ok(q.add('a'));
  assert.ok(!q.add('a'), 'already waiting');
  q.add('b');
  const seen: string[] = [];
  await q.try(async (n) => (seen.push(n), true));
  assert.deepEqual(seen, ['a'], 'burst of one');
  now = 1000;
  await q.try(async (n) => (seen.push(n), true));
  assert.deepEqual(seen, ['a', 'b']);
  q.add('c');
  q.swapLimiter(0);
  now = 10_000;
  await q.try(async (n) => (seen.push(n), true));
  assert.deepEqual(seen, ['a', 'b'], 'no tainting while the zone is fully disrupted');
  q.swapLimiter(100);
  now = 11_000;
  await q.try(async () => ({ retryAfterMs: 500 }));
  assert.ok(q.has('c'));
  now = 11_200;
  await q.try(async (n) => (seen.push(n), true));
  assert.deepEqual(seen, ['a', 'b'], 'not due yet');
  now = 11_600;
  await q.try(async (n) => (seen.push(n), true));
  assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.ok(!q.has('c'));
});
