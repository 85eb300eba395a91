import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1';
import { Code, CycleState, QueueingHint, newPodInfo, type Snapshot } from '../framework/index.js';
import { makeNode, makePod, makeSnapshot } from '../framework/testing.js';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH as AFF,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH as ANTI,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH as EXISTING,
  InterPodAffinity,
  type InterPodAffinityArgs,
} from './inter-pod-affinity.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

const term = (matchLabels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels },
  topologyKey,
  ...extra,
});
const weighted = (weight: number, t: PodAffinityTerm): WeightedPodAffinityTerm => ({ weight, podAffinityTerm: t });

interface Terms {
  affinity?: PodAffinityTerm[];
  anti?: PodAffinityTerm[];
  preferred?: WeightedPodAffinityTerm[];
  preferredAnti?: WeightedPodAffinityTerm[];
}

function pod(name: string, labels: Record<string, string>, t: Terms = {}, nodeName?: string, namespace = 'default'): Pod {
  return makePod(
    name,
    {
      ...(nodeName ? { nodeName } : {}),
      affinity: {
        podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: t.affinity, preferredDuringSchedulingIgnoredDuringExecution: t.preferred },
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: t.anti, preferredDuringSchedulingIgnoredDuringExecution: t.preferredAnti },
      },
    },
    { labels, namespace },
  );
}

const node = (name: string, labels: Record<string, string> = {}): Node => makeNode(name, undefined, labels);

// n1, n2 in zone a; n3 in zone b; n4 has no zone label.
const nodes = () => [node('n1', { [ZONE]: 'a' }), node('n2', { [ZONE]: 'a' }), node('n3', { [ZONE]: 'b' }), node('n4')];

/** Runs PreFilter and Filter on every node: '' for success, else the reason (with its code). */
function filterAll(incoming: Pod, snap: Snapshot, pl = new InterPodAffinity(undefined, { snapshot: () => snap })) {
  const state = new CycleState();
  const pre = pl.preFilter(state, incoming, snap.nodeInfos());
  if (pre.status.isSkip()) return 'skip';
  assert.equal(pre.status.code, Code.Success, pre.status.message());
  return Object.fromEntries(
    snap.nodeInfos().map((ni) => {
      const s = pl.filter(state, incoming, ni);
      return [ni.name, s.isSuccess() ? '' : `${Code[s.code]}: ${s.message()}`];
    }),
  );
}

const U = (r: string) => `Unschedulable: ${r}`;
const UU = (r: string) => `UnschedulableAndUnresolvable: ${r}`;

