import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod, withRequests } from '../framework/testing.js';
import { CycleState } from '../framework/types.js';
import { balancedResourceScorer, NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';

function nodeInfo(allocatable: Record<string, string>, existing: Container[][] = []): NodeInfo {
  const ni = new NodeInfo(makeNode('n1', allocatable));
  existing.forEach((containers, i) => ni.addPod(makePod(`existing-${i}`, { nodeName: 'n1', containers })));
  return ni;
}
const alloc = (extra: Record<string, string> = {}) => ({ cpu: '4', memory: '10000', pods: '110', ...extra });
const withFoo = {
  resources: [
    { name: 'cpu', weight: 1 },
    { name: 'memory', weight: 1 },
    { name: 'example.com/foo', weight: 1 },
  ],
};

describe('NodeResourcesBalancedAllocation Score', () => {
  const cases: Array<{ name: string; args?: Record<string, unknown>; pod: Partial<NonNullable<Pod['spec']>>; node: NodeInfo; score: number }> = [
    { name: 'equal fractions are perfectly balanced', pod: { containers: [withRequests('1', '2500')] }, node: nodeInfo(alloc()), score: 100 },
    // fractions 0.25 and 0.5: std = 0.125 → 87.
    { name: 'two fractions: std is half the distance', pod: { containers: [withRequests('1', '5000')] }, node: nodeInfo(alloc()), score: 87 },
    // existing 2 cpu / 1000 + pod 1 cpu / 2000: fractions 0.75 and 0.3 → std 0.225 → 77.
    {
      name: 'includes what is already requested on the node',
      pod: { containers: [withRequests('1', '2000')] },
      node: nodeInfo(alloc(), [[withRequests('2', '1000')]]),
      score: 77,
    },
    // Actual requests, not non-zero defaults: the existing best-effort pod adds nothing.
    {
      name: 'existing zero-request pods count as zero',
      pod: { containers: [withRequests('1', '2500')] },
      node: nodeInfo(alloc(), [[{ name: 'c', image: 'x' }]]),
      score: 100,
    },
    // cpu 8/4 is capped at 1: fractions 1 and 0.5 → 75.
    { name: 'fractions are capped at 1', pod: { containers: [withRequests('8', '5000')] }, node: nodeInfo(alloc()), score: 75 },
    // A pod asking only for cpu: fractions 0.25 and 0 → 87.
    { name: 'a resource the pod does not request still counts as 0', pod: { containers: [withRequests('1')] }, node: nodeInfo(alloc()), score: 87 },
    // fractions 0.25, 0.5, 0.75: std = sqrt(0.125/3) ≈ 0.204 → 79.
    {
      name: 'three resources use the full std formula',
      args: withFoo,
      pod: { containers: [withRequests('1', '5000', { 'example.com/foo': '3' })] },
      node: nodeInfo(alloc({ 'example.com/foo': '4' })),
      score: 79,
    },
    {
      name: 'an extended resource the pod does not request is left out',
      args: withFoo,
      pod: { containers: [withRequests('1', '2500')] },
      node: nodeInfo(alloc({ 'example.com/foo': '4' }), [[withRequests('0', '0', { 'example.com/foo': '4' })]]),
      score: 100,
    },
    {
      name: 'an extended resource the node lacks is left out',
      args: withFoo,
      pod: { containers: [withRequests('1', '2500', { 'example.com/foo': '1' })] },
      node: nodeInfo(alloc()),
      score: 100,
    },
    {
      name: 'sidecar requests count',
      pod: { initContainers: [{ ...withRequests('1', '2500'), restartPolicy: 'Always' }], containers: [withRequests('1', '2500')] },
      node: nodeInfo(alloc()),
      score: 100,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pl = new NodeResourcesBalancedAllocation(c.args);
      const pod = makePod('p', c.pod);
      const state = new CycleState();
      assert.equal(pl.preScore(state, pod, [c.node]).code, Code.Success);
      const r = pl.score(state, pod, c.node);
      assert.equal(r.status.code, Code.Success);
      assert.equal(r.score, c.score);
      assert.equal(pl.score(new CycleState(), pod, c.node).score, c.score);
    });
  }

  it('skips best-effort pods (no requests at all)', () => {
    const pl = new NodeResourcesBalancedAllocation(undefined);
    const pod = makePod('p');
    assert.equal(pl.preScore(new CycleState(), pod, []).code, Code.Skip);
    // Without PreScore, Score itself gives such a pod 0 on every node.
    const r = pl.score(new CycleState(), pod, nodeInfo(alloc()));
    assert.equal(r.status.code, Code.Success);
    assert.equal(r.score, 0);
  });

  it('scorer edge cases: one or no resources give std 0', () => {
    assert.equal(balancedResourceScorer([1], [4]), 100);
    assert.equal(balancedResourceScorer([1, 1], [0, 0]), 100);
  });
});

describe('NodeResourcesBalancedAllocation args', () => {
  it('has the upstream name and defaults', () => assert.equal(new NodeResourcesBalancedAllocation(undefined).name, 'NodeResourcesBalancedAllocation'));
  const cases: Array<{ name: string; args: Record<string, unknown>; error: RegExp }> = [
    { name: 'weight other than 1', args: { resources: [{ name: 'cpu', weight: 2 }] }, error: /resources\[0\].weight: Invalid value: 2: must be 1/ },
    {
      name: 'duplicate resource',
      args: {
        resources: [
          { name: 'cpu', weight: 1 },
          { name: 'cpu', weight: 1 },
        ],
      },
      error: /resources\[1\].name: Duplicate value: "cpu"/,
    },
    { name: 'unknown field', args: { shape: [] }, error: /unknown field "shape"/ },
    { name: 'resource without name', args: { resources: [{ weight: 1 }] }, error: /resources\[0\].name: Required value/ },
  ];
  for (const c of cases) it(c.name, () => assert.throws(() => new NodeResourcesBalancedAllocation(c.args), c.error));
});
