// InterPodAffinity, as upstream's pkg/scheduler/framework/plugins/interpodaffinity: required pod
// affinity and anti-affinity filter nodes (the incoming pod's own terms, and existing pods'
// anti-affinity terms that select the incoming pod), preferred terms of both sides score them.
// Everything is counted per topology pair (label key, value) once per cycle in PreFilter /
// PreScore, so Filter and Score per node are a few map look-ups.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import {
  MAX_NODE_SCORE,
  QueueingHint,
  Status,
  newPodInfo,
  termMatches,
  type AffinityTerm,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type NodeInfo,
  type NodeScore,
  type PluginArgs,
  type PodInfo,
  type PreFilterExtensions,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
  type WeightedAffinityTerm,
  type PairCounts,
} from '../framework/index.js';
import { checkArgs, labelValue, nodeLabels } from './helpers.js';

const NAME = 'InterPodAffinity';

export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

const PRE_FILTER_STATE_KEY = 'PreFilter' + NAME;
const PRE_SCORE_STATE_KEY = 'PreScore' + NAME;

export type InterPodAffinityArgs = {
  /** Score weight of an existing pod's required affinity term that the incoming pod matches (0–100). */
  hardPodAffinityWeight: number;
  /** Skip scoring (ignore existing pods' preferred terms) when the incoming pod has no preferred terms. */
  ignorePreferredTermsOfExistingPods: boolean;
};

type NamespaceLabels = (ns: string) => Record<string, string> | undefined;

/**
 * Counts by topology pair (key, value). Most of them are the affinity index's own per-key maps,
 * read in place (the index copies a map it lent out before changing it), so a cycle does not
 * copy a count for every node of the cluster; changes made during the cycle (preemption's
 * what-ifs, nominated pods) go to a small map of deltas on top.
 */
class TopologyCounts {
  private views: Array<{ key: string; values: PairCounts; factor: number }> = [];
  /** key → value → delta on top of the views; zero entries are removed. */
  private deltas = new Map<string, Map<string, number>>();
  /** Pairs whose count is not zero; computed when first asked, then kept current. */
  private nonZero: number | undefined = 0;

  /** How many pairs have a non-zero count. */
  get size(): number {
    this.nonZero ??= this.countNonZero();
    return this.nonZero;
  }

  get(key: string, value: string): number {
    let n = 0;
    for (let i = 0; i < this.views.length; i++) {
      const v = this.views[i]!;
      if (v.key === key) n += (v.values.get(value) ?? 0) * v.factor;
    }
    const d = this.deltas.get(key);
    return d === undefined ? n : n + (d.get(value) ?? 0);
  }

  /** Adds delta to the pair (key, node's value for key); nodes without the key are not counted. */
  add(labels: Record<string, string>, key: string, delta: number): void {
    const v = labelValue(labels, key);
    if (v === undefined || delta === 0) return;
    if (this.nonZero !== undefined) {
      const before = this.get(key, v);
      if (before === 0) this.nonZero++;
      else if (before + delta === 0) this.nonZero--;
    }
    let d = this.deltas.get(key);
    if (!d) this.deltas.set(key, (d = new Map()));
    const n = (d.get(v) ?? 0) + delta;
    if (n === 0) d.delete(v);
    else d.set(v, n);
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    c.views = this.views.slice();
    for (const [k, d] of this.deltas) c.deltas.set(k, new Map(d));
    c.nonZero = this.nonZero;
    return c;
  }

  /** Counts kept by the affinity index for one topology key, times factor. */
  addPairs(key: string, values: PairCounts, factor = 1): void {
    if (values.size === 0 || factor === 0) return;
    this.views.push({ key, values, factor });
    this.nonZero = undefined;
  }

  private countNonZero(): number {
    const keys = new Set([...this.views.map((v) => v.key), ...this.deltas.keys()]);
    let n = 0;
    for (const key of keys) {
      const views = this.views.filter((v) => v.key === key);
      // The usual case, one index map and no deltas: its entries are all non-zero.
      if (views.length === 1 && !this.deltas.get(key)?.size) {
        n += views[0]!.values.size;
        continue;
      }
      const values = new Set<string>(this.deltas.get(key)?.keys() ?? []);
      for (const v of views) for (const value of v.values.keys()) values.add(value);
      for (const value of values) if (this.get(key, value) !== 0) n++;
    }
    return n;
  }
}

/** Whether pod matches every term (false for no terms): one existing pod must satisfy all affinity terms. */
function podMatchesAllTerms(terms: AffinityTerm[], pod: Pod, nsLabels: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  return terms.every((t) => termMatches(t, pod, nsLabels));
}

