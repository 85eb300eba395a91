import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeSelectorTerm, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, NodeAffinity } from './node-affinity.js';

const required = (...nodeSelectorTerms: NodeSelectorTerm[]): Partial<NonNullable<Pod['spec']>> => ({
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
});
const preferred = (...terms: PreferredSchedulingTerm[]): Partial<NonNullable<Pod['spec']>> => ({
  affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } },
});
const nameIn = (...values: string[]) => ({ key: 'metadata.name', operator: 'In', values });

function runFilter(pl: NodeAffinity, pod: Pod, labels: Record<string, string>, nodeName = 'n1') {
  const state = new CycleState();
  const pre = pl.preFilter(state, pod, []);
  if (!pre.status.isSuccess() && !pre.status.isSkip()) return pre.status;
  return pl.filter(state, pod, new NodeInfo(makeNode(nodeName, undefined, labels)));
}

describe('NodeAffinity Filter', () => {
  const pl = new NodeAffinity(undefined);
  const cases: Array<{ name: string; spec: Partial<NonNullable<Pod['spec']>>; labels: Record<string, string>; code: Code }> = [
    { name: 'no selector or affinity', spec: {}, labels: {}, code: Code.Success },
    { name: 'nodeSelector matches', spec: { nodeSelector: { zone: 'a' } }, labels: { zone: 'a' }, code: Code.Success },
    { name: 'nodeSelector mismatch', spec: { nodeSelector: { zone: 'a' } }, labels: { zone: 'b' }, code: Code.UnschedulableAndUnresolvable },
    {
      name: 'required In matches',
      spec: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }),
      labels: { zone: 'b' },
      code: Code.Success,
    },
    {
      name: 'required NotIn rejects',
      spec: required({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['b'] }] }),
      labels: { zone: 'b' },
      code: Code.UnschedulableAndUnresolvable,
    },
    {
      name: 'required Gt with integer labels',
      spec: required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }),
      labels: { cores: '16' },
      code: Code.Success,
    },
    {
      name: 'required Lt with a non-integer label does not match',
      spec: required({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }),
      labels: { cores: 'four' },
      code: Code.UnschedulableAndUnresolvable,
    },
    {
      name: 'ORed terms: the second matches',
      spec: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, { matchExpressions: [{ key: 'disk', operator: 'Exists' }] }),
      labels: { disk: 'ssd' },
      code: Code.Success,
    },
    {
      name: 'ANDed expressions: one fails',
      spec: required({
        matchExpressions: [
          { key: 'zone', operator: 'Exists' },
          { key: 'disk', operator: 'DoesNotExist' },
        ],
      }),
      labels: { zone: 'a', disk: 'ssd' },
      code: Code.UnschedulableAndUnresolvable,
    },
    { name: 'empty terms list matches no node', spec: required(), labels: { zone: 'a' }, code: Code.UnschedulableAndUnresolvable },
    {
      name: 'nodeSelector and required affinity must both match',
      spec: { nodeSelector: { zone: 'a' }, ...required({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }) },
      labels: { zone: 'a' },
      code: Code.UnschedulableAndUnresolvable,
    },
    { name: 'matchFields metadata.name on the named node', spec: required({ matchFields: [nameIn('n1')] }), labels: {}, code: Code.Success },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilter(pl, makePod('p', c.spec), c.labels);
      assert.equal(s.code, c.code === Code.Success && s.isSkip() ? Code.Skip : c.code);
      assert.deepEqual(s.reasons, c.code === Code.Success ? [] : [ERR_REASON_POD]);
    });
  }

  it('computes the requirement itself when PreFilter did not run', () => {
    const s = pl.filter(new CycleState(), makePod('p', { nodeSelector: { zone: 'a' } }), new NodeInfo(makeNode('n1', undefined, { zone: 'b' })));
    assert.equal(s.code, Code.UnschedulableAndUnresolvable);
    assert.deepEqual(s.reasons, ["node(s) didn't match Pod's node affinity/selector"]);
  });
});

