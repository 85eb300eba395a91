import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../framework/status.js';
import { makePod } from '../framework/testing.js';
import { QueueingHint } from '../framework/types.js';
import { SchedulingGates } from './scheduling-gates.js';

describe('SchedulingGates', () => {
  const pl = new SchedulingGates(undefined);
  const cases: Array<{ name: string; gates?: string[]; code: Code; reasons: string[] }> = [
    { name: 'no gates field', code: Code.Success, reasons: [] },
    { name: 'empty gates', gates: [], code: Code.Success, reasons: [] },
    { name: 'one gate', gates: ['example.com/quota'], code: Code.UnschedulableAndUnresolvable, reasons: ['waiting for scheduling gates: [example.com/quota]'] },
    {
      name: 'two gates, in order, space separated',
      gates: ['gate1', 'gate2'],
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['waiting for scheduling gates: [gate1 gate2]'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p', c.gates ? { schedulingGates: c.gates.map((name) => ({ name })) } : {});
      const s = pl.preEnqueue(pod);
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.reasons);
    });
  }

  it('requeues only when this pod loses its last gate', () => {
    const [reg] = pl.eventsToRegister();
    assert.deepEqual(reg!.event, { resource: 'Pod', actions: ['UpdatePodSchedulingGatesEliminated'] });
    const gated = makePod('p', { schedulingGates: [{ name: 'a' }, { name: 'b' }] });
    const oneLeft = { ...gated, spec: { ...gated.spec!, schedulingGates: [{ name: 'b' }] } };
    const none = { ...gated, spec: { ...gated.spec!, schedulingGates: [] } };
    const other = makePod('q');
    assert.equal(reg!.hint!(gated, gated, oneLeft), QueueingHint.Skip);
    assert.equal(reg!.hint!(gated, oneLeft, none), QueueingHint.Queue);
    assert.equal(reg!.hint!(gated, other, other), QueueingHint.Skip);
  });

  it('rejects args', () => assert.throws(() => new SchedulingGates({ x: true }), /SchedulingGates: takes no args/));
});
