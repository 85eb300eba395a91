// One scheduling profile's plugins, run at each extension point in upstream's order and with
// upstream's rules: the first rejecting Filter stops a node's checks, scores are normalized per
// plugin and then weighted, a Skip from PreFilter/PreScore skips that plugin for the cycle.
import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from './node-info.js';
import { Code, Status } from './status.js';
import {
  CycleState,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  type BindPlugin,
  type ClusterEventWithHint,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeScore,
  type Plugin,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type QueuedPodInfo,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type PermitPlugin,
} from './types.js';

export interface ProfilePlugins {
  queueSort: QueueSortPlugin;
  preEnqueue: PreEnqueuePlugin[];
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: Array<{ plugin: ScorePlugin; weight: number }>;
  reserve: ReservePlugin[];
  permit: PermitPlugin[];
  preBind: PreBindPlugin[];
  bind: BindPlugin[];
  postBind: PostBindPlugin[];
  /** Every distinct plugin of the profile, for events to register. */
  all: Plugin[];
}

export interface PluginScore {
  name: string;
  /** Sum over score plugins of normalized score × weight. */
  totalScore: number;
}

export class Framework {
  constructor(
    readonly profileName: string,
    readonly plugins: ProfilePlugins,
    /** 0 means the adaptive default (50 − nodes/125 %, at least 5 %). */
    readonly percentageOfNodesToScore = 0,
  ) {}

  queueSortLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return this.plugins.queueSort.less(a, b);
  }

  runPreEnqueue(pod: Pod): Status {
    for (const p of this.plugins.preEnqueue) {
      const s = p.preEnqueue(pod);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  /** Narrowed node set (intersection of plugins' results) and the first rejecting status. */
  runPreFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status; unschedulablePlugins: Set<string> } {
    let result: PreFilterResult | undefined;
    const unschedulablePlugins = new Set<string>();
    for (const p of this.plugins.preFilter) {
      const { result: r, status } = p.preFilter(state, pod, nodes);
      if (status.isSkip()) {
        state.skipFilterPlugins.add(p.name);
        continue;
      }
      if (!status.isSuccess()) {
        if (status.isRejected()) unschedulablePlugins.add(p.name);
        return { status: status.withPlugin(p.name), unschedulablePlugins };
      }
      if (r?.nodeNames) {
        result = { nodeNames: result?.nodeNames ? new Set([...result.nodeNames].filter((n) => r.nodeNames!.has(n))) : new Set(r.nodeNames) };
        if (result.nodeNames!.size === 0) {
          unschedulablePlugins.add(p.name);
          return { result, status: Status.unresolvable("node(s) didn't satisfy plugin(s) [" + p.name + ']').withPlugin(p.name), unschedulablePlugins };
        }
      }
    }
    return { result, status: Status.success(), unschedulablePlugins };
  }

  /**
   * Runs the filters on one node; the first rejection is the node's status. With fast, the
   * plugins that reject most nodes in a busy cluster at little cost (topology spread, inter-pod
   * affinity) run first: whether the node fits is the same in any order (filters have no side
   * effects), but a rejection may then name another plugin than the configured order would, so
   * a caller that reports it must run the node again without fast (see findNodesThatFitPod).
   */
  runFilter(state: CycleState, pod: Pod, nodeInfo: NodeInfo, fast = false): Status {
    const active = (
      fast
        ? (state.activeFastFilters ??= fastFilterOrder(this.plugins.filter).filter((p) => !state.skipFilterPlugins.has(p.name)))
        : (state.activeFilters ??= this.plugins.filter.filter((p) => !state.skipFilterPlugins.has(p.name)))
    ) as FilterPlugin[];
    for (let i = 0; i < active.length; i++) {
      const p = active[i]!;
      const s = p.filter(state, pod, nodeInfo);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  /** Filters with nominated pods of equal or higher priority assumed on the node, as upstream. */
  runFilterWithNominatedPods(
    state: CycleState,
    pod: Pod,
    nodeInfo: NodeInfo,
    nominated: (node: string) => import('./pod-info.js').PodInfo[],
    fast = false,
  ): Status {
    const all = nominated(nodeInfo.name);
    if (all.length === 0) return this.runFilter(state, pod, nodeInfo, fast);
    const others = all.filter((p) => (p.pod.spec?.priority ?? 0) >= (pod.spec?.priority ?? 0) && p.pod.metadata?.uid !== pod.metadata?.uid);
    if (others.length === 0) return this.runFilter(state, pod, nodeInfo, fast);
    const withNominated = nodeInfo.snapshot();
    const stateWithNominated = state.clone();
    for (const p of others) {
      withNominated.addPod(p);
      for (const pf of this.plugins.preFilter) {
        if (state.skipFilterPlugins.has(pf.name)) continue;
        pf.preFilterExtensions?.()?.addPod(stateWithNominated, pod, p, withNominated);
      }
    }
    const s = this.runFilter(stateWithNominated, pod, withNominated, fast);
    if (!s.isSuccess()) return s;
    return this.runFilter(state, pod, nodeInfo, fast);
  }

  async runPostFilter(state: CycleState, pod: Pod, statuses: Map<string, Status>): Promise<{ result?: PostFilterResult; status: Status }> {
    let last: { result?: PostFilterResult; status: Status } = { status: Status.unschedulable() };
    for (const p of this.plugins.postFilter) {
      const r = await p.postFilter(state, pod, statuses);
      if (r.status.isSuccess()) return r;
      if (r.status.code === Code.Error) return { ...r, status: r.status.withPlugin(p.name) };
      last = { ...r, status: r.status.withPlugin(p.name) };
    }
    return last;
  }

  runPreScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status {
    for (const p of this.plugins.preScore) {
      const s = p.preScore(state, pod, nodes);
      if (s.isSkip()) {
        state.skipScorePlugins.add(p.name);
        continue;
      }
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  runScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): { scores: PluginScore[]; status: Status } {
    const totals = new Float64Array(nodes.length);
    // One NodeScore row reused across plugins: this runs for hundreds of nodes per pod.
    const row: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const { plugin, weight } of this.plugins.score) {
      if (state.skipScorePlugins.has(plugin.name)) continue;
      for (let ni = 0; ni < nodes.length; ni++) {
        const { score, status } = plugin.score(state, pod, nodes[ni]!);
        if (!status.isSuccess()) return { scores: [], status: status.withPlugin(plugin.name) };
        row[ni]!.score = score;
      }
      if (plugin.normalizeScore) {
        const s = plugin.normalizeScore(state, pod, row);
        if (!s.isSuccess()) return { scores: [], status: s.withPlugin(plugin.name) };
      }
      for (let ni = 0; ni < nodes.length; ni++) {
        const score = row[ni]!.score;
        if (score > MAX_NODE_SCORE || score < MIN_NODE_SCORE) {
          return {
            scores: [],
            status: Status.error(
              `plugin "${plugin.name}" returns an invalid score ${score}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`,
            ),
          };
        }
        totals[ni] += score * weight;
      }
    }
    return { scores: nodes.map((n, ni) => ({ name: n.name, totalScore: totals[ni]! })), status: Status.success() };
  }

  runReserve(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const p of this.plugins.reserve) {
      const s = p.reserve(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  runUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    // Reverse order, as upstream: undo what later plugins did first.
    for (const p of [...this.plugins.reserve].reverse()) p.unreserve(state, pod, nodeName);
  }

  runPermit(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const p of this.plugins.permit) {
      const { status } = p.permit(state, pod, nodeName);
      // Waiting permits are not supported yet: no built-in plugin uses them.
      if (!status.isSuccess()) return status.withPlugin(p.name);
    }
    return Status.success();
  }

  async runPreBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.plugins.preBind) {
      const s = await p.preBind(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  async runBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.plugins.bind) {
      const s = await p.bind(state, pod, nodeName);
      if (s.isSkip()) continue;
      return s.isSuccess() ? s : s.withPlugin(p.name);
    }
    return Status.error('no bind plugin bound the pod');
  }

  runPostBind(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of this.plugins.postBind) p.postBind(state, pod, nodeName);
  }

  /** Events that can make a pod rejected by a given plugin schedulable, keyed by plugin name. */
  eventsToRegister(): Map<string, ClusterEventWithHint[]> {
    const out = new Map<string, ClusterEventWithHint[]>();
    for (const p of this.plugins.all) {
      const ext = p as Plugin & Partial<EnqueueExtensions>;
      if (typeof ext.eventsToRegister === 'function') out.set(p.name, ext.eventsToRegister());
    }
    return out;
  }

  newCycleState(): CycleState {
    return new CycleState();
  }
}

/** Plugins whose Filter rejects many nodes at the cost of a lookup or two, tried first by the fast order. */
const SELECTIVE_FILTERS = ['PodTopologySpread', 'InterPodAffinity'];

function fastFilterOrder(plugins: FilterPlugin[]): FilterPlugin[] {
  const first = SELECTIVE_FILTERS.flatMap((name) => plugins.filter((p) => p.name === name));
  return [...first, ...plugins.filter((p) => !SELECTIVE_FILTERS.includes(p.name))];
}
