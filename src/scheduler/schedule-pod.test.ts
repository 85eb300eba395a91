// The scheduling algorithm over real plugins: node sampling as upstream, the FitError message
// shape, tie-breaking, and nominated nodes first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod, makeSnapshot, withRequests } from './framework/testing.js';
import { FitError, numFeasibleNodesToFind, SchedulingAlgorithm, selectHost } from './schedule-pod.js';
import type { Snapshot } from './framework/types.js';
import { testFramework } from './testing.js';

function framework(snap: Snapshot, pct = 0) {
  return testFramework(snap, { profile: { percentageOfNodesToScore: pct } }).fwk;
}

test('numFeasibleNodesToFind follows upstream: all below 100 nodes, 50 − n/125 %, at least 5 % and 100', () => {
  for (const [pct, n, want] of [
    [0, 50, 50],
    [0, 99, 99],
    [0, 100, 100],
    [0, 1000, 420], // 50 − 8 = 42 %
    [0, 5000, 500], // 50 − 40 = 10 %
    [0, 6000, 300], // 50 − 48 = 2 % → 5 %
    [0, 1200, 492], // 50 − 9 = 41 %
    [30, 1000, 300],
    [5, 1000, 100], // 50 < 100 → 100
    [100, 5000, 5000],
  ] as const) {
    assert.equal(numFeasibleNodesToFind(pct, n), want, `pct ${pct}, ${n} nodes`);
  }
});