describe('NodeAffinity PreFilter', () => {
  const pl = new NodeAffinity(undefined);
  const cases: Array<{ name: string; spec: Partial<NonNullable<Pod['spec']>>; code: Code; nodeNames?: string[]; reasons?: string[] }> = [
    { name: 'nothing to check: Skip', spec: {}, code: Code.Skip },
    { name: 'nodeSelector only: no narrowing', spec: { nodeSelector: { zone: 'a' } }, code: Code.Success },
    { name: 'label terms only: no narrowing', spec: required({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }), code: Code.Success },
    { name: 'metadata.name In narrows', spec: required({ matchFields: [nameIn('n1', 'n2')] }), code: Code.Success, nodeNames: ['n1', 'n2'] },
    {
      name: 'terms are unioned',
      spec: required({ matchFields: [nameIn('n1')] }, { matchFields: [nameIn('n3')] }),
      code: Code.Success,
      nodeNames: ['n1', 'n3'],
    },
    {
      name: 'requirements in a term are intersected',
      spec: required({ matchFields: [nameIn('n1', 'n2'), nameIn('n2', 'n3')] }),
      code: Code.Success,
      nodeNames: ['n2'],
    },
    {
      name: 'a term without name fields leaves all nodes',
      spec: required({ matchFields: [nameIn('n1')] }, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }),
      code: Code.Success,
    },
    { name: 'NotIn does not narrow', spec: required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }), code: Code.Success },
    {
      name: 'conflicting requirements',
      spec: required({ matchFields: [nameIn('n1'), nameIn('n2')] }),
      code: Code.UnschedulableAndUnresolvable,
      reasons: [ERR_REASON_CONFLICT],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { result, status } = pl.preFilter(new CycleState(), makePod('p', c.spec), []);
      assert.equal(status.code, c.code);
      assert.deepEqual(result?.nodeNames ? [...result.nodeNames].sort() : undefined, c.nodeNames);
      assert.deepEqual(status.reasons, c.reasons ?? []);
    });
  }
  it('does not skip when addedAffinity is set', () => {
    const withAdded = new NodeAffinity({
      addedAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['general'] }] }] },
      },
    });
    assert.equal(withAdded.preFilter(new CycleState(), makePod('p'), []).status.code, Code.Success);
  });
});

describe('NodeAffinity addedAffinity', () => {
  const pl = new NodeAffinity({
    addedAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['general'] }] }] },
    },
  });
  const cases: Array<{ name: string; labels: Record<string, string>; spec: Partial<NonNullable<Pod['spec']>>; code: Code; reasons: string[] }> = [
    { name: 'enforced affinity matches', labels: { pool: 'general' }, spec: {}, code: Code.Success, reasons: [] },
    {
      name: 'enforced affinity fails first',
      labels: { pool: 'infra' },
      spec: { nodeSelector: { zone: 'a' } },
      code: Code.UnschedulableAndUnresolvable,
      reasons: [ERR_REASON_ENFORCED],
    },
    {
      name: 'enforced passes, pod selector fails',
      labels: { pool: 'general' },
      spec: { nodeSelector: { zone: 'a' } },
      code: Code.UnschedulableAndUnresolvable,
      reasons: [ERR_REASON_POD],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilter(pl, makePod('p', c.spec), c.labels);
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.reasons);
    });
  }
  it('exports the exact reasons', () => {
    assert.equal(ERR_REASON_POD, "node(s) didn't match Pod's node affinity/selector");
    assert.equal(ERR_REASON_ENFORCED, "node(s) didn't match scheduler-enforced node affinity");
  });
});

