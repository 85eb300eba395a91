// TaintToleration: a node's NoSchedule/NoExecute taints must all be tolerated; among the nodes
// left, fewer untolerated PreferNoSchedule taints score higher (upstream
// tainttoleration/taint_toleration.go).
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
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
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/types.js';
import { checkArgs, defaultNormalizeScore, findMatchingUntoleratedTaint, isDoNotScheduleTaint, tolerationsTolerateTaint } from './helpers.js';

/** The Filter reason names the first untolerated taint: node(s) had untolerated taint {key: value}. */
export function errReasonUntoleratedTaint(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

const PRE_SCORE_STATE_KEY = 'PreScoreTaintToleration';

/** Tolerations that can tolerate a PreferNoSchedule taint: that effect, or no effect (all effects). */
function preferNoScheduleTolerations(tolerations: Toleration[] | undefined): Toleration[] {
  return (tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

export function countIntolerableTaintsPreferNoSchedule(taints: Taint[] | undefined, tolerations: Toleration[]): number {
  return (taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t)).length;
}

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = 'TaintToleration';
  readonly name = TaintToleration.NAME;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    checkArgs(TaintToleration.NAME, args);
  }

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const taint = findMatchingUntoleratedTaint(nodeInfo.taints, pod.spec?.tolerations, isDoNotScheduleTaint);
    return taint ? Status.unresolvable(errReasonUntoleratedTaint(taint)) : Status.success();
  }

  preScore(state: CycleState, pod: Pod, _nodes: NodeInfo[]): Status {
    state.write(PRE_SCORE_STATE_KEY, preferNoScheduleTolerations(pod.spec?.tolerations));
    return Status.success();
  }

  /** Raw score: the number of PreferNoSchedule taints the pod does not tolerate. */
  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const tolerations = state.read<Toleration[]>(PRE_SCORE_STATE_KEY);
    if (!tolerations) return { score: 0, status: Status.error(`failed to read "${PRE_SCORE_STATE_KEY}" from cycleState: not found`) };
    return { score: countIntolerableTaintsPreferNoSchedule(nodeInfo.taints, tolerations), status: Status.success() };
  }

  /** Reversed: the node with the most intolerable taints gets 0, one with none MAX_NODE_SCORE. */
  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    return defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'Node', actions: ['Add', 'UpdateNodeTaint'] }, hint: isSchedulableAfterNodeChange },
      { event: { resource: 'Pod', actions: ['UpdatePodTolerations'] }, hint: isSchedulableAfterPodTolerationChange },
    ];
  }
}

/** Queue only when the node went from having an untolerated NoSchedule/NoExecute taint to none. */
function isSchedulableAfterNodeChange(pod: Pod, oldObj: unknown, newObj: unknown): QueueingHint {
  const original = oldObj as Node | undefined;
  const modified = newObj as Node | undefined;
  if (!modified) return QueueingHint.Skip;
  const untolerated = (n: Node) => findMatchingUntoleratedTaint(n.spec?.taints, pod.spec?.tolerations, isDoNotScheduleTaint) !== undefined;
  const wasUntolerated = original ? untolerated(original) : true;
  return wasUntolerated && !untolerated(modified) ? QueueingHint.Queue : QueueingHint.Skip;
}

/** New tolerations on this very pod may help; tolerations of other pods never do. */
function isSchedulableAfterPodTolerationChange(pod: Pod, _oldObj: unknown, newObj: unknown): QueueingHint {
  const modified = newObj as Pod | undefined;
  return modified && modified.metadata?.uid === pod.metadata?.uid ? QueueingHint.Queue : QueueingHint.Skip;
}
