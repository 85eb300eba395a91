// The scheduling queue: priority order, backoff 1 s doubling to 10 s, unschedulable pods moved
// only by events their rejecting plugins registered, gated pods held until the gate is lifted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { makeNode, makePod, makeSnapshot } from './framework/testing.js';
import { INITIAL_BACKOFF_MS, MAX_BACKOFF_MS, SchedulingQueue } from './queue.js';
import { testFramework } from './testing.js';

function setup() {
  let now = 1_000_000;
  const snap = makeSnapshot([]);
  const { fwk } = testFramework(snap);
  const q = new SchedulingQueue(
    () => fwk,
    [fwk],
    () => now,
  );
  return { q, advance: (ms: number) => (now += ms) };
}

const withPriority = (name: string, priority: number): Pod => makePod(name, { priority });

test('pop order: higher priority first, then earlier arrival', async () => {
  const { q, advance } = setup();
  q.add(withPriority('low', 0));
  advance(1);
  q.add(withPriority('high', 100));
  advance(1);
  q.add(withPriority('low2', 0));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())!.podInfo.pod.metadata!.name);
  assert.deepEqual(order, ['high', 'low', 'low2']);
});

test('a pod rejected by NodeResourcesFit waits for an event it registered, not for others', async () => {
  const { q } = setup();
  q.add(makePod('p'));
  const qp = (await q.pop())!;
  q.addUnschedulable(qp, new Set(['NodeResourcesFit']));
  assert.deepEqual(q.counts, { active: 0, backoff: 0, unschedulable: 1, gated: 0 });
  // A namespace being added cannot free resources.
  q.moveOnEvent({ resource: 'Namespace', action: 'Add' });
  assert.equal(q.counts.unschedulable, 1);
  // A node added can: the pod goes to backoff (its 1 s are not over yet), then to active.
  q.moveOnEvent({ resource: 'Node', action: 'Add' }, undefined, makeNode('n'));
  assert.deepEqual(q.counts, { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
});

test('backoff doubles from 1 s to at most 10 s per attempt', async () => {
  const { q, advance } = setup();
  q.add(makePod('p'));
  const waits: number[] = [];
  for (let attempt = 1; attempt <= 6; attempt++) {
    const qp = (await q.pop())!;
    assert.equal(qp.attempts, attempt);
    q.addUnschedulable(qp, new Set(), true); // an error: straight to backoff
    let waited = 0;
    while (q.counts.active === 0) {
      advance(100);
      waited += 100;
      q.flushBackoffCompleted();
    }
    waits.push(waited);
  }
  assert.deepEqual(waits, [INITIAL_BACKOFF_MS, 2000, 4000, 8000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
});

test('an event during the attempt sends the rejected pod to backoff instead of unschedulable', async () => {
  const { q } = setup();
  q.add(makePod('p'));
  const qp = (await q.pop())!;
  q.moveOnEvent({ resource: 'Node', action: 'Add' });
  q.addUnschedulable(qp, new Set(['NodeResourcesFit']));
  assert.deepEqual(q.counts, { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
});

test('unschedulable pods are flushed after 5 minutes even without events', async () => {
  const { q, advance } = setup();
  q.add(makePod('p'));
  q.addUnschedulable((await q.pop())!, new Set(['NodeAffinity']));
  advance(4 * 60_000);
  q.flushUnschedulableLeftover();
  assert.equal(q.counts.unschedulable, 1);
  advance(60_000 + 1);
  q.flushUnschedulableLeftover();
  assert.deepEqual(q.counts, { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
});

test('gated pods wait until their scheduling gates are removed', async () => {
  const { q } = setup();
  const gated = makePod('g', { schedulingGates: [{ name: 'example.com/wait' }] });
  q.add(gated);
  assert.deepEqual(q.counts, { active: 0, backoff: 0, unschedulable: 0, gated: 1 }, 'a gated pod waits among the unschedulable ones, counted apart');
  q.moveOnEvent({ resource: 'Node', action: 'Add' });
  assert.equal(q.counts.gated, 1, 'node events do not ungate');
  q.update({ ...gated, spec: { ...gated.spec!, schedulingGates: [] } });
  assert.deepEqual(q.counts, { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
  assert.equal((await q.pop())!.podInfo.pod.metadata!.name, 'g');
});

test('pop waits for a pod and close releases waiters', async () => {
  const { q } = setup();
  const waiting = q.pop();
  q.add(makePod('late'));
  assert.equal((await waiting)!.podInfo.pod.metadata!.name, 'late');
  const never = q.pop();
  q.close();
  assert.equal(await never, undefined);
});