describe('InterPodAffinity filter', () => {
  const cases: { name: string; incoming: Pod; existing?: Pod[]; nsLabels?: Record<string, Record<string, string>>; want: 'skip' | Record<string, string> }[] = [
    {
      name: 'no terms and no existing anti-affinity: Skip',
      incoming: pod('p', { app: 'web' }),
      existing: [pod('e1', { app: 'db' }, {}, 'n1'), pod('e2', { app: 'x' }, { preferredAnti: [weighted(5, term({ app: 'web' }, HOST))] }, 'n2')],
      want: 'skip',
    },
    {
      name: "required affinity: only the matching pod's zone; nodes without the zone label fail",
      incoming: pod('p', { app: 'web' }, { affinity: [term({ app: 'db' }, ZONE)] }),
      existing: [pod('db', { app: 'db' }, {}, 'n1')],
      want: { n1: '', n2: '', n3: UU(AFF), n4: UU(AFF) },
    },
    {
      name: 'first pod of a group matching its own term may go to any node with the topology key',
      incoming: pod('p', { app: 'web' }, { affinity: [term({ app: 'web' }, ZONE)] }),
      existing: [pod('other', { app: 'db' }, {}, 'n1')],
      want: { n1: '', n2: '', n3: '', n4: UU(AFF) },
    },
    {
      name: 'first pod that does not match its own term has nowhere to go',
      incoming: pod('p', { app: 'web' }, { affinity: [term({ app: 'db' }, ZONE)] }),
      want: { n1: UU(AFF), n2: UU(AFF), n3: UU(AFF), n4: UU(AFF) },
    },
    {
      name: 'self-match does not apply once some pod matches elsewhere',
      incoming: pod('p', { app: 'web' }, { affinity: [term({ app: 'web' }, ZONE)] }),
      existing: [pod('w', { app: 'web' }, {}, 'n3')],
      want: { n1: UU(AFF), n2: UU(AFF), n3: '', n4: UU(AFF) },
    },
    {
      name: 'all affinity terms must be met by one pod',
      incoming: pod('p', {}, { affinity: [term({ app: 'db' }, ZONE), term({ tier: 'be' }, HOST)] }),
      existing: [pod('a', { app: 'db' }, {}, 'n1'), pod('b', { app: 'db', tier: 'be' }, {}, 'n2'), pod('c', { tier: 'be' }, {}, 'n3')],
      want: { n1: UU(AFF), n2: '', n3: UU(AFF), n4: UU(AFF) },
    },
    {
      name: 'required anti-affinity by hostname',
      incoming: pod('p', { app: 'web' }, { anti: [term({ app: 'db' }, HOST)] }),
      existing: [pod('db', { app: 'db' }, {}, 'n1')],
      want: { n1: U(ANTI), n2: '', n3: '', n4: '' },
    },
    {
      name: 'required anti-affinity by zone; a node without the key is not in the domain',
      incoming: pod('p', { app: 'web' }, { anti: [term({ app: 'db' }, ZONE)] }),
      existing: [pod('db', { app: 'db' }, {}, 'n1')],
      want: { n1: U(ANTI), n2: U(ANTI), n3: '', n4: '' },
    },
    {
      name: "symmetry: an existing pod's anti-affinity rejects the incoming pod",
      incoming: pod('p', { app: 'web' }),
      existing: [pod('guard', { app: 'db' }, { anti: [term({ app: 'web' }, ZONE)] }, 'n3')],
      want: { n1: '', n2: '', n3: U(EXISTING), n4: '' },
    },
    {
      name: 'existing anti-affinity defaults to its own namespace',
      incoming: pod('p', { app: 'web' }),
      existing: [pod('guard', { app: 'db' }, { anti: [term({ app: 'web' }, HOST)] }, 'n1', 'other')],
      want: 'skip',
    },
    {
      name: "existing anti-affinity naming the incoming pod's namespace",
      incoming: pod('p', { app: 'web' }),
      existing: [pod('guard', { app: 'db' }, { anti: [term({ app: 'web' }, HOST, { namespaces: ['default'] })] }, 'n1', 'other')],
      want: { n1: U(EXISTING), n2: '', n3: '', n4: '' },
    },
    {
      name: 'affinity namespaceSelector picks namespaces by their labels',
      incoming: pod('p', {}, { affinity: [term({ app: 'db' }, ZONE, { namespaceSelector: { matchLabels: { team: 'x' } } })] }),
      existing: [pod('db-x', { app: 'db' }, {}, 'n3', 'ns-x'), pod('db-y', { app: 'db' }, {}, 'n1', 'ns-y'), pod('db-default', { app: 'db' }, {}, 'n2')],
      nsLabels: { 'ns-x': { team: 'x' }, 'ns-y': { team: 'y' }, default: {} },
      want: { n1: UU(AFF), n2: UU(AFF), n3: '', n4: UU(AFF) },
    },
    {
      name: 'empty namespaceSelector selects every namespace',
      incoming: pod('p', {}, { anti: [term({ app: 'db' }, HOST, { namespaceSelector: {} })] }),
      existing: [pod('db-x', { app: 'db' }, {}, 'n3', 'ns-x')],
      want: { n1: '', n2: '', n3: U(ANTI), n4: '' },
    },
    {
      name: "existing anti-affinity with namespaceSelector matches the incoming pod's namespace labels",
      incoming: pod('p', { app: 'web' }, {}, undefined, 'prod'),
      existing: [pod('guard', {}, { anti: [term({ app: 'web' }, ZONE, { namespaceSelector: { matchLabels: { env: 'prod' } } })] }, 'n1', 'ops')],
      nsLabels: { prod: { env: 'prod' }, ops: {} },
      want: { n1: U(EXISTING), n2: U(EXISTING), n3: '', n4: '' },
    },
    {
      name: 'affinity is checked before anti-affinity',
      incoming: pod('p', { app: 'web' }, { affinity: [term({ app: 'db' }, ZONE)], anti: [term({ app: 'db' }, HOST)] }),
      existing: [pod('db', { app: 'db' }, {}, 'n1')],
      want: { n1: U(ANTI), n2: '', n3: UU(AFF), n4: UU(AFF) },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snap = makeSnapshot(nodes(), c.existing ?? [], c.nsLabels);
      assert.deepEqual(filterAll(c.incoming, snap), c.want);
    });
  }

  it('addPod/removePod update a cloned state for preemption', () => {
    const incoming = pod('p', { app: 'web' }, { anti: [term({ app: 'db' }, HOST)] });
    const guard = pod('guard', { app: 'x' }, { anti: [term({ app: 'web' }, HOST)] }, 'n2');
    const db = pod('db', { app: 'db' }, {}, 'n1');
    const snap = makeSnapshot(nodes(), [db, guard]);
    const pl = new InterPodAffinity(undefined, { snapshot: () => snap });
    const state = new CycleState();
    pl.preFilter(state, incoming, snap.nodeInfos());
    const [n1, n2, n3] = snap.nodeInfos();
    assert.equal(pl.filter(state, incoming, n1!).message(), ANTI);
    assert.equal(pl.filter(state, incoming, n2!).message(), EXISTING);

    const sim = state.clone();
    const ext = pl.preFilterExtensions()!;
    assert.ok(ext.removePod(sim, incoming, n1!.pods[0]!, n1!).isSuccess());
    assert.ok(ext.removePod(sim, incoming, n2!.pods[0]!, n2!).isSuccess());
    assert.ok(pl.filter(sim, incoming, n1!).isSuccess());
    assert.ok(pl.filter(sim, incoming, n2!).isSuccess());
    ext.addPod(sim, incoming, newPodInfo(pod('db2', { app: 'db' }, {}, 'n3')), n3!);
    assert.equal(pl.filter(sim, incoming, n3!).message(), ANTI);
    // The original state is untouched.
    assert.equal(pl.filter(state, incoming, n1!).message(), ANTI);
    assert.ok(pl.filter(state, incoming, n3!).isSuccess());
  });

  it('removing the only matching pod turns affinity into the first-pod case', () => {
    const incoming = pod('p', { app: 'db' }, { affinity: [term({ app: 'db' }, ZONE)] });
    const snap = makeSnapshot(nodes(), [pod('db', { app: 'db' }, {}, 'n3')]);
    const pl = new InterPodAffinity(undefined, { snapshot: () => snap });
    const state = new CycleState();
    pl.preFilter(state, incoming, snap.nodeInfos());
    const n3 = snap.get('n3')!;
    assert.equal(pl.filter(state, incoming, snap.get('n1')!).code, Code.UnschedulableAndUnresolvable);
    pl.preFilterExtensions()!.removePod(state, incoming, n3.pods[0]!, n3);
    assert.ok(pl.filter(state, incoming, snap.get('n1')!).isSuccess());
  });
});

