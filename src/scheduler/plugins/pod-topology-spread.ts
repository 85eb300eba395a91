// PodTopologySpread, as upstream's pkg/scheduler/framework/plugins/podtopologyspread:
// DoNotSchedule constraints filter nodes by skew (pods matching the selector in the node's domain,
// plus the pod itself, minus the global minimum, against maxSkew); ScheduleAnyway constraints
// score nodes, fewer matching pods scoring higher. Pods without constraints get the default
// constraints (by default the System ones) built from their owning controller's selector.
import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { NOTHING, selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import {
  MAX_NODE_SCORE,
  QueueingHint,
  Status,
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
} from '../framework/index.js';
import { RequiredNodeAffinity, checkArgs, findMatchingUntoleratedTaint, isDoNotScheduleTaint, labelValue, nodeLabels } from './helpers.js';

const NAME = 'PodTopologySpread';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';

const PRE_FILTER_STATE_KEY = 'PreFilter' + NAME;
const PRE_SCORE_STATE_KEY = 'PreScore' + NAME;
const LABEL_HOSTNAME = 'kubernetes.io/hostname';
const LABEL_ZONE = 'topology.kubernetes.io/zone';
const MAX_INT32 = 2 ** 31 - 1;

/** Applied to pods without constraints of their own when defaultingType is System. */
export const SYSTEM_DEFAULT_CONSTRAINTS: TopologySpreadConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export type PodTopologySpreadArgs = {
  /** Used with defaultingType List; must not set labelSelector (it comes from the pod's owner). */
  defaultConstraints?: TopologySpreadConstraint[];
  defaultingType?: 'System' | 'List';
};

type Action = 'DoNotSchedule' | 'ScheduleAnyway';
type InclusionPolicy = 'Honor' | 'Ignore';

/** A TopologySpreadConstraint with its selector parsed and its defaults filled in. */
interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  nodeAffinityPolicy: InclusionPolicy;
  nodeTaintsPolicy: InclusionPolicy;
}

/** Whether the node has every constraint's topology key. */
function hasAllTopologyKeys(labels: Record<string, string>, constraints: SpreadConstraint[]): boolean {
  return constraints.every((c) => Object.hasOwn(labels, c.topologyKey));
}

/** Matching pods in the pod's namespace, ignoring terminating ones (upstream #87621). */
function countPodsMatchSelector(pods: PodInfo[], selector: Selector, namespace: string): number {
  if (selector.empty()) return 0;
  let n = 0;
  for (const p of pods) {
    const m = p.pod.metadata;
    if (m?.deletionTimestamp || (m?.namespace ?? '') !== namespace) continue;
    if (selector.matches(m?.labels ?? {})) n++;
  }
  return n;
}

function matchNodeInclusionPolicies(c: SpreadConstraint, pod: Pod, node: Node, affinityMatches: () => boolean): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !affinityMatches()) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findMatchingUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, isDoNotScheduleTaint)) return false;
  return true;
}

// ---- Filter state ----

function criticalPathsOf(counts: Map<string, number>[]): CriticalPaths[] {
  return counts.map((m) => {
    const p = new CriticalPaths();
    for (const [v, n] of m) p.update(v, n);
    return p;
  });
}

/** The two smallest domains of one constraint (only [0] is exact, as upstream's criticalPaths). */
class CriticalPaths {
  paths: [{ value: string; num: number }, { value: string; num: number }] = [
    { value: '', num: MAX_INT32 },
    { value: '', num: MAX_INT32 },
  ];

  update(value: string, num: number): void {
    const p = this.paths;
    const known = value === p[0].value ? p[0] : value === p[1].value ? p[1] : undefined;
    if (known) {
      known.num = num;
      if (p[0].num > p[1].num) this.paths = [p[1], p[0]];
    } else if (num < p[0].num) {
      this.paths = [{ value, num }, p[0]];
    } else if (num < p[1].num) {
      p[1] = { value, num };
    }
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.paths = [{ ...this.paths[0] }, { ...this.paths[1] }];
    return c;
  }
}

class PreFilterState {
  constructor(
    readonly constraints: SpreadConstraint[],
    /** Per constraint: topology value → matching pods; an entry for every eligible domain. */
    readonly tpValueToMatchNum: Map<string, number>[],
    readonly criticalPaths: CriticalPaths[],
  ) {}