function podMatchesAnyTerm(terms: AffinityTerm[], pod: Pod, nsLabels: NamespaceLabels): boolean {
  return terms.some((t) => termMatches(t, pod, nsLabels));
}

/** Per-cycle counts for Filter; cloned for each preemption candidate node. */
class PreFilterState {
  constructor(
    readonly podInfo: PodInfo,
    readonly nsLabels: NamespaceLabels,
    /** Existing pods' required anti-affinity terms that match the incoming pod. */
    readonly existingAntiAffinityCounts: TopologyCounts,
    /** Existing pods that match all the incoming pod's required affinity terms. */
    readonly affinityCounts: TopologyCounts,
    /** Existing pods matching the incoming pod's required anti-affinity terms. */
    readonly antiAffinityCounts: TopologyCounts,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.podInfo,
      this.nsLabels,
      this.existingAntiAffinityCounts.clone(),
      this.affinityCounts.clone(),
      this.antiAffinityCounts.clone(),
    );
  }

  /** Accounts for pod p appearing on (delta 1) or leaving (delta -1) node. */
  updateWithPod(p: PodInfo, node: Node, delta: number): void {
    const labels = nodeLabels(node);
    const incoming = this.podInfo;
    for (const t of p.requiredAntiAffinityTerms) {
      if (termMatches(t, incoming.pod, this.nsLabels)) this.existingAntiAffinityCounts.add(labels, t.topologyKey, delta);
    }
    if (podMatchesAllTerms(incoming.requiredAffinityTerms, p.pod, this.nsLabels)) {
      for (const t of incoming.requiredAffinityTerms) this.affinityCounts.add(labels, t.topologyKey, delta);
    }
    for (const t of incoming.requiredAntiAffinityTerms) {
      if (termMatches(t, p.pod, this.nsLabels)) this.antiAffinityCounts.add(labels, t.topologyKey, delta);
    }
  }
}

/** topologyKey → topology value → summed weight, for Score. */
class PreScoreState {
  /**
   * Weighted counts by topology pair, read straight from the affinity index: Score looks up the
   * candidate node's pair in each, rather than the counts being copied for every pair in the
   * cluster. The index does not change between PreScore and Score (one synchronous cycle).
   */
  readonly sources: Array<{ key: string; counts: PairCounts; factor: number }> = [];

  constructor(
    readonly podInfo: PodInfo,
    readonly nsLabels: NamespaceLabels,
  ) {}

