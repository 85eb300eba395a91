// NodeAffinity: spec.nodeSelector and required node affinity filter nodes, preferred node
// affinity scores them; the scheduler-wide addedAffinity argument applies to every pod
// (upstream nodeaffinity/node_affinity.go).
import type { Node, NodeSelector, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../framework/node-info.js';
import { Code, Status } from '../framework/status.js';
import {
  MAX_NODE_SCORE,
  QueueingHint,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type NodeScore,
  type PluginArgs,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/types.js';
import { checkArgs, defaultNormalizeScore, NodeSelectorMatcher, PreferredSchedulingTerms, RequiredNodeAffinity } from './helpers.js';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const PRE_FILTER_STATE_KEY = 'PreFilterNodeAffinity';
const PRE_SCORE_STATE_KEY = 'PreScoreNodeAffinity';

export interface NodeAffinityArgs {
  addedAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
    preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
  };
}

/** Node names the required terms pin through matchFields metadata.name In; undefined when any term doesn't. */
export function requiredNodeNames(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return undefined;
  const names = new Set<string>();
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      // Requirements within a term are ANDed: intersect.
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    // Terms are ORed: one term that doesn't pin names leaves every node possible.
    if (!termNames) return undefined;
    for (const n of termNames) names.add(n);
  }
  return names;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = 'NodeAffinity';
  readonly name = NodeAffinity.NAME;
  private readonly addedNodeSelector?: NodeSelectorMatcher;
  private readonly addedPrefSchedTerms?: PreferredSchedulingTerms;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    const a = checkArgs(NodeAffinity.NAME, args, ['addedAffinity']) as NodeAffinityArgs;
    const added = a.addedAffinity;
    if (added === undefined || added === null) return;
    if (typeof added !== 'object' || Array.isArray(added)) throw new Error(`${NodeAffinity.NAME}: addedAffinity must be an object`);
    for (const k of Object.keys(added)) {
      if (k !== 'requiredDuringSchedulingIgnoredDuringExecution' && k !== 'preferredDuringSchedulingIgnoredDuringExecution')
        throw new Error(`${NodeAffinity.NAME}: unknown field "addedAffinity.${k}"`);
    }
    const required = added.requiredDuringSchedulingIgnoredDuringExecution;
    if (required) {
      const path = 'addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
      if (!Array.isArray(required.nodeSelectorTerms)) throw new Error(`${NodeAffinity.NAME}: ${path}: Required value`);
      this.addedNodeSelector = new NodeSelectorMatcher(required.nodeSelectorTerms, path);
      const errs = this.addedNodeSelector.errors;
      if (errs.length) throw new Error(`${NodeAffinity.NAME}: parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: ${errs.join('; ')}`);
    }
    const preferred = added.preferredDuringSchedulingIgnoredDuringExecution;
    if (preferred && preferred.length) {
      this.addedPrefSchedTerms = new PreferredSchedulingTerms(preferred, 'addedAffinity.preferredDuringSchedulingIgnoredDuringExecution');
      const errs = this.addedPrefSchedTerms.errors;
      if (errs.length) throw new Error(`${NodeAffinity.NAME}: parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: ${errs.join('; ')}`);
    }
  }

  preFilter(state: CycleState, pod: Pod, _nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && !this.addedNodeSelector && pod.spec?.nodeSelector === undefined) return { status: Status.skip() };
    state.write(PRE_FILTER_STATE_KEY, new RequiredNodeAffinity(pod));
    const names = requiredNodeNames(pod);
    if (!names) return { status: Status.success() };
    // Every term pins names, but no name survives its own term's intersection.
    if (names.size === 0) return { status: Status.unresolvable(ERR_REASON_CONFLICT) };
    return { result: { nodeNames: names }, status: Status.success() };
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const node = nodeInfo.node;
    if (!node) return Status.error('node not found');
    if (this.addedNodeSelector && !this.addedNodeSelector.matches(node)) return Status.unresolvable(ERR_REASON_ENFORCED);
    // Without PreFilter (e.g. disabled), compute it here as upstream does.
    const required = state.read<RequiredNodeAffinity>(PRE_FILTER_STATE_KEY) ?? new RequiredNodeAffinity(pod);
    return required.matches(node) ? Status.success() : Status.unresolvable(ERR_REASON_POD);
  }

  preScore(state: CycleState, pod: Pod, _nodes: NodeInfo[]): Status {
    const preferred = podPreferredTerms(pod);
    if (preferred.errors.length) return new Status(Code.Error, preferred.errors);
    if (!preferred.terms && !this.addedPrefSchedTerms) return Status.skip();
    state.write(PRE_SCORE_STATE_KEY, preferred.terms ?? null);
    return Status.success();
  }

  /** Raw score: the sum of the weights of the preferred terms (pod's and added) the node matches. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const node = nodeInfo.node;
    if (!node) return { score: 0, status: Status.error('node not found') };
    let count = this.addedPrefSchedTerms?.score(node) ?? 0;
    let terms = state.read<PreferredSchedulingTerms | null>(PRE_SCORE_STATE_KEY);
    if (terms === undefined) {
      const p = podPreferredTerms(pod);
      if (p.errors.length) return { score: 0, status: new Status(Code.Error, p.errors) };
      terms = p.terms ?? null;
    }
    if (terms) count += terms.score(node);
    return { score: count, status: Status.success() };
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    return defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actions: ['Add', 'UpdateNodeLabel'] },
        hint: (pod, oldObj, newObj) => this.isSchedulableAfterNodeChange(pod, oldObj as Node | undefined, newObj as Node | undefined),
      },
    ];
  }

  /** Queue when a node now matches the pod's required affinity (and the enforced one) and didn't before. */
  private isSchedulableAfterNodeChange(pod: Pod, original: Node | undefined, modified: Node | undefined): QueueingHint {
    if (!modified) return QueueingHint.Skip;
    if (this.addedNodeSelector && !this.addedNodeSelector.matches(modified)) return QueueingHint.Skip;
    const required = new RequiredNodeAffinity(pod);
    if (!required.matches(modified)) return QueueingHint.Skip;
    if (!original) return QueueingHint.Queue;
    return required.matches(original) ? QueueingHint.Skip : QueueingHint.Queue;
  }
}

function podPreferredTerms(pod: Pod): { terms?: PreferredSchedulingTerms; errors: string[] } {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!preferred) return { errors: [] };
  const terms = new PreferredSchedulingTerms(preferred);
  return terms.errors.length ? { errors: terms.errors } : { terms, errors: [] };
}