  /** The global minimum for skew, 0 while there are fewer eligible domains than minDomains. */
  minMatchNum(i: number): number {
    const c = this.constraints[i]!;
    if (this.tpValueToMatchNum[i]!.size < c.minDomains) return 0;
    return this.criticalPaths[i]!.paths[0].num;
  }

  clone(): PreFilterState {
    return new PreFilterState(
      this.constraints,
      this.tpValueToMatchNum.map((m) => new Map(m)),
      this.criticalPaths.map((p) => p.clone()),
    );
  }
}

class PreScoreState {
  ignoredNodes = new Set<string>();
  /** Per constraint: topology value → matching pods (hostname constraints are counted in Score). */
  topologyValueToPodCounts: Map<string, number>[] = [];
  /** Per constraint: log(domains + 2), so small topologies are not watered down by big ones. */
  topologyNormalizingWeight: number[] = [];
  constructor(readonly constraints: SpreadConstraint[]) {}
}

export class PodTopologySpread implements PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = NAME;
  readonly name = NAME;
  private readonly defaultConstraints: TopologySpreadConstraint[];
  private readonly systemDefaulted: boolean;

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: Handle,
  ) {
    const a = checkArgs(NAME, args, ['defaultConstraints', 'defaultingType']) as PodTopologySpreadArgs;
    const type = a.defaultingType ?? 'System';
    if (type !== 'System' && type !== 'List') throw new Error(`defaultingType: Unsupported value: "${type}": supported values: "System", "List"`);
    const given = a.defaultConstraints ?? [];
    if (type === 'System' && given.length > 0)
      throw new Error('defaultConstraints: Invalid value: when .defaultingType is "System", .defaultConstraints must be empty');
    given.forEach((c, i) => validateDefaultConstraint(c, i));
    this.systemDefaulted = type === 'System';
    this.defaultConstraints = type === 'System' ? SYSTEM_DEFAULT_CONSTRAINTS : given;
  }

  // ---- Constraints ----

  private parseConstraints(list: TopologySpreadConstraint[], podLabels: Record<string, string>, action: Action): SpreadConstraint[] {
    const out: SpreadConstraint[] = [];
    for (const c of list) {
      if (c.whenUnsatisfiable !== action) continue;
      out.push({
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector: constraintSelector(c, podLabels),
        minDomains: c.minDomains ?? 1,
        nodeAffinityPolicy: (c.nodeAffinityPolicy as InclusionPolicy | undefined) ?? 'Honor',
        nodeTaintsPolicy: (c.nodeTaintsPolicy as InclusionPolicy | undefined) ?? 'Ignore',
      });
    }
    return out;
  }

  /** The pod's own constraints for this action, else the defaults with its owner's selector. */
  private constraintsFor(pod: Pod, action: Action): SpreadConstraint[] {
    const labels = pod.metadata?.labels ?? {};
    const own = pod.spec?.topologySpreadConstraints ?? [];
    if (own.length > 0) return this.parseConstraints(own, labels, action);
    const defaults = this.parseConstraints(this.defaultConstraints, labels, action);
    if (defaults.length === 0) return [];
    const ls = this.handle.ownerSelector?.(pod);
    const selector = ls ? selectorFromLabelSelector(ls) : undefined;
    if (!selector || selector.empty()) return [];
    for (const c of defaults) c.selector = selector;
    return defaults;
  }

  // ---- PreFilter / Filter ----

  preFilter(state: CycleState, pod: Pod, _nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    let constraints: SpreadConstraint[];
    try {
      constraints = this.constraintsFor(pod, 'DoNotSchedule');
    } catch (err) {
      return { status: Status.error(`obtaining pod's hard topology spread constraints: ${(err as Error).message}`) };
    }
    if (constraints.length === 0) return { status: Status.skip() };

    const ns = pod.metadata?.namespace ?? '';
    const counts = constraints.map(() => new Map<string, number>());
    if (this.countFromIndex(pod, constraints, ns, counts)) {
      state.write(PRE_FILTER_STATE_KEY, new PreFilterState(constraints, counts, criticalPathsOf(counts)));
      return { status: Status.success() };
    }
    const affinity = new RequiredNodeAffinity(pod);
    for (const ni of this.handle.snapshot().nodeInfos()) {
      const node = ni.node;
      if (!node) continue;
      const labels = nodeLabels(node);
      if (!hasAllTopologyKeys(labels, constraints)) continue;
      let affinityResult: boolean | undefined;
      const affinityMatches = () => (affinityResult ??= affinity.matches(node));
      constraints.forEach((c, i) => {
        if (!matchNodeInclusionPolicies(c, pod, node, affinityMatches)) return;
        const v = labels[c.topologyKey]!;
        counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countPodsMatchSelector(ni.pods, c.selector, ns));
      });
    }
    state.write(PRE_FILTER_STATE_KEY, new PreFilterState(constraints, counts, criticalPathsOf(counts)));
    return { status: Status.success() };
  }

  /**
   * The common case — one constraint, every node with the key eligible (no node affinity to
   * honour, taints ignored) — counted from the cache's index instead of every pod: the domains
   * come from the nodes, the pods per domain from counts kept as pods come and go.
   */
  private countFromIndex(pod: Pod, constraints: SpreadConstraint[], ns: string, counts: Map<string, number>[]): boolean {
    if (constraints.length !== 1) return false;
    const c = constraints[0]!;
    if (c.nodeTaintsPolicy === 'Honor') return false;
    const spec = pod.spec;
    const hasNodeAffinity = Object.keys(spec?.nodeSelector ?? {}).length > 0 || !!spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (c.nodeAffinityPolicy === 'Honor' && hasNodeAffinity) return false;
    const m = counts[0]!;
    const snap = this.handle.snapshot();
    for (const v of snap.topologyDomains(c.topologyKey)) m.set(v, 0);
    if (c.selector.empty()) return true;
    for (const [v, n] of snap.affinityIndex().selectorCounts(ns, c.selector, c.topologyKey)) {
      if (m.has(v)) m.set(v, m.get(v)! + n);
    }
    return true;
  }

  preFilterExtensions(): PreFilterExtensions {
    return this;
  }

  addPod(state: CycleState, podToSchedule: Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status {
    return this.updateWithPod(state, podToSchedule, podInfoToAdd.pod, nodeInfo.node, 1);
  }

  removePod(state: CycleState, podToSchedule: Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status {
    return this.updateWithPod(state, podToSchedule, podInfoToRemove.pod, nodeInfo.node, -1);
  }

  private updateWithPod(state: CycleState, preemptor: Pod, updated: Pod, node: Node | undefined, delta: number): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    if (!node || (updated.metadata?.namespace ?? '') !== (preemptor.metadata?.namespace ?? '')) return Status.success();
    const labels = nodeLabels(node);
    if (!hasAllTopologyKeys(labels, s.constraints)) return Status.success();
    const affinity = new RequiredNodeAffinity(preemptor);
    const podLabels = updated.metadata?.labels ?? {};
    s.constraints.forEach((c, i) => {
      if (!c.selector.matches(podLabels)) return;
      if (!matchNodeInclusionPolicies(c, preemptor, node, () => affinity.matches(node))) return;
      const v = labels[c.topologyKey]!;
      const n = (s.tpValueToMatchNum[i]!.get(v) ?? 0) + delta;
      s.tpValueToMatchNum[i]!.set(v, n);
      s.criticalPaths[i]!.update(v, n);
    });
    return Status.success();
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const node = nodeInfo.node;
    if (!node) return Status.error('node not found');
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    const labels = nodeInfo.labels;
    const podLabels = pod.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labelValue(labels, c.topologyKey);
      if (v === undefined) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const selfMatchNum = c.selector.matches(podLabels) ? 1 : 0;
      const matchNum = s.tpValueToMatchNum[i]!.get(v) ?? 0;
      if (matchNum + selfMatchNum - s.minMatchNum(i) > c.maxSkew) return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return Status.success();
  }

  // ---- PreScore / Score / NormalizeScore ----

  preScore(state: CycleState, pod: Pod, filteredNodes: NodeInfo[]): Status {
    const allNodes = this.handle.snapshot().nodeInfos();
    if (allNodes.length === 0) return Status.skip();
    let constraints: SpreadConstraint[];
    try {
      constraints = this.constraintsFor(pod, 'ScheduleAnyway');
    } catch (err) {
      return Status.error(`obtaining pod's soft topology spread constraints: ${(err as Error).message}`);
    }
    if (constraints.length === 0) return Status.skip();

    const s = new PreScoreState(constraints);
    // With the System defaults, nodes without a zone label still get hostname spreading.
    const requireAllTopologies = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !this.systemDefaulted;
    s.topologyValueToPodCounts = constraints.map(() => new Map());
    for (const ni of filteredNodes) {
      const labels = ni.labels;
      if (requireAllTopologies && !hasAllTopologyKeys(labels, constraints)) {
        s.ignoredNodes.add(ni.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return; // counted per node in Score
        const v = labelValue(labels, c.topologyKey) ?? '';
        if (!s.topologyValueToPodCounts[i]!.has(v)) s.topologyValueToPodCounts[i]!.set(v, 0);
      });
    }
    s.topologyNormalizingWeight = constraints.map((c, i) => {
      const size = c.topologyKey === LABEL_HOSTNAME ? filteredNodes.length - s.ignoredNodes.size : s.topologyValueToPodCounts[i]!.size;
      return Math.log(size + 2);
    });

    const ns = pod.metadata?.namespace ?? '';
    const affinity = new RequiredNodeAffinity(pod);
    for (const ni of allNodes) {
      const node = ni.node;
      if (!node) continue;
      const labels = nodeLabels(node);
      if (requireAllTopologies && !hasAllTopologyKeys(labels, constraints)) continue;
      let affinityResult: boolean | undefined;
      const affinityMatches = () => (affinityResult ??= affinity.matches(node));
      constraints.forEach((c, i) => {
        if (!matchNodeInclusionPolicies(c, pod, node, affinityMatches)) return;
        const v = labelValue(labels, c.topologyKey) ?? '';
        const counts = s.topologyValueToPodCounts[i]!;
        const cur = counts.get(v);
        // Only domains of candidate nodes matter (hostname domains never get an entry here).
        if (cur === undefined) return;
        counts.set(v, cur + countPodsMatchSelector(ni.pods, c.selector, ns));
      });
    }
    state.write(PRE_SCORE_STATE_KEY, s);
    return Status.success();
  }

  /** Raw score: the weighted matching pods in the node's domains; lower is better until normalised. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return { score: 0, status: Status.error(`error reading "${PRE_SCORE_STATE_KEY}" from cycleState: not found`) };
    if (s.ignoredNodes.has(nodeInfo.name)) return { score: 0, status: Status.success() };
    const labels = nodeInfo.labels;
    const ns = pod.metadata?.namespace ?? '';
    let score = 0;
    s.constraints.forEach((c, i) => {
      const v = labelValue(labels, c.topologyKey);
      if (v === undefined) return;
      const cnt = c.topologyKey === LABEL_HOSTNAME ? countPodsMatchSelector(nodeInfo.pods, c.selector, ns) : (s.topologyValueToPodCounts[i]!.get(v) ?? 0);
      // maxSkew - 1 waters down small differences: the larger the tolerated skew, the less they count.
      score += cnt * s.topologyNormalizingWeight[i]! + (c.maxSkew - 1);
    });
    return { score: Math.round(score), status: Status.success() };
  }

  /** Reverses and scales: the least crowded node gets MAX_NODE_SCORE; ignored nodes get 0. */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return Status.error(`error reading "${PRE_SCORE_STATE_KEY}" from cycleState: not found`);
    let min = Number.MAX_SAFE_INTEGER;
    let max = 0;
    for (const ns of scores) {
      if (s.ignoredNodes.has(ns.name)) continue;
      if (ns.score < min) min = ns.score;
      if (ns.score > max) max = ns.score;
    }
    for (const ns of scores) {
      if (s.ignoredNodes.has(ns.name)) ns.score = 0;
      else if (max === 0) ns.score = MAX_NODE_SCORE;
      else ns.score = Math.trunc((MAX_NODE_SCORE * (max + min - ns.score)) / max);
    }
    return Status.success();
  }

  // ---- Requeueing ----

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // Pods appearing, leaving or relabelled change the counts; the pod's own tolerations change
      // which nodes count under nodeTaintsPolicy Honor.
      {
        event: { resource: 'Pod', actions: ['Add', 'UpdatePodLabel', 'UpdatePodTolerations', 'Delete'] },
        hint: (pod, oldObj, newObj) => this.afterPodChange(pod, oldObj as Pod | undefined, newObj as Pod | undefined),
      },
      // Nodes appearing, leaving, relabelled or retainted change the domains.
      {
        event: { resource: 'Node', actions: ['Add', 'Delete', 'UpdateNodeLabel', 'UpdateNodeTaint'] },
        hint: (pod, oldObj, newObj) => this.afterNodeChange(pod, oldObj as Node | undefined, newObj as Node | undefined),
      },
    ];
  }

  /** All the pod's constraints, both actions. */
  private allConstraints(pod: Pod): SpreadConstraint[] {
    return [...this.constraintsFor(pod, 'DoNotSchedule'), ...this.constraintsFor(pod, 'ScheduleAnyway')];
  }

  private afterPodChange(pod: Pod, oldPod: Pod | undefined, newPod: Pod | undefined): QueueingHint {
    const uid = pod.metadata?.uid;
    const ns = pod.metadata?.namespace ?? '';
    // Only assigned pods in the pod's namespace are counted (or the pod itself, for tolerations).
    const involved = (p: Pod) => (uid !== undefined && p.metadata?.uid === uid) || (!!p.spec?.nodeName && (p.metadata?.namespace ?? '') === ns);
    if ((newPod && !involved(newPod)) || (oldPod && !involved(oldPod))) return QueueingHint.Skip;
    if (oldPod && newPod) {
      if (uid !== undefined && oldPod.metadata?.uid === uid) {
        return JSON.stringify(oldPod.spec?.tolerations ?? []) === JSON.stringify(newPod.spec?.tolerations ?? []) ? QueueingHint.Skip : QueueingHint.Queue;
      }
      if (JSON.stringify(oldPod.metadata?.labels ?? {}) === JSON.stringify(newPod.metadata?.labels ?? {})) return QueueingHint.Skip;
    }
    const constraints = this.allConstraints(pod);
    const matches = (p: Pod | undefined) => !!p && constraints.some((c) => c.selector.matches(p.metadata?.labels ?? {}));
    return matches(newPod) || matches(oldPod) ? QueueingHint.Queue : QueueingHint.Skip;
  }

  private afterNodeChange(pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
    const constraints = this.allConstraints(pod);
    const oldMatch = !!oldNode && hasAllTopologyKeys(nodeLabels(oldNode), constraints);
    const newMatch = !!newNode && hasAllTopologyKeys(nodeLabels(newNode), constraints);
    if (oldNode && newNode) {
      if (oldMatch !== newMatch) return QueueingHint.Queue;
      if (!newMatch) return QueueingHint.Skip;
      const keyChanged = constraints.some((c) => labelValue(nodeLabels(oldNode), c.topologyKey) !== labelValue(nodeLabels(newNode), c.topologyKey));
      const taintsChanged = JSON.stringify(oldNode.spec?.taints ?? []) !== JSON.stringify(newNode.spec?.taints ?? []);
      return keyChanged || taintsChanged ? QueueingHint.Queue : QueueingHint.Skip;
    }
    return newMatch || oldMatch ? QueueingHint.Queue : QueueingHint.Skip;
  }
}

