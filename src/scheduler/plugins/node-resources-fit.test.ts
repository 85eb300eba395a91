import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../framework/node-info.js';
import { podRequests } from '../framework/resources.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod, withRequests } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { fitsRequest, NodeResourcesFit } from './node-resources-fit.js';

const alloc = (extra: Record<string, string> = {}) => ({ cpu: '4', memory: '10000', pods: '110', ...extra });

function nodeInfo(allocatable: Record<string, string>, existing: Container[][] = []): NodeInfo {
  const ni = new NodeInfo(makeNode('n1', allocatable));
  existing.forEach((containers, i) => ni.addPod(makePod(`existing-${i}`, { nodeName: 'n1', containers })));
  return ni;
}

const sidecar = (cpu: string, memory?: string): Container => ({ ...withRequests(cpu, memory), restartPolicy: 'Always' });
const init = (cpu: string, memory?: string): Container => withRequests(cpu, memory);

describe('NodeResourcesFit Filter', () => {
  const cases: Array<{ name: string; pod: Partial<NonNullable<Pod['spec']>>; node: NodeInfo; args?: Record<string, unknown>; code: Code; reasons: string[] }> =
    [
      { name: 'fits an empty node', pod: { containers: [withRequests('1', '2000')] }, node: nodeInfo(alloc()), code: Code.Success, reasons: [] },
      {
        name: 'fits exactly the remaining room',
        pod: { containers: [withRequests('1', '2000')] },
        node: nodeInfo(alloc(), [[withRequests('3', '8000')]]),
        code: Code.Success,
        reasons: [],
      },
      {
        name: 'insufficient cpu next to existing pods',
        pod: { containers: [withRequests('1')] },
        node: nodeInfo(alloc(), [[withRequests('3500m')]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient cpu'],
      },
      {
        name: 'insufficient cpu and memory, in that order',
        pod: { containers: [withRequests('1', '3000')] },
        node: nodeInfo(alloc(), [[withRequests('3500m', '8000')]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient cpu', 'Insufficient memory'],
      },
      {
        name: 'request larger than the whole node is unresolvable',
        pod: { containers: [withRequests('5')] },
        node: nodeInfo(alloc()),
        code: Code.UnschedulableAndUnresolvable,
        reasons: ['Insufficient cpu'],
      },
      {
        name: 'one unresolvable resource makes the status unresolvable',
        pod: { containers: [withRequests('1', '20000')] },
        node: nodeInfo(alloc(), [[withRequests('3500m')]]),
        code: Code.UnschedulableAndUnresolvable,
        reasons: ['Insufficient cpu', 'Insufficient memory'],
      },
      {
        name: 'ephemeral-storage',
        pod: { containers: [withRequests(undefined, undefined, { 'ephemeral-storage': '2Gi' })] },
        node: nodeInfo(alloc({ 'ephemeral-storage': '10Gi' }), [[withRequests(undefined, undefined, { 'ephemeral-storage': '9Gi' })]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient ephemeral-storage'],
      },
      {
        name: 'pod count limit',
        pod: { containers: [withRequests('100m')] },
        node: nodeInfo(alloc({ pods: '2' }), [[], []]),
        code: Code.Unschedulable,
        reasons: ['Too many pods'],
      },
      {
        name: 'pod count limit applies to zero-request pods',
        pod: {},
        node: nodeInfo(alloc({ pods: '1' }), [[]]),
        code: Code.Unschedulable,
        reasons: ['Too many pods'],
      },
      {
        name: 'node without pods allocatable takes no pod',
        pod: {},
        node: nodeInfo({ cpu: '4', memory: '10000' }),
        code: Code.Unschedulable,
        reasons: ['Too many pods'],
      },
      {
        name: 'too many pods and insufficient cpu together',
        pod: { containers: [withRequests('1')] },
        node: nodeInfo(alloc({ pods: '1' }), [[withRequests('3500m')]]),
        code: Code.Unschedulable,
        reasons: ['Too many pods', 'Insufficient cpu'],
      },
      { name: 'zero-request pod fits a full node', pod: {}, node: nodeInfo(alloc(), [[withRequests('4', '10000')]]), code: Code.Success, reasons: [] },
      {
        name: 'extended resource available',
        pod: { containers: [withRequests(undefined, undefined, { 'example.com/foo': '1' })] },
        node: nodeInfo(alloc({ 'example.com/foo': '2' }), [[withRequests(undefined, undefined, { 'example.com/foo': '1' })]]),
        code: Code.Success,
        reasons: [],
      },
      {
        name: 'extended resource exhausted',
        pod: { containers: [withRequests(undefined, undefined, { 'example.com/foo': '2' })] },
        node: nodeInfo(alloc({ 'example.com/foo': '2' }), [[withRequests(undefined, undefined, { 'example.com/foo': '1' })]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient example.com/foo'],
      },
      {
        name: 'extended resource the node lacks',
        pod: { containers: [withRequests(undefined, undefined, { 'example.com/foo': '1' })] },
        node: nodeInfo(alloc()),
        code: Code.UnschedulableAndUnresolvable,
        reasons: ['Insufficient example.com/foo'],
      },
      {
        name: 'ignoredResources skips the extended resource',
        args: { ignoredResources: ['example.com/foo'] },
        pod: { containers: [withRequests(undefined, undefined, { 'example.com/foo': '1' })] },
        node: nodeInfo(alloc()),
        code: Code.Success,
        reasons: [],
      },
      {
        name: 'ignoredResourceGroups skips by domain',
        args: { ignoredResourceGroups: ['example.com'] },
        pod: { containers: [withRequests(undefined, undefined, { 'example.com/foo': '1', 'other.io/bar': '1' })] },
        node: nodeInfo(alloc()),
        code: Code.UnschedulableAndUnresolvable,
        reasons: ['Insufficient other.io/bar'],
      },
      {
        name: 'hugepages cannot be ignored',
        args: { ignoredResources: ['hugepages-2Mi'] },
        pod: { containers: [withRequests(undefined, undefined, { 'hugepages-2Mi': '4Mi' })] },
        node: nodeInfo(alloc({ 'hugepages-2Mi': '2Mi' })),
        code: Code.UnschedulableAndUnresolvable,
        reasons: ['Insufficient hugepages-2Mi'],
      },
      // podRequests: init containers run one at a time; sidecars keep running beside everything after them.
      {
        name: 'init container larger than the sum of app containers decides',
        pod: { initContainers: [init('3')], containers: [withRequests('500m'), withRequests('500m')] },
        node: nodeInfo(alloc(), [[withRequests('1500m')]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient cpu'],
      },
      {
        name: 'init container peak fits when exactly the room is left',
        pod: { initContainers: [init('3')], containers: [withRequests('500m')] },
        node: nodeInfo(alloc(), [[withRequests('1')]]),
        code: Code.Success,
        reasons: [],
      },
      {
        name: 'sidecar adds to the app containers',
        pod: { initContainers: [sidecar('1')], containers: [withRequests('1')] },
        node: nodeInfo(alloc(), [[withRequests('2500m')]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient cpu'],
      },
      {
        name: 'sidecar plus app containers fit exactly',
        pod: { initContainers: [sidecar('1')], containers: [withRequests('1')] },
        node: nodeInfo(alloc(), [[withRequests('2')]]),
        code: Code.Success,
        reasons: [],
      },
      {
        name: 'a later init container runs beside an earlier sidecar',
        pod: { initContainers: [sidecar('1'), init('2')], containers: [withRequests('100m')] },
        node: nodeInfo(alloc(), [[withRequests('1500m')]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient cpu'],
      },
      {
        name: 'pod overhead counts',
        pod: { containers: [withRequests('1')], overhead: { cpu: '600m' } },
        node: nodeInfo(alloc(), [[withRequests('2500m')]]),
        code: Code.Unschedulable,
        reasons: ['Insufficient cpu'],
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      const pl = new NodeResourcesFit(c.args);
      const pod = makePod('p', c.pod);
      const state = new CycleState();
      assert.equal(pl.preFilter(state, pod, [c.node]).status.code, Code.Success);
      const s = pl.filter(state, pod, c.node);
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.reasons);
    });
  }

  it('errors without PreFilter state', () => {
    assert.equal(new NodeResourcesFit(undefined).filter(new CycleState(), makePod('p'), nodeInfo(alloc())).code, Code.Error);
  });

  it('fitsRequest reports what is missing, for preemption', () => {
    const ni = nodeInfo(alloc({ pods: '1' }), [[withRequests('3', '4000')]]);
    const req = podRequests(makePod('p', { initContainers: [sidecar('1')], containers: [withRequests('1', '1000')] }));
    assert.deepEqual(fitsRequest(req, ni), [
      { resourceName: 'pods', reason: 'Too many pods', requested: 1, used: 1, capacity: 1, unresolvable: false },
      { resourceName: 'cpu', reason: 'Insufficient cpu', requested: 2000, used: 3000, capacity: 4000, unresolvable: false },
    ]);
    assert.deepEqual(fitsRequest(podRequests(makePod('q', { containers: [withRequests('1')] })), nodeInfo(alloc())), []);
  });
});

describe('NodeResourcesFit Score', () => {
  const most = { scoringStrategy: { type: 'MostAllocated' } };
  const cases: Array<{ name: string; args?: Record<string, unknown>; pod: Partial<NonNullable<Pod['spec']>>; node: NodeInfo; score: number }> = [
    // cpu (4000-1000)*100/4000 = 75, memory (10000-2000)*100/10000 = 80, (75+80)/2 = 77.
    { name: 'LeastAllocated (default) on an empty node', pod: { containers: [withRequests('1', '2000')] }, node: nodeInfo(alloc()), score: 77 },
    // cpu (4000-3000)/4000 = 25, memory (10000-5000)/10000 = 50.
    {
      name: 'LeastAllocated counts existing requests',
      pod: { containers: [withRequests('1', '2000')] },
      node: nodeInfo(alloc(), [[withRequests('2', '3000')]]),
      score: 37,
    },
    { name: 'LeastAllocated: over-requested resource scores 0', pod: { containers: [withRequests('5', '2000')] }, node: nodeInfo(alloc()), score: 40 },
    // A pod requesting nothing scores as 100m cpu and 200Mi memory: cpu 97, memory (4Gi-200Mi)/4Gi → 95.
    { name: 'zero-request pod scores with non-zero defaults', pod: {}, node: nodeInfo({ cpu: '4', memory: '4Gi', pods: '110' }), score: 96 },
    // The existing zero-request pod also counts as 100m/200Mi on the node: cpu (4000-1100)/4000 = 72, memory (4Gi-200Mi-1Gi) → 70.
    {
      name: 'zero-request pods on the node count at non-zero defaults',
      pod: { containers: [withRequests('1', '1Gi')] },
      node: nodeInfo({ cpu: '4', memory: '4Gi', pods: '110' }, [[{ name: 'c', image: 'x' }]]),
      score: 71,
    },
    { name: 'MostAllocated', args: most, pod: { containers: [withRequests('1', '2000')] }, node: nodeInfo(alloc()), score: 22 },
    { name: 'MostAllocated caps requests at capacity', args: most, pod: { containers: [withRequests('8', '2000')] }, node: nodeInfo(alloc()), score: 60 },
    {
      name: 'MostAllocated with weights',
      args: {
        scoringStrategy: {
          type: 'MostAllocated',
          resources: [
            { name: 'cpu', weight: 3 },
            { name: 'memory', weight: 1 },
          ],
        },
      },
      pod: { containers: [withRequests('1', '2000')] },
      node: nodeInfo(alloc()),
      score: 23,
    },
    {
      name: 'extended resource the pod does not request is left out',
      args: {
        scoringStrategy: {
          type: 'MostAllocated',
          resources: [
            { name: 'cpu', weight: 1 },
            { name: 'memory', weight: 1 },
            { name: 'example.com/foo', weight: 5 },
          ],
        },
      },
      pod: { containers: [withRequests('1', '2000')] },
      node: nodeInfo(alloc({ 'example.com/foo': '4' })),
      score: 22,
    },
    // foo 3/4 → 75 with weight 5: (25 + 20 + 375) / 7 = 60 (the existing pod asks explicitly for 0 cpu/memory).
    {
      name: 'extended resource the pod requests is scored',
      args: {
        scoringStrategy: {
          type: 'MostAllocated',
          resources: [
            { name: 'cpu', weight: 1 },
            { name: 'memory', weight: 1 },
            { name: 'example.com/foo', weight: 5 },
          ],
        },
      },
      pod: { containers: [withRequests('1', '2000', { 'example.com/foo': '1' })] },
      node: nodeInfo(alloc({ 'example.com/foo': '4' }), [[withRequests('0', '0', { 'example.com/foo': '2' })]]),
      score: 60,
    },
    {
      name: 'extended resource the node lacks is left out',
      args: {
        scoringStrategy: {
          type: 'MostAllocated',
          resources: [
            { name: 'cpu', weight: 1 },
            { name: 'memory', weight: 1 },
            { name: 'example.com/foo', weight: 5 },
          ],
        },
      },
      pod: { containers: [withRequests('1', '2000', { 'example.com/foo': '1' })] },
      node: nodeInfo(alloc()),
      score: 22,
    },
    // Shape 0→0, 100→10 (×10): cpu 25, memory 20, round(22.5) = 23.
    {
      name: 'RequestedToCapacityRatio, increasing shape',
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          requestedToCapacityRatio: {
            shape: [
              { utilization: 0, score: 0 },
              { utilization: 100, score: 10 },
            ],
          },
        },
      },
      pod: { containers: [withRequests('1', '2000')] },
      node: nodeInfo(alloc()),
      score: 23,
    },
    // Shape 0→10, 100→0: cpu 75, memory 80, round(77.5) = 78.
    {
      name: 'RequestedToCapacityRatio, decreasing shape',
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          requestedToCapacityRatio: {
            shape: [
              { utilization: 0, score: 10 },
              { utilization: 100, score: 0 },
            ],
          },
        },
      },
      pod: { containers: [withRequests('1', '2000')] },
      node: nodeInfo(alloc()),
      score: 78,
    },
    // Shape 0→0, 50→10, 100→0: cpu 25% → 50, memory 70% → 100 + (0-100)*20/50 = 60, round(55) = 55.
    {
      name: 'RequestedToCapacityRatio, interpolates between points',
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          requestedToCapacityRatio: {
            shape: [
              { utilization: 0, score: 0 },
              { utilization: 50, score: 10 },
              { utilization: 100, score: 0 },
            ],
          },
        },
      },
      pod: { containers: [withRequests('1', '7000')] },
      node: nodeInfo(alloc()),
      score: 55,
    },
    // Resources scoring 0 drop out of the average: memory 0% → 0 is left out, cpu 25% → 25.
    {
      name: 'RequestedToCapacityRatio leaves zero-scoring resources out',
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          requestedToCapacityRatio: {
            shape: [
              { utilization: 0, score: 0 },
              { utilization: 100, score: 10 },
            ],
          },
        },
      },
      pod: { containers: [withRequests('1', '0')] },
      node: nodeInfo(alloc()),
      score: 25,
    },
    // Over capacity scores as 100% utilization: shape at 100 → 0 for cpu; memory 20% → 80.
    {
      name: 'RequestedToCapacityRatio: over capacity is 100% utilization',
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          requestedToCapacityRatio: {
            shape: [
              { utilization: 0, score: 10 },
              { utilization: 100, score: 0 },
            ],
          },
        },
      },
      pod: { containers: [withRequests('5', '2000')] },
      node: nodeInfo(alloc()),
      score: 80,
    },
    {
      name: 'sidecar requests count in scoring',
      args: most,
      pod: { initContainers: [sidecar('1', '1000')], containers: [withRequests('1', '1000')] },
      node: nodeInfo(alloc()),
      score: 35,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pl = new NodeResourcesFit(c.args);
      const pod = makePod('p', c.pod);
      const state = new CycleState();
      assert.equal(pl.preScore(state, pod, [c.node]).code, Code.Success);
      const r = pl.score(state, pod, c.node);
      assert.equal(r.status.code, Code.Success);
      assert.equal(r.score, c.score);
      // Without PreScore the same score is computed on the spot.
      assert.equal(pl.score(new CycleState(), pod, c.node).score, c.score);
    });
  }

  it('defaults to LeastAllocated over cpu and memory with weight 1', () => {
    const pl = new NodeResourcesFit(undefined);
    assert.equal(pl.name, 'NodeResourcesFit');
    assert.equal(pl.strategy, 'LeastAllocated');
    assert.deepEqual(pl.resources, [
      { name: 'cpu', weight: 1 },
      { name: 'memory', weight: 1 },
    ]);
    assert.deepEqual(new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu' }] } }).resources, [
      { name: 'cpu', weight: 1 },
    ]);
  });
});

