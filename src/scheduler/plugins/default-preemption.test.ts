// DefaultPreemption: which node and which victims, as upstream picks them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { makeNode, makePod, makeSnapshot, withRequests } from '../framework/testing.js';
import { DefaultPreemption, ERR_NO_VICTIMS, ERR_NOT_HELPFUL, ERR_POLICY_NEVER } from './default-preemption.js';
import { SchedulingAlgorithm, FitError } from '../schedule-pod.js';
import { testFramework } from '../testing.js';

const onNode = (name: string, node: string, cpu: string, priority: number, startTime?: string): Pod => {
  const p = makePod(name, { nodeName: node, priority, containers: [withRequests(cpu)] });
  if (startTime) (p as any).status = { startTime };
  return p;
};

function setup(nodes: ReturnType<typeof makeNode>[], pods: Pod[]) {
  const snap = makeSnapshot(nodes, pods);
  const evicted: string[] = [];
  const { fwk, handle } = testFramework(snap, { evictVictim: (v) => void evicted.push(v.metadata!.name!) });
  const plugin = new DefaultPreemption(undefined, handle, () => 0);
  /** Runs the cycle up to PostFilter as the scheduler does. */
  const preempt = async (pod: Pod) => {
    const state = fwk.newCycleState();
    try {
      new SchedulingAlgorithm(() => 0).schedulePod(fwk, state, pod, snap);
      throw new Error('expected the pod not to fit');
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      return plugin.postFilter(state, pod, e.diagnosis.nodeToStatus);
    }
  };
  return { preempt, evicted };
}

const node4 = (name: string) => makeNode(name, { cpu: '4', memory: '16Gi', pods: '110' });

test('the minimal set of lowest-priority victims: higher ones are reprieved first', async () => {
  const { preempt, evicted } = setup(
    [node4('n1')],
    [onNode('p0', 'n1', '1', 0), onNode('p1', 'n1', '1', 1), onNode('p2', 'n1', '1', 2), onNode('p9', 'n1', '1', 9)],
  );
  const r = await preempt(makePod('high', { priority: 100, containers: [withRequests('2')] }));
  assert.ok(r.status.isSuccess(), r.status.message());
  assert.equal(r.result?.nominatedNodeName, 'n1');
  assert.deepEqual(evicted.sort(), ['p0', 'p1']);
});

test('node choice: fewer high-priority victims win over more low-priority ones', async () => {
  // n1 would lose one pod of priority 5, n2 two pods of priority 1: upstream prefers n2
  // (lowest highest-victim priority comes before the victim count).
  const { preempt, evicted } = setup([node4('n1'), node4('n2')], [onNode('a5', 'n1', '4', 5), onNode('b1', 'n2', '2', 1), onNode('c1', 'n2', '2', 1)]);
  const r = await preempt(makePod('high', { priority: 100, containers: [withRequests('3')] }));
  assert.equal(r.result?.nominatedNodeName, 'n2');
  assert.deepEqual(evicted.sort(), ['b1', 'c1']);
});

test('node choice: same priorities, fewer victims; then the latest-started victims', async () => {
  const few = setup([node4('n1'), node4('n2')], [onNode('a', 'n1', '2', 1), onNode('b', 'n1', '2', 1), onNode('c', 'n2', '4', 1)]);
  const r1 = await few.preempt(makePod('high', { priority: 100, containers: [withRequests('3')] }));
  // n1: two victims (sum of priorities higher), n2: one.
  assert.equal(r1.result?.nominatedNodeName, 'n2');

  const late = setup([node4('n1'), node4('n2')], [onNode('old', 'n1', '4', 1, '2026-01-01T00:00:00Z'), onNode('new', 'n2', '4', 1, '2026-06-01T00:00:00Z')]);
  const r2 = await late.preempt(makePod('high', { priority: 100, containers: [withRequests('3')] }));
  assert.equal(r2.result?.nominatedNodeName, 'n2', 'evicting the pod that started latest loses the least work');
  assert.deepEqual(late.evicted, ['new']);
});

test('no victims of lower priority, or a node too small: the upstream reasons', async () => {
  const { preempt, evicted } = setup([node4('busy'), makeNode('tiny', { cpu: '1', memory: '16Gi', pods: '110' })], [onNode('same', 'busy', '4', 100)]);
  const r = await preempt(makePod('high', { priority: 100, containers: [withRequests('2')] }));
  assert.ok(!r.status.isSuccess());
  assert.equal(r.status.message(), `preemption: 0/2 nodes are available: 1 ${ERR_NO_VICTIMS}, 1 ${ERR_NOT_HELPFUL}`);
  assert.deepEqual(evicted, []);
});

test('preemptionPolicy Never does not preempt', async () => {
  const { preempt, evicted } = setup([node4('n1')], [onNode('low', 'n1', '4', 0)]);
  const r = await preempt(makePod('polite', { priority: 100, preemptionPolicy: 'Never', containers: [withRequests('2')] }));
  assert.equal(r.status.message(), ERR_POLICY_NEVER);
  assert.deepEqual(evicted, []);
});

test('the arithmetic dry run and the full filter dry run pick the same victims', async () => {
  const pods = [onNode('p0', 'n1', '1', 0), onNode('p1', 'n1', '1500m', 1), onNode('p2', 'n1', '500m', 2), onNode('p9', 'n1', '1', 9)];
  const fast = setup([node4('n1')], pods);
  const rFast = await fast.preempt(makePod('high', { priority: 100, containers: [withRequests('2')] }));
  // A host port keeps NodePorts in the cycle, so the general path (filters on a copy) runs.
  const full = setup(
    [node4('n1')],
    pods.map((p) => ({ ...p })),
  );
  const withPort = makePod('high', { priority: 100, containers: [{ ...withRequests('2'), ports: [{ containerPort: 80, hostPort: 8080 }] }] });
  const rFull = await full.preempt(withPort);
  assert.equal(rFast.result?.nominatedNodeName, 'n1');
  assert.equal(rFull.result?.nominatedNodeName, 'n1');
  assert.deepEqual(fast.evicted.sort(), full.evicted.sort());
  assert.deepEqual(fast.evicted.sort(), ['p0', 'p1']);
});