describe('NodeAffinity Score', () => {
  const zoneA: PreferredSchedulingTerm = { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } };
  const ssd: PreferredSchedulingTerm = { weight: 8, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } };
  const nodes: Array<Record<string, string>> = [{ zone: 'a', disk: 'ssd' }, { zone: 'a' }, { disk: 'ssd' }, {}];
  const cases: Array<{ name: string; args?: Record<string, unknown>; spec: Partial<NonNullable<Pod['spec']>>; raw: number[]; normalized: number[] }> = [
    { name: 'sum of matching weights, scaled to 100', spec: preferred(zoneA, ssd), raw: [10, 2, 8, 0], normalized: [100, 20, 80, 0] },
    { name: 'one term', spec: preferred(zoneA), raw: [2, 2, 0, 0], normalized: [100, 100, 0, 0] },
    {
      name: 'no node matches: all zero',
      spec: preferred({ weight: 5, preference: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] } }),
      raw: [0, 0, 0, 0],
      normalized: [0, 0, 0, 0],
    },
    {
      name: 'added preferred terms count too',
      args: {
        addedAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] } }],
        },
      },
      spec: preferred(ssd),
      raw: [8, 0, 18, 10],
      normalized: [44, 0, 100, 55],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pl = new NodeAffinity(c.args);
      const pod = makePod('p', c.spec);
      const state = new CycleState();
      const infos = nodes.map((l, i) => new NodeInfo(makeNode(`n${i}`, undefined, l)));
      assert.equal(pl.preScore(state, pod, infos).code, Code.Success);
      const scores = infos.map((ni) => ({ name: ni.name, score: pl.score(state, pod, ni).score }));
      assert.deepEqual(
        scores.map((s) => s.score),
        c.raw,
      );
      pl.normalizeScore(state, pod, scores);
      assert.deepEqual(
        scores.map((s) => s.score),
        c.normalized,
      );
    });
  }
  it('skips pods without preferred terms', () => {
    assert.equal(new NodeAffinity(undefined).preScore(new CycleState(), makePod('p'), []).code, Code.Skip);
  });
  it('errors on unparsable preferred terms', () => {
    const s = new NodeAffinity(undefined).preScore(
      new CycleState(),
      makePod('p', preferred({ weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Gt', values: ['a'] }] } })),
      [],
    );
    assert.equal(s.code, Code.Error);
  });
});

describe('NodeAffinity args', () => {
  const cases: Array<{ name: string; args: Record<string, unknown>; error: RegExp }> = [
    { name: 'unknown field', args: { added: {} }, error: /NodeAffinity: unknown field "added"/ },
    { name: 'unknown addedAffinity field', args: { addedAffinity: { podAffinity: {} } }, error: /unknown field "addedAffinity.podAffinity"/ },
    {
      name: 'bad required operator',
      args: {
        addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near' }] }] } },
      },
      error: /parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: .*Unsupported value: "Near"/,
    },
    {
      name: 'bad preferred values',
      args: {
        addedAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } }],
        },
      },
      error: /parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: .*values set can't be empty/,
    },
    {
      name: 'required without terms',
      args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } },
      error: /nodeSelectorTerms: Required value/,
    },
  ];
  for (const c of cases) it(c.name, () => assert.throws(() => new NodeAffinity(c.args), c.error));
  it('has the upstream name', () => assert.equal(new NodeAffinity(undefined).name, 'NodeAffinity'));
});

describe('NodeAffinity events', () => {
  const pl = new NodeAffinity(undefined);
  const [reg] = pl.eventsToRegister();
  const pod = makePod('p', { nodeSelector: { zone: 'a' } });
  it('registers node add and label updates', () => assert.deepEqual(reg!.event, { resource: 'Node', actions: ['Add', 'UpdateNodeLabel'] }));
  const cases: Array<{ name: string; old?: Record<string, string>; now: Record<string, string>; want: QueueingHint }> = [
    { name: 'added matching node', now: { zone: 'a' }, want: QueueingHint.Queue },
    { name: 'added non-matching node', now: { zone: 'b' }, want: QueueingHint.Skip },
    { name: 'label update makes it match', old: { zone: 'b' }, now: { zone: 'a' }, want: QueueingHint.Queue },
    { name: 'already matched before', old: { zone: 'a' }, now: { zone: 'a', x: 'y' }, want: QueueingHint.Skip },
  ];
  for (const c of cases)
    it(c.name, () => assert.equal(reg!.hint!(pod, c.old ? makeNode('n', undefined, c.old) : undefined, makeNode('n', undefined, c.now)), c.want));
});
