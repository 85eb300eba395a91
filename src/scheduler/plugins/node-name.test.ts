import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { ERR_REASON, NodeName } from './node-name.js';

describe('NodeName', () => {
  const pl = new NodeName(undefined);
  const cases: Array<{ name: string; nodeName?: string; node: string; code: Code; reasons: string[] }> = [
    { name: 'no nodeName fits any node', node: 'n1', code: Code.Success, reasons: [] },
    { name: 'matching nodeName', nodeName: 'n1', node: 'n1', code: Code.Success, reasons: [] },
    { name: 'other nodeName', nodeName: 'n2', node: 'n1', code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) didn't match the requested node name"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p', c.nodeName ? { nodeName: c.nodeName } : {});
      const s = pl.filter(new CycleState(), pod, new NodeInfo(makeNode(c.node)));
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.reasons);
    });
  }

  it('exports the exact reason', () => assert.equal(ERR_REASON, "node(s) didn't match the requested node name"));

  it('requeues only when the named node is added', () => {
    const [reg] = pl.eventsToRegister();
    assert.deepEqual(reg!.event, { resource: 'Node', actions: ['Add'] });
    const pod = makePod('p', { nodeName: 'n2' });
    assert.equal(reg!.hint!(pod, undefined, makeNode('n1')), QueueingHint.Skip);
    assert.equal(reg!.hint!(pod, undefined, makeNode('n2')), QueueingHint.Queue);
  });
});
