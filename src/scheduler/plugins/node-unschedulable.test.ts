import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Toleration } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { ERR_REASON_UNSCHEDULABLE, NodeUnschedulable } from './node-unschedulable.js';

describe('NodeUnschedulable', () => {
  const pl = new NodeUnschedulable(undefined);
  const cases: Array<{ name: string; unschedulable: boolean; tolerations?: Toleration[]; code: Code }> = [
    { name: 'schedulable node', unschedulable: false, code: Code.Success },
    { name: 'cordoned node', unschedulable: true, code: Code.UnschedulableAndUnresolvable },
    {
      name: 'cordoned node, pod tolerates the unschedulable taint',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      code: Code.Success,
    },
    {
      name: 'cordoned node, toleration without effect',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }],
      code: Code.Success,
    },
    { name: 'cordoned node, tolerate-everything toleration', unschedulable: true, tolerations: [{ operator: 'Exists' }], code: Code.Success },
    {
      name: 'cordoned node, NoExecute toleration is not enough',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }],
      code: Code.UnschedulableAndUnresolvable,
    },
    {
      name: 'cordoned node, PreferNoSchedule toleration is not enough',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'PreferNoSchedule' }],
      code: Code.UnschedulableAndUnresolvable,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const node = makeNode('n1', undefined, {}, { unschedulable: c.unschedulable });
      const s = pl.filter(new CycleState(), makePod('p', { tolerations: c.tolerations }), new NodeInfo(node));
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.code === Code.Success ? [] : ['node(s) were unschedulable']);
    });
  }

  it('exports the exact reason', () => assert.equal(ERR_REASON_UNSCHEDULABLE, 'node(s) were unschedulable'));

  it('requeues on uncordon and on new tolerations of this pod', () => {
    const [nodeReg, podReg] = pl.eventsToRegister();
    assert.deepEqual(nodeReg!.event, { resource: 'Node', actions: ['Add', 'UpdateNodeTaint'] });
    const pod = makePod('p');
    const cordoned = makeNode('n1', undefined, {}, { unschedulable: true });
    const open = makeNode('n1');
    assert.equal(nodeReg!.hint!(pod, cordoned, open), QueueingHint.Queue);
    assert.equal(nodeReg!.hint!(pod, open, cordoned), QueueingHint.Skip);
    assert.equal(nodeReg!.hint!(pod, undefined, open), QueueingHint.Queue);
    assert.equal(nodeReg!.hint!(pod, undefined, cordoned), QueueingHint.Skip);
    assert.deepEqual(podReg!.event, { resource: 'Pod', actions: ['UpdatePodTolerations'] });
    const tolerating = { ...pod, spec: { ...pod.spec!, tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] } };
    assert.equal(podReg!.hint!(pod, pod, tolerating), QueueingHint.Queue);
    assert.equal(podReg!.hint!(pod, pod, pod), QueueingHint.Skip);
    assert.equal(podReg!.hint!(pod, undefined, makePod('other', { tolerations: [{ operator: 'Exists' }] })), QueueingHint.Skip);
  });
});