  addPairs(key: string, counts: PairCounts, factor: number): void {
    if (counts.size > 0 && factor !== 0) this.sources.push({ key, counts, factor });
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  scoreOf(labels: Record<string, string>): number {
    let score = 0;
    for (const { key, counts, factor } of this.sources) {
      const v = labelValue(labels, key);
      if (v !== undefined) score += factor * (counts.get(v) ?? 0);
    }
    return score;
  }
}

export class InterPodAffinity implements PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = NAME;
  readonly name = NAME;
  readonly args: InterPodAffinityArgs;

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: Handle,
  ) {
    const a = checkArgs(NAME, args, ['hardPodAffinityWeight', 'ignorePreferredTermsOfExistingPods']) as Partial<InterPodAffinityArgs>;
    const hardPodAffinityWeight = a.hardPodAffinityWeight ?? 1;
    if (!Number.isInteger(hardPodAffinityWeight) || hardPodAffinityWeight < 0 || hardPodAffinityWeight > 100) {
      throw new Error(`${NAME}: hardPodAffinityWeight: Invalid value: ${hardPodAffinityWeight}: not in valid range [0-100]`);
    }
    this.args = { hardPodAffinityWeight, ignorePreferredTermsOfExistingPods: a.ignorePreferredTermsOfExistingPods ?? false };
  }

  private nsLabels(): NamespaceLabels {
    const snap = this.handle.snapshot();
    return (ns) => snap.namespaceLabels(ns);
  }

  // ---- PreFilter / Filter ----

  preFilter(state: CycleState, pod: Pod, _nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const snap = this.handle.snapshot();
    let podInfo: PodInfo;
    try {
      podInfo = newPodInfo(pod);
    } catch (err) {
      return { status: Status.unresolvable(`parsing pod: ${(err as Error).message}`) };
    }
    const nsLabels = this.nsLabels();

    // Counted from the affinity index, which the cache keeps current as pods come and go: the
    // cycle costs one match per distinct term rather than a scan over every pod.
    const index = snap.affinityIndex();
    // Existing pods whose required anti-affinity selects the incoming pod.
    const existing = new TopologyCounts();
    for (const g of index.groupsOf('requiredAnti')) if (termMatches(g.term, pod, nsLabels)) existing.addPairs(g.term.topologyKey, g.counts);

    // Existing pods selected by the incoming pod's own required terms: affinity needs one pod
    // matching all of them; anti-affinity counts each term on its own.
    const affinity = new TopologyCounts();
    const antiAffinity = new TopologyCounts();
    const affinityTerms = podInfo.requiredAffinityTerms;
    const antiTerms = podInfo.requiredAntiAffinityTerms;
    index.matchAll(affinityTerms).forEach((counts, i) => affinity.addPairs(affinityTerms[i]!.topologyKey, counts));
    for (const t of antiTerms) antiAffinity.addPairs(t.topologyKey, index.matchAll([t])[0]!);

    if (existing.size === 0 && affinityTerms.length === 0 && antiTerms.length === 0) return { status: Status.skip() };
    state.write(PRE_FILTER_STATE_KEY, new PreFilterState(podInfo, nsLabels, existing, affinity, antiAffinity));
    return { status: Status.success() };
  }

  preFilterExtensions(): PreFilterExtensions {
    return this;
  }

  addPod(state: CycleState, _podToSchedule: Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status {
    return this.updateWithPod(state, podInfoToAdd, nodeInfo, 1);
  }

  removePod(state: CycleState, _podToSchedule: Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status {
    return this.updateWithPod(state, podInfoToRemove, nodeInfo, -1);
  }

  private updateWithPod(state: CycleState, p: PodInfo, nodeInfo: NodeInfo, delta: number): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return Status.error(`error reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    if (nodeInfo.node) s.updateWithPod(p, nodeInfo.node, delta);
    return Status.success();
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    if (!nodeInfo.node) return Status.error('node not found');
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return Status.error(`error reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    const labels = nodeInfo.labels;
    if (!satisfyPodAffinity(s, labels)) return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
    if (!satisfyPodAntiAffinity(s, labels)) return Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    if (!satisfyExistingPodsAntiAffinity(s, labels)) return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
    return Status.success();
  }

  // ---- PreScore / Score / NormalizeScore ----

  preScore(state: CycleState, pod: Pod, _nodes: NodeInfo[]): Status {
    const snap = this.handle.snapshot();
    let podInfo: PodInfo;
    try {
      podInfo = newPodInfo(pod);
    } catch (err) {
      return Status.error(`failed to parse pod: ${(err as Error).message}`);
    }
    const hasConstraints = podInfo.preferredAffinityTerms.length > 0 || podInfo.preferredAntiAffinityTerms.length > 0;
    if (this.args.ignorePreferredTermsOfExistingPods && !hasConstraints) return Status.skip();

    const nsLabels = this.nsLabels();
    const s = new PreScoreState(podInfo, nsLabels);
    const index = snap.affinityIndex();
    // The incoming pod's preferred terms, weighted by the existing pods they select.
    for (const t of podInfo.preferredAffinityTerms) s.addPairs(t.topologyKey, index.matchAll([t])[0]!, t.weight);
    for (const t of podInfo.preferredAntiAffinityTerms) s.addPairs(t.topologyKey, index.matchAll([t])[0]!, -t.weight);
    // Symmetry: existing pods' terms that select the incoming pod; their hard affinity counts too.
    const matching = (kind: 'requiredAffinity' | 'preferredAffinity' | 'preferredAnti') =>
      [...index.groupsOf(kind)].filter((g) => termMatches(g.term, pod, nsLabels));
    if (this.args.hardPodAffinityWeight > 0)
      for (const g of matching('requiredAffinity')) s.addPairs(g.term.topologyKey, g.counts, this.args.hardPodAffinityWeight);
    for (const g of matching('preferredAffinity')) s.addPairs(g.term.topologyKey, g.counts, 1);
    for (const g of matching('preferredAnti')) s.addPairs(g.term.topologyKey, g.counts, -1);
    if (s.empty) return Status.skip();
    state.write(PRE_SCORE_STATE_KEY, s);
    return Status.success();
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return { score: 0, status: Status.error(`failed to read "${PRE_SCORE_STATE_KEY}" from cycleState: not found`) };
    return { score: s.scoreOf(nodeInfo.labels), status: Status.success() };
  }

  /** Min–max scaling to [0, MAX_NODE_SCORE]: scores may be negative (anti-affinity). */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return Status.error(`failed to read "${PRE_SCORE_STATE_KEY}" from cycleState: not found`);
    if (s.empty) return Status.success();
    let min = Infinity;
    let max = -Infinity;
    for (const { score } of scores) {
      if (score > max) max = score;
      if (score < min) min = score;
    }
    const diff = max - min;
    // Same operation order as upstream (float64(max) * (d / diff)), so rounding agrees.
    for (const ns of scores) ns.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((ns.score - min) / diff)) : 0;
    return Status.success();
  }

  // ---- Requeueing ----

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // A pod added may satisfy affinity; a pod deleted or relabelled may lift anti-affinity.
      {
        event: { resource: 'Pod', actions: ['Add', 'UpdatePodLabel', 'Delete'] },
        hint: (pod, oldObj, newObj) => this.afterPodChange(pod, oldObj as Pod | undefined, newObj as Pod | undefined),
      },
      // A node gaining a topology label the pod's terms use can change the outcome.
      {
        event: { resource: 'Node', actions: ['Add', 'UpdateNodeLabel', 'UpdateNodeTaint'] },
        hint: (pod, _oldObj, newObj) => afterNodeChange(pod, newObj as Node | undefined),
      },
    ];
  }

  private afterPodChange(pod: Pod, oldPod: Pod | undefined, newPod: Pod | undefined): QueueingHint {
    // Only assigned pods take part in (anti-)affinity.
    if ((newPod && !newPod.spec?.nodeName) || (oldPod && !oldPod.spec?.nodeName)) return QueueingHint.Skip;
    const info = newPodInfo(pod);
    const nsLabels = this.nsLabels();
    const terms = info.requiredAffinityTerms;
    const antiTerms = info.requiredAntiAffinityTerms;
    if (oldPod && newPod) {
      if (!podMatchesAllTerms(terms, oldPod, nsLabels) && podMatchesAllTerms(terms, newPod, nsLabels)) return QueueingHint.Queue;
      if (podMatchesAnyTerm(antiTerms, oldPod, nsLabels) && !podMatchesAnyTerm(antiTerms, newPod, nsLabels)) return QueueingHint.Queue;
      return QueueingHint.Skip;
    }
    if (newPod) return podMatchesAllTerms(terms, newPod, nsLabels) ? QueueingHint.Queue : QueueingHint.Skip;
    if (!oldPod) return QueueingHint.Queue;
    // Deleted: it may have been what the pod's anti-affinity avoided, or its own anti-affinity rejected the pod.
    if (podMatchesAnyTerm(antiTerms, oldPod, nsLabels)) return QueueingHint.Queue;
    const deletedAnti = newPodInfo(oldPod).requiredAntiAffinityTerms;
    return podMatchesAnyTerm(deletedAnti, pod, nsLabels) ? QueueingHint.Queue : QueueingHint.Skip;
  }
}