describe('NodeResourcesFit args', () => {
  const cases: Array<{ name: string; args: Record<string, unknown>; error: RegExp }> = [
    { name: 'unknown field', args: { scoring: {} }, error: /unknown field "scoring"/ },
    { name: 'unknown strategy', args: { scoringStrategy: { type: 'Random' } }, error: /scoringStrategy.type: Unsupported value: "Random"/ },
    {
      name: 'weight out of range',
      args: { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 101 }] } },
      error: /resource weight of cpu not in valid range \(0, 100\]/,
    },
    { name: 'negative weight', args: { scoringStrategy: { resources: [{ name: 'cpu', weight: -1 }] } }, error: /not in valid range/ },
    { name: 'ratio without its settings', args: { scoringStrategy: { type: 'RequestedToCapacityRatio' } }, error: /requestedToCapacityRatio: Required value/ },
    {
      name: 'ratio with no shape points',
      args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [] } } },
      error: /at least one point must be specified/,
    },
    {
      name: 'shape not increasing',
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          requestedToCapacityRatio: {
            shape: [
              { utilization: 50, score: 1 },
              { utilization: 50, score: 2 },
            ],
          },
        },
      },
      error: /values must be sorted in increasing order/,
    },
    {
      name: 'shape score above 10',
      args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 11 }] } } },
      error: /score: Invalid value: 11: not in valid range \[0, 10\]/,
    },
    {
      name: 'shape utilization above 100',
      args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 101, score: 1 }] } } },
      error: /utilization: Invalid value: 101: not in valid range \[0, 100\]/,
    },
    {
      name: 'ratio settings with another type',
      args: { scoringStrategy: { type: 'MostAllocated', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 1 }] } } },
      error: /must be nil when type is not RequestedToCapacityRatio/,
    },
    { name: 'resource group with a slash', args: { ignoredResourceGroups: ['example.com/foo'] }, error: /resource group name can't contain '\/'/ },
    { name: 'invalid ignored resource name', args: { ignoredResources: ['bad name'] }, error: /ignoredResources\[0\]: Invalid value/ },
    { name: 'ignoredResources not a list', args: { ignoredResources: 'example.com/foo' }, error: /must be a list of strings/ },
  ];
  for (const c of cases) it(c.name, () => assert.throws(() => new NodeResourcesFit(c.args), c.error));
});