/** Raw and normalised scores of every node, or 'skip'. */
function scoreAll(incoming: Pod, snap: Snapshot, args?: Partial<InterPodAffinityArgs>) {
  const pl = new InterPodAffinity(args, { snapshot: () => snap });
  const state = new CycleState();
  const st = pl.preScore(state, incoming, snap.nodeInfos());
  if (st.isSkip()) return 'skip';
  const list = snap.nodeInfos().map((ni) => ({ name: ni.name, score: pl.score(state, incoming, ni).score }));
  const raw = Object.fromEntries(list.map((s) => [s.name, s.score]));
  assert.ok(pl.normalizeScore(state, incoming, list).isSuccess());
  return { raw, normalized: Object.fromEntries(list.map((s) => [s.name, s.score])) };
}

describe('InterPodAffinity score', () => {
  it('incoming preferred affinity and anti-affinity; min–max normalisation', () => {
    const incoming = pod(
      'p',
      { app: 'web' },
      { preferred: [weighted(5, term({ app: 'db' }, ZONE))], preferredAnti: [weighted(3, term({ app: 'web' }, HOST))] },
    );
    const snap = makeSnapshot(nodes(), [pod('db', { app: 'db' }, {}, 'n1'), pod('w2', { app: 'web' }, {}, 'n2'), pod('w3', { app: 'web' }, {}, 'n3')]);
    // zone a: +5; n2: -3; n3: -3. Range [-3, 5]: 100·(s+3)/8, truncated.
    assert.deepEqual(scoreAll(incoming, snap), { raw: { n1: 5, n2: 2, n3: -3, n4: 0 }, normalized: { n1: 100, n2: 62, n3: 0, n4: 37 } });
  });

  it("existing pods' terms count symmetrically, hard affinity with hardPodAffinityWeight", () => {
    const incoming = pod('p', { app: 'web' });
    const existing = [
      pod('hard', {}, { affinity: [term({ app: 'web' }, HOST)] }, 'n1'),
      pod('soft', {}, { preferred: [weighted(10, term({ app: 'web' }, ZONE))] }, 'n2'),
      pod('avoid', {}, { preferredAnti: [weighted(4, term({ app: 'web' }, HOST))] }, 'n3'),
    ];
    const snap = makeSnapshot(nodes(), existing);
    // n1: 1 (hard) + 10 (zone a); n2: 10; n3: -4. Range [-4, 11].
    assert.deepEqual(scoreAll(incoming, snap), { raw: { n1: 11, n2: 10, n3: -4, n4: 0 }, normalized: { n1: 100, n2: 93, n3: 0, n4: 26 } });
    assert.deepEqual(scoreAll(incoming, snap, { hardPodAffinityWeight: 0 }), {
      raw: { n1: 10, n2: 10, n3: -4, n4: 0 },
      normalized: { n1: 100, n2: 100, n3: 0, n4: 28 },
    });
    assert.deepEqual(scoreAll(incoming, snap, { hardPodAffinityWeight: 7 }), {
      raw: { n1: 17, n2: 10, n3: -4, n4: 0 },
      normalized: { n1: 100, n2: 66, n3: 0, n4: 19 },
    });
    assert.equal(scoreAll(incoming, snap, { ignorePreferredTermsOfExistingPods: true }), 'skip');
  });

  it('ignorePreferredTermsOfExistingPods only matters when the incoming pod has no preferred terms', () => {
    // Upstream: when the incoming pod has preferred terms, existing pods' terms still count.
    const incoming = pod('p', { app: 'web' }, { preferred: [weighted(2, term({ app: 'db' }, HOST))] });
    const snap = makeSnapshot(nodes(), [pod('db', { app: 'db' }, { preferred: [weighted(50, term({ app: 'web' }, ZONE))] }, 'n3')]);
    const want = { raw: { n1: 0, n2: 0, n3: 52, n4: 0 }, normalized: { n1: 0, n2: 0, n3: 100, n4: 0 } };
    assert.deepEqual(scoreAll(incoming, snap, { ignorePreferredTermsOfExistingPods: true }), want);
    assert.deepEqual(scoreAll(incoming, snap), want);
    assert.equal(scoreAll(pod('q', { app: 'web' }), snap, { ignorePreferredTermsOfExistingPods: true }), 'skip');
    assert.deepEqual(scoreAll(pod('q', { app: 'web' }), snap), { raw: { n1: 0, n2: 0, n3: 50, n4: 0 }, normalized: { n1: 0, n2: 0, n3: 100, n4: 0 } });
  });

  it('rounds as upstream: 100 × (29/100) truncates to 28', () => {
    const incoming = pod('p', {}, { preferred: [weighted(100, term({ app: 'db' }, HOST)), weighted(29, term({ app: 'cache' }, HOST))] });
    const snap = makeSnapshot(nodes(), [pod('db', { app: 'db' }, {}, 'n1'), pod('cache', { app: 'cache' }, {}, 'n2')]);
    assert.deepEqual(scoreAll(incoming, snap), { raw: { n1: 100, n2: 29, n3: 0, n4: 0 }, normalized: { n1: 100, n2: 28, n3: 0, n4: 0 } });
  });

  it('preferred namespaceSelector, and Skip when nothing matches', () => {
    const incoming = pod('p', {}, { preferred: [weighted(4, term({ app: 'db' }, ZONE, { namespaceSelector: { matchLabels: { team: 'x' } } }))] });
    const existing = [pod('db-x', { app: 'db' }, {}, 'n3', 'ns-x'), pod('db-y', { app: 'db' }, {}, 'n1', 'ns-y')];
    const snap = makeSnapshot(nodes(), existing, { 'ns-x': { team: 'x' }, 'ns-y': {} });
    assert.deepEqual(scoreAll(incoming, snap), { raw: { n1: 0, n2: 0, n3: 4, n4: 0 }, normalized: { n1: 0, n2: 0, n3: 100, n4: 0 } });
    assert.equal(scoreAll(pod('q', {}, { preferred: [weighted(4, term({ app: 'none' }, ZONE))] }), snap), 'skip');
  });

  it('rejects hardPodAffinityWeight out of range', () => {
    const snap = makeSnapshot([]);
    assert.throws(() => new InterPodAffinity({ hardPodAffinityWeight: 101 }, { snapshot: () => snap }), /hardPodAffinityWeight/);
    assert.throws(() => new InterPodAffinity({ hardPodAffinityWeigth: 1 }, { snapshot: () => snap }), /unknown field/);
  });
});

