import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { Code, CycleState, QueueingHint, newPodInfo, type Handle, type NodeInfo, type Snapshot } from '../framework/index.js';
import { makeNode, makePod, makeSnapshot } from '../framework/testing.js';
import {
  ERR_REASON_CONSTRAINTS_NOT_MATCH as SKEW,
  ERR_REASON_NODE_LABEL_NOT_MATCH as MISSING,
  PodTopologySpread,
  type PodTopologySpreadArgs,
} from './pod-topology-spread.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

const hard = (topologyKey: string, maxSkew: number, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  topologyKey,
  maxSkew,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'foo' } },
  ...extra,
});
const soft = (topologyKey: string, maxSkew: number, extra: Partial<TopologySpreadConstraint> = {}) =>
  hard(topologyKey, maxSkew, { whenUnsatisfiable: 'ScheduleAnyway', ...extra });

const node = (name: string, labels: Record<string, string> = {}, spec: Partial<NonNullable<Node['spec']>> = {}): Node =>
  makeNode(name, undefined, labels, spec);
const zoned = (name: string, zone: string, labels: Record<string, string> = {}, spec: Partial<NonNullable<Node['spec']>> = {}) =>
  node(name, { [ZONE]: zone, ...labels }, spec);

/** Existing pods: `count` pods labelled app=foo (or `labels`) on nodeName. */
function pods(nodeName: string, count: number, labels: Record<string, string> = { app: 'foo' }, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod[] {
  return Array.from({ length: count }, (_, i) => makePod(`${nodeName}-${i}-${Object.values(labels).join('-')}`, { nodeName }, { labels, ...meta }));
}

const incoming = (constraints: TopologySpreadConstraint[], spec: Partial<NonNullable<Pod['spec']>> = {}, labels: Record<string, string> = { app: 'foo' }) =>
  makePod('incoming', { topologySpreadConstraints: constraints, ...spec }, { labels });

function handleFor(snap: Snapshot, owner?: LabelSelector): Handle {
  return owner ? { snapshot: () => snap, ownerSelector: () => owner } : { snapshot: () => snap };
}

/** PreFilter + Filter on every node: '' for success, else "Code: reason". */
function filterAll(pod: Pod, snap: Snapshot, pl = new PodTopologySpread(undefined, handleFor(snap))) {
  const state = new CycleState();
  const pre = pl.preFilter(state, pod, snap.nodeInfos());
  if (pre.status.isSkip()) return 'skip';
  assert.equal(pre.status.code, Code.Success, pre.status.message());
  return Object.fromEntries(
    snap.nodeInfos().map((ni) => {
      const s = pl.filter(state, pod, ni);
      return [ni.name, s.isSuccess() ? '' : `${Code[s.code]}: ${s.message()}`];
    }),
  );
}

const U = `Unschedulable: ${SKEW}`;
const UU = `UnschedulableAndUnresolvable: ${MISSING}`;

describe('PodTopologySpread filter', () => {
  const fourNodes = () => [zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b'), zoned('n4', 'b')];
  const taint = { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] };
  const cases: { name: string; pod: Pod; nodes: Node[]; existing?: Pod[]; want: 'skip' | Record<string, string> }[] = [
    { name: 'no constraints and no owner: Skip', pod: makePod('p', {}, { labels: { app: 'foo' } }), nodes: fourNodes(), want: 'skip' },
    { name: 'only ScheduleAnyway constraints: Skip', pod: incoming([soft(ZONE, 1)]), nodes: fourNodes(), want: 'skip' },
    {
      name: 'zone maxSkew 1: the fuller zone is rejected',
      pod: incoming([hard(ZONE, 1)]),
      nodes: fourNodes(),
      existing: [...pods('n1', 1), ...pods('n2', 1), ...pods('n3', 1)],
      // a: 2, b: 1, min 1 → a: 2+1-1 = 2 > 1; b: 1+1-1 = 1.
      want: { n1: U, n2: U, n3: '', n4: '' },
    },
    {
      name: 'maxSkew 2 admits both zones',
      pod: incoming([hard(ZONE, 2)]),
      nodes: fourNodes(),
      existing: [...pods('n1', 1), ...pods('n2', 1), ...pods('n3', 1)],
      want: { n1: '', n2: '', n3: '', n4: '' },
    },
    {
      name: 'a pod that does not match its own selector does not count itself',
      pod: incoming([hard(ZONE, 1)], {}, { app: 'bar' }),
      nodes: fourNodes(),
      existing: [...pods('n1', 1), ...pods('n2', 1), ...pods('n3', 1)],
      want: { n1: '', n2: '', n3: '', n4: '' },
    },
    {
      name: 'nodes without the topology key are rejected as unresolvable and form no domain',
      pod: incoming([hard(ZONE, 1)]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'b'), node('n5')],
      existing: [...pods('n1', 1), ...pods('n5', 3)],
      // a: 1, b: 0 (n5's pods are not counted anywhere).
      want: { n1: U, n2: '', n5: UU },
    },
    {
      name: 'pods in other namespaces and terminating pods are not counted',
      pod: incoming([hard(ZONE, 1)]),
      nodes: fourNodes(),
      existing: [
        ...pods('n1', 2, { app: 'foo' }, { namespace: 'other' }),
        ...pods('n2', 2, { app: 'foo' }, { deletionTimestamp: '2024-01-01T00:00:00Z' }),
        ...pods('n3', 1),
      ],
      // a: 0, b: 1.
      want: { n1: '', n2: '', n3: U, n4: U },
    },
    {
      name: 'minDomains: fewer eligible domains than minDomains makes the global minimum 0',
      pod: incoming([hard(HOST, 1, { minDomains: 3 })]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'a')],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      want: { n1: U, n2: U },
    },
    {
      name: 'minDomains met: the real minimum applies',
      pod: incoming([hard(HOST, 1, { minDomains: 2 })]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'a')],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      want: { n1: '', n2: '' },
    },
    {
      name: 'nodeAffinityPolicy Honor (default): nodes the pod cannot go to form no domain',
      pod: incoming([hard(ZONE, 1)], { nodeSelector: { env: 'prod' } }),
      nodes: [zoned('n1', 'a', { env: 'prod' }), zoned('n2', 'b', { env: 'prod' }), zoned('n3', 'c', { env: 'dev' })],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      // domains a: 1, b: 1 → min 1.
      want: { n1: '', n2: '', n3: '' },
    },
    {
      name: 'nodeAffinityPolicy Ignore: every node with the key counts',
      pod: incoming([hard(ZONE, 1, { nodeAffinityPolicy: 'Ignore' })], { nodeSelector: { env: 'prod' } }),
      nodes: [zoned('n1', 'a', { env: 'prod' }), zoned('n2', 'b', { env: 'prod' }), zoned('n3', 'c', { env: 'dev' })],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      // domains a: 1, b: 1, c: 0 → min 0.
      want: { n1: U, n2: U, n3: '' },
    },
    {
      name: 'nodeAffinityPolicy Honor with required node affinity terms',
      pod: incoming([hard(ZONE, 1)], {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'NotIn', values: ['c'] }] }] },
          },
        },
      }),
      nodes: [zoned('n1', 'a'), zoned('n2', 'b'), zoned('n3', 'c')],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      want: { n1: '', n2: '', n3: '' },
    },
    {
      name: 'nodeTaintsPolicy Ignore (default): tainted nodes count',
      pod: incoming([hard(ZONE, 1)]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'b'), zoned('n3', 'c', {}, taint)],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      want: { n1: U, n2: U, n3: '' },
    },
    {
      name: 'nodeTaintsPolicy Honor: untolerated tainted nodes form no domain',
      pod: incoming([hard(ZONE, 1, { nodeTaintsPolicy: 'Honor' })]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'b'), zoned('n3', 'c', {}, taint)],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      want: { n1: '', n2: '', n3: '' },
    },
    {
      name: 'nodeTaintsPolicy Honor: tolerated taints count',
      pod: incoming([hard(ZONE, 1, { nodeTaintsPolicy: 'Honor' })], { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }),
      nodes: [zoned('n1', 'a'), zoned('n2', 'b'), zoned('n3', 'c', {}, taint)],
      existing: [...pods('n1', 1), ...pods('n2', 1)],
      want: { n1: U, n2: U, n3: '' },
    },
    {
      name: 'without matchLabelKeys every app=foo pod counts',
      pod: incoming([hard(HOST, 1)], {}, { app: 'foo', 'pod-template-hash': 'v2' }),
      nodes: [zoned('n1', 'a'), zoned('n2', 'a')],
      existing: pods('n1', 2, { app: 'foo', 'pod-template-hash': 'v1' }),
      want: { n1: U, n2: '' },
    },
    {
      name: "matchLabelKeys: only pods with the pod's own value count",
      pod: incoming([hard(HOST, 1, { matchLabelKeys: ['pod-template-hash'] })], {}, { app: 'foo', 'pod-template-hash': 'v2' }),
      nodes: [zoned('n1', 'a'), zoned('n2', 'a')],
      existing: [...pods('n1', 2, { app: 'foo', 'pod-template-hash': 'v1' }), ...pods('n2', 1, { app: 'foo', 'pod-template-hash': 'v2' })],
      // v2 only: n1: 0, n2: 1 → n2: 1+1-0 = 2 > 1.
      want: { n1: '', n2: U },
    },
    {
      name: 'two constraints: both must hold; the missing key is reported first',
      pod: incoming([hard(ZONE, 1), hard(HOST, 1)]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b'), node('n4')],
      existing: [...pods('n1', 1), ...pods('n3', 1)],
      // zones a: 1, b: 1 → ok everywhere; hosts n1: 1, n2: 0, n3: 1, min 0 → n1, n3 rejected.
      want: { n1: U, n2: '', n3: U, n4: UU },
    },
    {
      name: 'a constraint without labelSelector matches nothing',
      pod: incoming([hard(HOST, 1, { labelSelector: undefined })]),
      nodes: [zoned('n1', 'a'), zoned('n2', 'a')],
      existing: pods('n1', 5),
      want: { n1: '', n2: '' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snap = makeSnapshot(c.nodes, c.existing ?? []);
      assert.deepEqual(filterAll(c.pod, snap), c.want);
    });
  }

  it("List default constraints use the owner's selector; none without an owner", () => {
    const snap = makeSnapshot([zoned('n1', 'a'), zoned('n2', 'a')], pods('n1', 2));
    const args: PodTopologySpreadArgs = { defaultingType: 'List', defaultConstraints: [{ topologyKey: HOST, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }] };
    const p = makePod('p', {}, { labels: { app: 'foo' } });
    assert.deepEqual(filterAll(p, snap, new PodTopologySpread(args, handleFor(snap, { matchLabels: { app: 'foo' } }))), { n1: U, n2: '' });
    assert.equal(filterAll(p, snap, new PodTopologySpread(args, handleFor(snap))), 'skip');
    assert.equal(filterAll(p, snap, new PodTopologySpread(args, handleFor(snap, {}))), 'skip', 'empty selector');
  });

  it('validates arguments', () => {
    const h = handleFor(makeSnapshot([]));
    assert.throws(() => new PodTopologySpread({ defaultConstraints: [hard(HOST, 1, { labelSelector: undefined })] }, h), /must be empty/);
    assert.throws(() => new PodTopologySpread({ defaultingType: 'List', defaultConstraints: [hard(HOST, 1)] }, h), /must not define a selector/);
    assert.throws(() => new PodTopologySpread({ defaultingType: 'List', defaultConstraints: [hard(HOST, 0, { labelSelector: undefined })] }, h), /maxSkew/);
  });

  it('addPod/removePod update a cloned state for preemption', () => {
    const snap = makeSnapshot([zoned('n1', 'a'), zoned('n2', 'b')], [...pods('n1', 2), ...pods('n2', 1)]);
    const pl = new PodTopologySpread(undefined, handleFor(snap));
    const p = incoming([hard(ZONE, 1)]);
    const state = new CycleState();
    pl.preFilter(state, p, snap.nodeInfos());
    const n1 = snap.get('n1')!;
    const n2 = snap.get('n2')!;
    assert.equal(pl.filter(state, p, n1).code, Code.Unschedulable);

    const sim = state.clone();
    const ext = pl.preFilterExtensions()!;
    assert.ok(ext.removePod(sim, p, n1.pods[0]!, n1).isSuccess());
    assert.ok(pl.filter(sim, p, n1).isSuccess(), 'a: 1, b: 1');
    ext.addPod(sim, p, newPodInfo(makePod('x', { nodeName: 'n2' }, { labels: { app: 'foo' } })), n2);
    ext.addPod(sim, p, newPodInfo(makePod('y', { nodeName: 'n2' }, { labels: { app: 'foo' } })), n2);
    assert.equal(pl.filter(sim, p, n2).code, Code.Unschedulable, 'a: 1, b: 3');
    assert.ok(pl.filter(sim, p, n1).isSuccess());
    ext.addPod(sim, p, newPodInfo(makePod('z', { nodeName: 'n1' }, { labels: { app: 'foo' }, namespace: 'other' })), n1);
    assert.ok(pl.filter(sim, p, n1).isSuccess(), 'other namespaces are not counted');
    // Untouched original.
    assert.equal(pl.filter(state, p, n1).code, Code.Unschedulable);
    assert.ok(pl.filter(state, p, n2).isSuccess());
  });
});