describe('NodeResourcesFit events', () => {
  const pl = new NodeResourcesFit(undefined);
  const [podReg, nodeReg] = pl.eventsToRegister();
  const pod = makePod('p', { containers: [withRequests('2', '1000')] });
  it('registers pod deletions/scale-downs and node additions/allocatable updates', () => {
    assert.deepEqual(podReg!.event, { resource: 'Pod', actions: ['Delete', 'UpdatePodScaleDown'] });
    assert.deepEqual(nodeReg!.event, { resource: 'Node', actions: ['Add', 'UpdateNodeAllocatable'] });
  });
  it('queues on deletion of an assigned pod only', () => {
    assert.equal(podReg!.hint!(pod, makePod('d', { nodeName: 'n1' }), undefined), QueueingHint.Queue);
    assert.equal(podReg!.hint!(pod, makePod('d'), undefined), QueueingHint.Skip);
  });
  it('queues on a scale-down of a requested resource of an assigned pod', () => {
    const before = makePod('o', { nodeName: 'n1', containers: [withRequests('2', '1000')] });
    const after = { ...before, spec: { ...before.spec!, containers: [withRequests('1', '1000')] } };
    assert.equal(podReg!.hint!(pod, before, after), QueueingHint.Queue);
    const memOnly = { ...before, spec: { ...before.spec!, containers: [withRequests('2', '500')] } };
    assert.equal(podReg!.hint!(makePod('p2', { containers: [withRequests('1')] }), before, memOnly), QueueingHint.Skip);
  });
  it('queues for a node that could hold the pod', () => {
    assert.equal(nodeReg!.hint!(pod, undefined, makeNode('n', { cpu: '4', memory: '10000', pods: '10' })), QueueingHint.Queue);
    assert.equal(nodeReg!.hint!(pod, undefined, makeNode('n', { cpu: '1', memory: '10000', pods: '10' })), QueueingHint.Skip);
    assert.equal(
      nodeReg!.hint!(pod, makeNode('n', { cpu: '1', memory: '10000', pods: '10' }), makeNode('n', { cpu: '4', memory: '10000', pods: '10' })),
      QueueingHint.Queue,
    );
    assert.equal(
      nodeReg!.hint!(
        pod,
        makeNode('n', { cpu: '4', memory: '10000', pods: '10' }),
        makeNode('n', { cpu: '4', memory: '10000', pods: '10', 'example.com/x': '1' }),
      ),
      QueueingHint.Skip,
    );
  });
});