test('FitError message: reasons counted per node, sorted, with the preemption part', () => {
  const nodes = [
    makeNode('a', { cpu: '1', memory: '1Gi', pods: '10' }),
    makeNode('b', { cpu: '1', memory: '1Gi', pods: '10' }),
    makeNode('c', { cpu: '8', memory: '8Gi', pods: '10' }, { disk: 'hdd' }),
  ];
  const snap = makeSnapshot(nodes);
  const fwk = framework(snap);
  const pod = makePod('p', { containers: [withRequests('500m')], nodeSelector: { disk: 'hdd' } });
  const big = makePod('big', { containers: [withRequests('2')] });
  // A pod asking for more than a whole small node and not matching the labelled one.
  const both = makePod('both', { containers: [withRequests('2')], nodeSelector: { disk: 'ssd' } });
  const alg = new SchedulingAlgorithm(() => 0);
  assert.equal(alg.schedulePod(fwk, fwk.newCycleState(), pod, snap).suggestedHost, 'c');
  assert.equal(alg.schedulePod(fwk, fwk.newCycleState(), big, snap).suggestedHost, 'c');
  const err = (() => {
    try {
      alg.schedulePod(fwk, fwk.newCycleState(), both, snap);
    } catch (e) {
      return e as FitError;
    }
    throw new Error('expected a FitError');
  })();
  assert.ok(err instanceof FitError);
  // NodeAffinity rejects every node before resources are looked at.
  assert.equal(err.message, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
  err.diagnosis.postFilterMsg = 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling';
  assert.equal(
    err.message,
    "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  );
  assert.deepEqual([...err.diagnosis.unschedulablePlugins], ['NodeAffinity']);

  const mixed = makePod('mixed', { containers: [withRequests('2')] });
  const snap2 = makeSnapshot([
    ...nodes.slice(0, 2),
    makeNode('t', { cpu: '8', memory: '8Gi', pods: '10' }, {}, { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
  ]);
  const fwk2 = framework(snap2);
  assert.throws(
    () => alg.schedulePod(fwk2, fwk2.newCycleState(), mixed, snap2),
    (e: Error) => e.message === '0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.',
  );
});

test('no nodes at all: upstream\'s "no nodes available to schedule pods"', () => {
  const snap = makeSnapshot([]);
  const fwk = framework(snap);
  assert.throws(
    () => new SchedulingAlgorithm().schedulePod(fwk, fwk.newCycleState(), makePod('p'), snap),
    (e: Error) => e instanceof FitError && e.message === 'no nodes available to schedule pods',
  );
});

test('sampling: with 1000 nodes only 42 % are filtered per cycle, and the window rotates', () => {
  const nodes = Array.from({ length: 1000 }, (_, i) => makeNode(`n${i}`));
  const snap = makeSnapshot(nodes);
  const fwk = framework(snap);
  const alg = new SchedulingAlgorithm(() => 0.5);
  const r1 = alg.schedulePod(fwk, fwk.newCycleState(), makePod('a'), snap);
  assert.equal(r1.feasibleNodes, 420);
  assert.equal(r1.evaluatedNodes, 420);
  const all = framework(snap, 100);
  assert.equal(new SchedulingAlgorithm().schedulePod(all, all.newCycleState(), makePod('b'), snap).feasibleNodes, 1000);
});

test('selectHost picks the top score and breaks ties uniformly', () => {
  const scores = [
    { name: 'a', totalScore: 10 },
    { name: 'b', totalScore: 30 },
    { name: 'c', totalScore: 30 },
  ];
  assert.equal(
    selectHost(scores, () => 0.99),
    'b',
  );
  assert.equal(
    selectHost(scores, () => 0),
    'c',
  );
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(selectHost(scores));
  assert.deepEqual([...seen].sort(), ['b', 'c']);
});

test('a nominated node that still fits is chosen without looking at others', () => {
  const nodes = [makeNode('a'), makeNode('b'), makeNode('c')];
  const snap = makeSnapshot(nodes);
  const fwk = framework(snap);
  const pod = makePod('p');
  (pod as any).status = { nominatedNodeName: 'b' };
  const r = new SchedulingAlgorithm(() => 0).schedulePod(fwk, fwk.newCycleState(), pod, snap);
  assert.equal(r.suggestedHost, 'b');
  assert.equal(r.feasibleNodes, 1);
});

test("filters run selective plugins first, yet an unschedulable pod's message names what the configured order rejects first", () => {
  const small = { cpu: '1', memory: '1Gi', pods: '10' };
  const big = { cpu: '8', memory: '8Gi', pods: '10' };
  const nodes = [
    makeNode('a', small, { zone: 'z1' }),
    makeNode('b', small, { zone: 'z1' }),
    makeNode('c', big, { zone: 'z2' }),
    // Too small and in the crowded zone: NodeResourcesFit (configured before PodTopologySpread) rejects it first.
    makeNode('d', small, { zone: 'z2' }),
  ];
  const existing = [0, 1].map((i) => makePod(`x${i}`, { nodeName: 'c' }, { labels: { app: 'x' } }));
  const snap = makeSnapshot(nodes, existing);
  const fwk = framework(snap);
  const spread = { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' as const, labelSelector: { matchLabels: { app: 'x' } } };
  const pod = makePod('p', { containers: [withRequests('2')], topologySpreadConstraints: [spread] }, { labels: { app: 'x' } });
  const err = (() => {
    try {
      new SchedulingAlgorithm(() => 0).schedulePod(fwk, fwk.newCycleState(), pod, snap);
    } catch (e) {
      return e as FitError;
    }
    throw new Error('expected a FitError');
  })();
  assert.equal(err.message, "0/4 nodes are available: 1 node(s) didn't match pod topology spread constraints, 3 Insufficient cpu.");
  assert.equal(err.diagnosis.nodeToStatus.get('d')!.plugin, 'NodeResourcesFit');
  assert.equal(err.diagnosis.nodeToStatus.get('c')!.plugin, 'PodTopologySpread');
  assert.deepEqual([...err.diagnosis.unschedulablePlugins].sort(), ['NodeResourcesFit', 'PodTopologySpread']);
  // A pod that fits: the same cycle finds the node whatever the order.
  const fits = makePod('q', { containers: [withRequests('500m')], topologySpreadConstraints: [spread] }, { labels: { app: 'x' } });
  assert.match(new SchedulingAlgorithm(() => 0).schedulePod(fwk, fwk.newCycleState(), fits, snap).suggestedHost, /^[ab]$/);
});
