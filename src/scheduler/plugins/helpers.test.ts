import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration } from 'kubernetes-types/core/v1';
import { makeNode, makePod } from '../framework/testing.js';
import { Code } from '../framework/status.js';
import {
  checkArgs,
  defaultNormalizeScore,
  findMatchingUntoleratedTaint,
  isDoNotScheduleTaint,
  NodeSelectorMatcher,
  nodeMatchesNodeSelectorTerms,
  parseInt64,
  PreferredSchedulingTerms,
  RequiredNodeAffinity,
  tolerationsTolerateTaint,
  tolerationToleratesTaint,
} from './helpers.js';

describe('tolerationToleratesTaint', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const cases: Array<{ name: string; toleration: Toleration; taint?: Taint; want: boolean }> = [
    { name: 'Equal with same key, value and effect', toleration: { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, want: true },
    { name: 'empty operator means Equal', toleration: { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, want: true },
    { name: 'Equal with another value', toleration: { key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoSchedule' }, want: false },
    { name: 'Exists ignores the value', toleration: { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, want: true },
    { name: 'empty effect matches every effect', toleration: { key: 'dedicated', operator: 'Exists' }, want: true },
    { name: 'other effect', toleration: { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, want: false },
    {
      name: 'PreferNoSchedule toleration does not tolerate NoSchedule',
      toleration: { key: 'dedicated', operator: 'Exists', effect: 'PreferNoSchedule' },
      want: false,
    },
    { name: 'empty key with Exists matches every taint', toleration: { operator: 'Exists' }, want: true },
    { name: 'empty key with Exists and an effect matches only that effect', toleration: { operator: 'Exists', effect: 'NoExecute' }, want: false },
    { name: 'other key', toleration: { key: 'zone', operator: 'Exists' }, want: false },
    {
      name: 'Equal with no value matches a taint with no value',
      toleration: { key: 'k', operator: 'Equal' },
      taint: { key: 'k', effect: 'NoSchedule' },
      want: true,
    },
    { name: 'Equal with no value does not match a valued taint', toleration: { key: 'dedicated', operator: 'Equal', effect: 'NoSchedule' }, want: false },
    {
      name: 'Gt (feature-gated upstream) never matches',
      toleration: { key: 'dedicated', operator: 'Gt', value: '1' },
      taint: { key: 'dedicated', value: '5', effect: 'NoSchedule' },
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(tolerationToleratesTaint(c.toleration, c.taint ?? taint), c.want));

  it('tolerationsTolerateTaint is true when any toleration matches, false for none', () => {
    assert.equal(
      tolerationsTolerateTaint(
        [
          { key: 'x', operator: 'Exists' },
          { key: 'dedicated', operator: 'Exists' },
        ],
        taint,
      ),
      true,
    );
    assert.equal(tolerationsTolerateTaint(undefined, taint), false);
    assert.equal(tolerationsTolerateTaint([], taint), false);
  });

  it('findMatchingUntoleratedTaint returns the first untolerated taint passing the filter', () => {
    const taints: Taint[] = [
      { key: 'soft', value: 'x', effect: 'PreferNoSchedule' },
      { key: 'a', value: '1', effect: 'NoSchedule' },
      { key: 'b', value: '2', effect: 'NoExecute' },
    ];
    assert.deepEqual(findMatchingUntoleratedTaint(taints, [], isDoNotScheduleTaint), taints[1]);
    assert.deepEqual(findMatchingUntoleratedTaint(taints, [{ key: 'a', operator: 'Exists' }], isDoNotScheduleTaint), taints[2]);
    assert.equal(
      findMatchingUntoleratedTaint(
        taints,
        [
          { key: 'a', operator: 'Exists' },
          { key: 'b', operator: 'Equal', value: '2' },
        ],
        isDoNotScheduleTaint,
      ),
      undefined,
    );
    assert.deepEqual(findMatchingUntoleratedTaint(taints, []), taints[0]);
  });
});

describe('parseInt64', () => {
  const cases: Array<[string, bigint | undefined]> = [
    ['42', 42n],
    ['-7', -7n],
    ['+5', 5n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', undefined],
    ['1.5', undefined],
    ['1e3', undefined],
    ['', undefined],
    [' 1', undefined],
    ['0x10', undefined],
  ];
  for (const [s, want] of cases) it(JSON.stringify(s), () => assert.equal(parseInt64(s), want));
});

describe('nodeMatchesNodeSelectorTerms', () => {
  const node = makeNode('n1', undefined, { zone: 'a', gen: '5', size: 'large', weird: '3.5' });
  const expr = (...matchExpressions: NodeSelectorRequirement[]): NodeSelectorTerm => ({ matchExpressions });
  const cases: Array<{ name: string; terms: NodeSelectorTerm[] | undefined; want: boolean }> = [
    { name: 'In matches a listed value', terms: [expr({ key: 'zone', operator: 'In', values: ['a', 'b'] })], want: true },
    { name: 'In misses an unlisted value', terms: [expr({ key: 'zone', operator: 'In', values: ['b'] })], want: false },
    { name: 'In misses a missing label', terms: [expr({ key: 'nope', operator: 'In', values: ['a'] })], want: false },
    { name: 'NotIn matches another value', terms: [expr({ key: 'zone', operator: 'NotIn', values: ['b'] })], want: true },
    { name: 'NotIn matches a missing label', terms: [expr({ key: 'nope', operator: 'NotIn', values: ['b'] })], want: true },
    { name: 'NotIn misses a listed value', terms: [expr({ key: 'zone', operator: 'NotIn', values: ['a'] })], want: false },
    { name: 'Exists', terms: [expr({ key: 'zone', operator: 'Exists' })], want: true },
    { name: 'Exists on a missing label', terms: [expr({ key: 'nope', operator: 'Exists' })], want: false },
    { name: 'DoesNotExist on a missing label', terms: [expr({ key: 'nope', operator: 'DoesNotExist' })], want: true },
    { name: 'DoesNotExist on a present label', terms: [expr({ key: 'zone', operator: 'DoesNotExist' })], want: false },
    { name: 'Gt below the label', terms: [expr({ key: 'gen', operator: 'Gt', values: ['4'] })], want: true },
    { name: 'Gt equal to the label', terms: [expr({ key: 'gen', operator: 'Gt', values: ['5'] })], want: false },
    { name: 'Lt above the label', terms: [expr({ key: 'gen', operator: 'Lt', values: ['6'] })], want: true },
    { name: 'Lt equal to the label', terms: [expr({ key: 'gen', operator: 'Lt', values: ['5'] })], want: false },
    { name: 'Gt compares as integers, not strings', terms: [expr({ key: 'gen', operator: 'Gt', values: ['10'] })], want: false },
    { name: 'Gt with a negative value is not a valid label value: no match', terms: [expr({ key: 'gen', operator: 'Gt', values: ['-1'] })], want: false },
    { name: 'Gt with leading zeros parses as an integer', terms: [expr({ key: 'gen', operator: 'Gt', values: ['04'] })], want: true },
    { name: 'Gt on a non-integer label does not match', terms: [expr({ key: 'size', operator: 'Gt', values: ['1'] })], want: false },
    { name: 'Lt on a decimal label does not match', terms: [expr({ key: 'weird', operator: 'Lt', values: ['100'] })], want: false },
    { name: 'Gt on a missing label does not match', terms: [expr({ key: 'nope', operator: 'Gt', values: ['1'] })], want: false },
    { name: 'Gt with a non-integer value is a parse error: no match', terms: [expr({ key: 'gen', operator: 'Gt', values: ['4.5'] })], want: false },
    { name: 'Gt with two values is a parse error: no match', terms: [expr({ key: 'gen', operator: 'Gt', values: ['1', '2'] })], want: false },
    {
      name: 'expressions within a term are ANDed',
      terms: [expr({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gen', operator: 'Lt', values: ['3'] })],
      want: false,
    },
    { name: 'terms are ORed', terms: [expr({ key: 'zone', operator: 'In', values: ['x'] }), expr({ key: 'gen', operator: 'Gt', values: ['3'] })], want: true },
    {
      name: 'a broken term does not stop a later one from matching',
      terms: [expr({ key: 'zone', operator: 'In', values: [] }), expr({ key: 'zone', operator: 'Exists' })],
      want: true,
    },
    { name: 'unknown operator: no match', terms: [expr({ key: 'zone', operator: 'Equals', values: ['a'] })], want: false },
    { name: 'no terms match nothing', terms: [], want: false },
    { name: 'undefined terms match nothing', terms: undefined, want: false },
    { name: 'an empty term matches nothing', terms: [{}], want: false },
    { name: 'matchFields metadata.name In', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }], want: true },
    { name: 'matchFields metadata.name In another node', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }], want: false },
    { name: 'matchFields metadata.name NotIn', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n2'] }] }], want: true },
    {
      name: 'matchFields In with two values is invalid',
      terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1', 'n2'] }] }],
      want: false,
    },
    { name: 'matchFields Exists is unsupported', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }], want: false },
    {
      name: 'matchFields and matchExpressions are ANDed',
      terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }], matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }],
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(nodeMatchesNodeSelectorTerms(node, c.terms), c.want));

  it('accepts a NodeSelector object and an undefined node', () => {
    assert.equal(nodeMatchesNodeSelectorTerms(node, { nodeSelectorTerms: [expr({ key: 'zone', operator: 'Exists' })] }), true);
    assert.equal(nodeMatchesNodeSelectorTerms(undefined, [expr({ key: 'zone', operator: 'Exists' })]), false);
  });

  it('reports parse errors with their paths', () => {
    const m = new NodeSelectorMatcher([expr({ key: 'gen', operator: 'Gt', values: ['x'] }), { matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }]);
    assert.deepEqual(m.errors, [
      `nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
      'nodeSelectorTerms[1].matchFields[0].operator: Unsupported value: "Exists": supported values: "In", "NotIn"',
    ]);
  });
});

describe('RequiredNodeAffinity', () => {
  const node = makeNode('n1', undefined, { zone: 'a', disk: 'ssd' });
  const cases: Array<{ name: string; spec: Parameters<typeof makePod>[1]; want: boolean }> = [
    { name: 'no constraints', spec: {}, want: true },
    { name: 'nodeSelector matches', spec: { nodeSelector: { zone: 'a', disk: 'ssd' } }, want: true },
    { name: 'nodeSelector with a wrong value', spec: { nodeSelector: { zone: 'b' } }, want: false },
    { name: 'nodeSelector with a missing key', spec: { nodeSelector: { gpu: 'true' } }, want: false },
    {
      name: 'nodeSelector and affinity both must match',
      spec: {
        nodeSelector: { zone: 'a' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }] },
          },
        },
      },
      want: false,
    },
    {
      name: 'required affinity with empty terms matches nothing',
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } },
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(new RequiredNodeAffinity(makePod('p', c.spec)).matches(node), c.want));
});

describe('PreferredSchedulingTerms', () => {
  it('sums the weights of matching terms and drops zero-weight and empty terms', () => {
    const terms = new PreferredSchedulingTerms([
      { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 7, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
      { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
      { weight: 9, preference: {} },
      { weight: 3, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } },
    ]);
    assert.deepEqual(terms.errors, []);
    assert.equal(terms.score(makeNode('n', undefined, { zone: 'a', disk: 'ssd' })), 12);
    assert.equal(terms.score(makeNode('n', undefined, { zone: 'b' })), 3);
  });
  it('collects parse errors', () => {
    const terms = new PreferredSchedulingTerms([{ weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'Bogus' }] } }]);
    assert.equal(terms.errors.length, 1);
    assert.match(terms.errors[0]!, /Unsupported value: "Bogus"/);
  });
});

describe('defaultNormalizeScore', () => {
  const cases: Array<{ name: string; reverse: boolean; in: number[]; want: number[] }> = [
    { name: 'scales to the max', reverse: false, in: [1, 2, 4], want: [25, 50, 100] },
    { name: 'truncates like integer division', reverse: false, in: [1, 3], want: [33, 100] },
    { name: 'reversed', reverse: true, in: [0, 1, 2], want: [100, 50, 0] },
    { name: 'all zero stays zero', reverse: false, in: [0, 0], want: [0, 0] },
    { name: 'all zero reversed becomes max', reverse: true, in: [0, 0], want: [100, 100] },
    { name: 'empty list', reverse: false, in: [], want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const scores = c.in.map((score, i) => ({ name: `n${i}`, score }));
      const s = defaultNormalizeScore(100, c.reverse, scores);
      assert.equal(s.code, Code.Success);
      assert.deepEqual(
        scores.map((x) => x.score),
        c.want,
      );
    });
  }
});

describe('checkArgs', () => {
  it('accepts undefined, empty and known fields plus apiVersion/kind', () => {
    assert.deepEqual(checkArgs('P', undefined), {});
    assert.deepEqual(checkArgs('P', { kind: 'PArgs', apiVersion: 'kubescheduler.config.k8s.io/v1', a: 1 }, ['a']), {
      kind: 'PArgs',
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      a: 1,
    });
  });
  it('rejects unknown fields and non-objects', () => {
    assert.throws(() => checkArgs('P', { b: 1 }, ['a']), /P: unknown field "b"/);
    assert.throws(() => checkArgs('P', { b: 1 }), /P: takes no args/);
    assert.throws(() => checkArgs('P', [] as never), /args must be an object/);
  });
});
