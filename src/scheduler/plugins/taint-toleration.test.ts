import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { TaintToleration } from './taint-toleration.js';

const taintedNode = (name: string, taints: Taint[]) => new NodeInfo(makeNode(name, undefined, {}, { taints }));

describe('TaintToleration Filter', () => {
  const pl = new TaintToleration(undefined);
  const cases: Array<{ name: string; taints: Taint[]; tolerations?: Toleration[]; code: Code; reasons: string[] }> = [
    { name: 'no taints', taints: [], code: Code.Success, reasons: [] },
    {
      name: 'untolerated NoSchedule',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    },
    {
      name: 'untolerated NoExecute',
      taints: [{ key: 'evict', value: 'now', effect: 'NoExecute' }],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['node(s) had untolerated taint {evict: now}'],
    },
    {
      name: 'untolerated PreferNoSchedule does not filter',
      taints: [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }],
      code: Code.Success,
      reasons: [],
    },
    {
      name: 'tolerated NoSchedule (Equal)',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      code: Code.Success,
      reasons: [],
    },
    {
      name: 'tolerated NoSchedule (Exists, no effect)',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      code: Code.Success,
      reasons: [],
    },
    {
      name: 'PreferNoSchedule toleration does not cover NoSchedule',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'PreferNoSchedule' }],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    },
    {
      name: 'wrong value',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    },
    {
      name: 'taint without value',
      taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
    },
    {
      name: 'names the first untolerated taint',
      taints: [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'b', value: '2', effect: 'NoSchedule' },
      ],
      tolerations: [{ key: 'a', operator: 'Exists' }],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['node(s) had untolerated taint {b: 2}'],
    },
    {
      name: 'tolerate everything',
      taints: [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'b', value: '2', effect: 'NoExecute' },
      ],
      tolerations: [{ operator: 'Exists' }],
      code: Code.Success,
      reasons: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = pl.filter(new CycleState(), makePod('p', { tolerations: c.tolerations }), taintedNode('n1', c.taints));
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.reasons);
    });
  }
});

describe('TaintToleration Score', () => {
  const pl = new TaintToleration(undefined);
  const soft = (key: string): Taint => ({ key, value: 'v', effect: 'PreferNoSchedule' });
  const cases: Array<{ name: string; tolerations?: Toleration[]; nodes: Taint[][]; raw: number[]; normalized: number[] }> = [
    {
      name: 'fewer intolerable PreferNoSchedule taints score higher',
      nodes: [[], [soft('a')], [soft('a'), soft('b')]],
      raw: [0, 1, 2],
      normalized: [100, 50, 0],
    },
    { name: 'NoSchedule taints do not count', nodes: [[{ key: 'hard', value: 'v', effect: 'NoSchedule' }], [soft('a')]], raw: [0, 1], normalized: [100, 0] },
    {
      name: 'a PreferNoSchedule toleration removes the taint from the count',
      tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }],
      nodes: [[soft('a')], [soft('b')]],
      raw: [0, 1],
      normalized: [100, 0],
    },
    {
      name: 'a toleration without effect also counts',
      tolerations: [{ key: 'a', operator: 'Exists' }],
      nodes: [[soft('a')], [soft('a'), soft('b')]],
      raw: [0, 1],
      normalized: [100, 0],
    },
    {
      name: 'a NoSchedule toleration does not tolerate PreferNoSchedule',
      tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }],
      nodes: [[soft('a')], []],
      raw: [1, 0],
      normalized: [0, 100],
    },
    { name: 'no taints anywhere: all max', nodes: [[], []], raw: [0, 0], normalized: [100, 100] },
    { name: 'equal counts: all zero after reversing', nodes: [[soft('a')], [soft('b')]], raw: [1, 1], normalized: [0, 0] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p', { tolerations: c.tolerations });
      const state = new CycleState();
      const infos = c.nodes.map((t, i) => taintedNode(`n${i}`, t));
      assert.equal(pl.preScore(state, pod, infos).code, Code.Success);
      const scores = infos.map((ni) => {
        const r = pl.score(state, pod, ni);
        assert.equal(r.status.code, Code.Success);
        return { name: ni.name, score: r.score };
      });
      assert.deepEqual(
        scores.map((s) => s.score),
        c.raw,
      );
      assert.equal(pl.normalizeScore(state, pod, scores).code, Code.Success);
      assert.deepEqual(
        scores.map((s) => s.score),
        c.normalized,
      );
    });
  }

  it('errors without PreScore state', () => {
    assert.equal(pl.score(new CycleState(), makePod('p'), taintedNode('n', [])).status.code, Code.Error);
  });
});

describe('TaintToleration events', () => {
  const pl = new TaintToleration(undefined);
  const [nodeReg, podReg] = pl.eventsToRegister();
  const pod = makePod('p');
  const hard = makeNode('n', undefined, {}, { taints: [{ key: 'a', value: '1', effect: 'NoSchedule' }] });
  const soft = makeNode('n', undefined, {}, { taints: [{ key: 'a', value: '1', effect: 'PreferNoSchedule' }] });
  it('registers node add/taint updates and pod toleration updates', () => {
    assert.deepEqual(nodeReg!.event, { resource: 'Node', actions: ['Add', 'UpdateNodeTaint'] });
    assert.deepEqual(podReg!.event, { resource: 'Pod', actions: ['UpdatePodTolerations'] });
  });
  it('queues when an untolerated taint goes away or a tolerable node is added', () => {
    assert.equal(nodeReg!.hint!(pod, hard, soft), QueueingHint.Queue);
    assert.equal(nodeReg!.hint!(pod, soft, hard), QueueingHint.Skip);
    assert.equal(nodeReg!.hint!(pod, undefined, soft), QueueingHint.Queue);
    assert.equal(nodeReg!.hint!(pod, undefined, hard), QueueingHint.Skip);
  });
  it('queues on toleration changes of this pod only', () => {
    assert.equal(podReg!.hint!(pod, pod, pod), QueueingHint.Queue);
    assert.equal(podReg!.hint!(pod, undefined, makePod('other')), QueueingHint.Skip);
  });
});