describe('InterPodAffinity events', () => {
  const snap = makeSnapshot(nodes());
  const pl = new InterPodAffinity(undefined, { snapshot: () => snap });
  const [podEvent, nodeEvent] = pl.eventsToRegister();
  const incoming = pod('p', { app: 'web' }, { affinity: [term({ app: 'db' }, ZONE)], anti: [term({ app: 'cache' }, HOST)] });

  it('registers pod and node events', () => {
    assert.deepEqual(podEvent!.event, { resource: 'Pod', actions: ['Add', 'UpdatePodLabel', 'Delete'] });
    assert.deepEqual(nodeEvent!.event, { resource: 'Node', actions: ['Add', 'UpdateNodeLabel', 'UpdateNodeTaint'] });
  });

  it('pod hints', () => {
    const hint = podEvent!.hint!;
    assert.equal(hint(incoming, undefined, pod('db', { app: 'db' }, {}, 'n1')), QueueingHint.Queue);
    assert.equal(hint(incoming, undefined, pod('db', { app: 'db' })), QueueingHint.Skip, 'unassigned');
    assert.equal(hint(incoming, undefined, pod('x', { app: 'x' }, {}, 'n1')), QueueingHint.Skip);
    assert.equal(hint(incoming, pod('c', { app: 'cache' }, {}, 'n1'), undefined), QueueingHint.Queue);
    assert.equal(hint(incoming, pod('c', { app: 'cache' }, {}, 'n1'), pod('c', { app: 'other' }, {}, 'n1')), QueueingHint.Queue);
    assert.equal(hint(incoming, pod('x', { app: 'x' }, {}, 'n1'), pod('x', { app: 'db' }, {}, 'n1')), QueueingHint.Queue);
    assert.equal(hint(incoming, pod('x', { app: 'x' }, {}, 'n1'), pod('x', { app: 'y' }, {}, 'n1')), QueueingHint.Skip);
    const guard = pod('g', {}, { anti: [term({ app: 'web' }, HOST)] }, 'n1');
    assert.equal(hint(incoming, guard, undefined), QueueingHint.Queue, 'deleted pod whose anti-affinity rejected the pod');
  });

  it('node hints', () => {
    const hint = nodeEvent!.hint!;
    assert.equal(hint(incoming, undefined, node('n9', { [ZONE]: 'c' })), QueueingHint.Queue);
    assert.equal(hint(pod('q', {}, { affinity: [term({ app: 'db' }, ZONE)] }), undefined, node('n9')), QueueingHint.Skip);
  });
});