/** The constraint's selector with matchLabelKeys' values from the pod; no labelSelector selects nothing. */
function constraintSelector(c: TopologySpreadConstraint, podLabels: Record<string, string>): Selector {
  if (!c.labelSelector) return NOTHING;
  const extra = (c.matchLabelKeys ?? []).filter((k) => Object.hasOwn(podLabels, k));
  if (extra.length === 0) return selectorFromLabelSelector(c.labelSelector);
  const merged: LabelSelector = {
    matchLabels: c.labelSelector.matchLabels,
    matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra.map((k) => ({ key: k, operator: 'In', values: [podLabels[k]!] }))],
  };
  return selectorFromLabelSelector(merged);
}

function validateDefaultConstraint(c: TopologySpreadConstraint, i: number): void {
  const at = `defaultConstraints[${i}]`;
  if (!Number.isInteger(c.maxSkew) || c.maxSkew <= 0) throw new Error(`${at}.maxSkew: Invalid value: ${c.maxSkew}: must be greater than zero`);
  if (!c.topologyKey) throw new Error(`${at}.topologyKey: Required value: can not be empty`);
  if (c.whenUnsatisfiable !== 'DoNotSchedule' && c.whenUnsatisfiable !== 'ScheduleAnyway') {
    throw new Error(`${at}.whenUnsatisfiable: Unsupported value: "${c.whenUnsatisfiable}": supported values: "DoNotSchedule", "ScheduleAnyway"`);
  }
  if (c.labelSelector) throw new Error(`${at}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod`);
}