/** PreScore, Score and NormalizeScore over the filtered nodes: raw and normalised, or 'skip'. */
function scoreAll(pod: Pod, snap: Snapshot, pl = new PodTopologySpread(undefined, handleFor(snap)), filtered: NodeInfo[] = snap.nodeInfos()) {
  const state = new CycleState();
  const st = pl.preScore(state, pod, filtered);
  if (st.isSkip()) return 'skip';
  assert.ok(st.isSuccess(), st.message());
  const list = filtered.map((ni) => ({ name: ni.name, score: pl.score(state, pod, ni).score }));
  const raw = Object.fromEntries(list.map((s) => [s.name, s.score]));
  assert.ok(pl.normalizeScore(state, pod, list).isSuccess());
  return { raw, normalized: Object.fromEntries(list.map((s) => [s.name, s.score])) };
}

describe('PodTopologySpread score', () => {
  it('one zone constraint; nodes missing the key score 0', () => {
    const snap = makeSnapshot(
      [zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b'), node('n4')],
      [...pods('n1', 2), ...pods('n2', 1), ...pods('n3', 1), ...pods('n4', 4)],
    );
    // Two zones → weight ln(4). a: 3 → round(3·1.386) = 4; b: 1 → round(1.386) = 1.
    // Normalised: 100·(max + min − s) / max = 100·(4+1−s)/4.
    assert.deepEqual(scoreAll(incoming([soft(ZONE, 1)]), snap), { raw: { n1: 4, n2: 4, n3: 1, n4: 0 }, normalized: { n1: 25, n2: 25, n3: 100, n4: 0 } });
  });

  it('hostname and zone constraints with maxSkew offsets', () => {
    const snap = makeSnapshot([zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b')], [...pods('n1', 1), ...pods('n3', 2)]);
    // host weight ln(5) = 1.6094, zone weight ln(4) = 1.3863 (maxSkew 2 adds 1).
    // n1: 1·1.6094 + (1·1.3863 + 1) = 3.996 → 4; n2: 0 + 2.386 → 2; n3: 2·1.6094 + (2·1.3863 + 1) = 6.991 → 7.
    // Normalised: 100·(7+2−s)/7 truncated → 71, 100, 28.
    assert.deepEqual(scoreAll(incoming([soft(HOST, 1), soft(ZONE, 2)]), snap), { raw: { n1: 4, n2: 2, n3: 7 }, normalized: { n1: 71, n2: 100, n3: 28 } });
  });

  it("only filtered nodes' domains are weighted, but all nodes' pods are counted", () => {
    const snap = makeSnapshot([zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b'), zoned('n4', 'c')], [...pods('n2', 3), ...pods('n3', 1), ...pods('n4', 9)]);
    const filtered = ['n1', 'n3'].map((n) => snap.get(n)!);
    // Domains of candidates: a, b → ln(4); a: 3 → 4.159 → 4; b: 1 → 1.386 → 1.
    assert.deepEqual(scoreAll(incoming([soft(ZONE, 1)]), snap, undefined, filtered), { raw: { n1: 4, n3: 1 }, normalized: { n1: 25, n3: 100 } });
  });

  it('no matching pods anywhere: everyone gets the maximum', () => {
    const snap = makeSnapshot([zoned('n1', 'a'), zoned('n2', 'b')], pods('n1', 3, { app: 'bar' }));
    assert.deepEqual(scoreAll(incoming([soft(ZONE, 1)]), snap), { raw: { n1: 0, n2: 0 }, normalized: { n1: 100, n2: 100 } });
  });

  it("nodeTaintsPolicy Honor leaves untolerated nodes' pods out of the counts", () => {
    const nodes = [zoned('n1', 'a'), zoned('n2', 'a', {}, { taints: [{ key: 'k', effect: 'NoExecute' }] }), zoned('n3', 'b')];
    const snap = makeSnapshot(nodes, [...pods('n2', 3), ...pods('n3', 1)]);
    const filtered = [snap.get('n1')!, snap.get('n3')!];
    // Honor: a counts only n1 (0); b: 1 → raw n1 0, n3 round(1.386) = 1 → 100·(1+0−s)/1.
    assert.deepEqual(scoreAll(incoming([soft(ZONE, 1, { nodeTaintsPolicy: 'Honor' })]), snap, undefined, filtered), {
      raw: { n1: 0, n3: 1 },
      normalized: { n1: 100, n3: 0 },
    });
    // Ignore: a: 3 → round(4.159) = 4; b: 1 → 100·(4+1−s)/4.
    assert.deepEqual(scoreAll(incoming([soft(ZONE, 1)]), snap, undefined, filtered), { raw: { n1: 4, n3: 1 }, normalized: { n1: 25, n3: 100 } });
  });

  it('System defaults: owner selector, hostname maxSkew 3 and zone maxSkew 5; nodes without a zone keep hostname spreading', () => {
    const snap = makeSnapshot([zoned('n1', 'a'), zoned('n2', 'a'), node('n3')], [...pods('n1', 2), ...pods('n3', 1)]);
    const pl = new PodTopologySpread(undefined, handleFor(snap, { matchLabels: { app: 'foo' } }));
    const p = makePod('p', {}, { labels: { app: 'foo' } });
    // host weight ln(5); zone domains {a, ""} → ln(4).
    // n1: 2·1.6094 + 2 + 2·1.3863 + 4 = 11.99 → 12; n2: 0 + 2 + 6.773 = 8.77 → 9; n3: 1.6094 + 2 (no zone term) → 4.
    // Normalised: 100·(12+4−s)/12 → 33, 58, 100.
    assert.deepEqual(scoreAll(p, snap, pl), { raw: { n1: 12, n2: 9, n3: 4 }, normalized: { n1: 33, n2: 58, n3: 100 } });
    assert.equal(scoreAll(p, snap, new PodTopologySpread(undefined, handleFor(snap))), 'skip', 'no owner');
    assert.equal(scoreAll(incoming([hard(ZONE, 1)]), snap, pl), 'skip', 'own constraints replace the defaults');
  });
});

describe('PodTopologySpread events', () => {
  const snap = makeSnapshot([]);
  const pl = new PodTopologySpread(undefined, handleFor(snap));
  const [podEvent, nodeEvent] = pl.eventsToRegister();
  const p = incoming([hard(ZONE, 1)]);
  const foo = (nodeName: string | undefined, labels: Record<string, string> = { app: 'foo' }, ns = 'default') =>
    makePod('e', nodeName ? { nodeName } : {}, { labels, namespace: ns });

  it('pod hints', () => {
    const hint = podEvent!.hint!;
    assert.equal(hint(p, undefined, foo('n1')), QueueingHint.Queue);
    assert.equal(hint(p, undefined, foo('n1', { app: 'bar' })), QueueingHint.Skip);
    assert.equal(hint(p, undefined, foo(undefined)), QueueingHint.Skip, 'unassigned');
    assert.equal(hint(p, undefined, foo('n1', { app: 'foo' }, 'other')), QueueingHint.Skip, 'other namespace');
    assert.equal(hint(p, foo('n1'), undefined), QueueingHint.Queue);
    assert.equal(hint(p, foo('n1', { app: 'foo' }), foo('n1', { app: 'bar' })), QueueingHint.Queue);
    assert.equal(hint(p, foo('n1', { app: 'x' }), foo('n1', { app: 'y' })), QueueingHint.Skip);
    const tolerating = { ...p, spec: { ...p.spec!, tolerations: [{ operator: 'Exists' }] } } as Pod;
    assert.equal(hint(p, p, tolerating), QueueingHint.Queue, 'own tolerations changed');
  });

  it('node hints', () => {
    const hint = nodeEvent!.hint!;
    assert.equal(hint(p, undefined, zoned('n9', 'c')), QueueingHint.Queue);
    assert.equal(hint(p, undefined, node('n9')), QueueingHint.Skip);
    assert.equal(hint(p, zoned('n9', 'c'), zoned('n9', 'd')), QueueingHint.Queue);
    assert.equal(hint(p, zoned('n9', 'c'), zoned('n9', 'c', { other: 'x' })), QueueingHint.Skip);
    assert.equal(hint(p, zoned('n9', 'c'), undefined), QueueingHint.Queue);
  });
});