function afterNodeChange(pod: Pod, node: Node | undefined): QueueingHint {
  if (!node) return QueueingHint.Queue;
  const info = newPodInfo(pod);
  const labels = nodeLabels(node);
  for (const t of [...info.requiredAffinityTerms, ...info.requiredAntiAffinityTerms]) {
    if (labelValue(labels, t.topologyKey) !== undefined) return QueueingHint.Queue;
  }
  return QueueingHint.Skip;
}

/** Every required affinity term's topology key is on the node, with matching pods in that domain. */
function satisfyPodAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinityTerms) {
    const v = labelValue(labels, t.topologyKey);
    if (v === undefined) return false;
    if (s.affinityCounts.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group with affinity to itself: nothing in the cluster matches yet, but the
  // pod matches its own terms, so it may go to any node that has the topology keys.
  return s.affinityCounts.size === 0 && podMatchesAllTerms(s.podInfo.requiredAffinityTerms, s.podInfo.pod, s.nsLabels);
}

function satisfyPodAntiAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  if (s.antiAffinityCounts.size === 0) return true;
  for (const t of s.podInfo.requiredAntiAffinityTerms) {
    const v = labelValue(labels, t.topologyKey);
    if (v !== undefined && s.antiAffinityCounts.get(t.topologyKey, v) > 0) return false;
  }
  return true;
}

function satisfyExistingPodsAntiAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  if (s.existingAntiAffinityCounts.size === 0) return true;
  for (const [k, v] of Object.entries(labels)) if (s.existingAntiAffinityCounts.get(k, v) > 0) return false;
  return true;
}
