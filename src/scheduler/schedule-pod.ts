// Picks a node for one pod on one snapshot, as upstream's schedulePod: PreFilter, Filter over a
// rotating window of nodes until enough feasible ones are found (percentageOfNodesToScore),
// PreScore/Score/normalize/weights, then the best node with ties broken at random.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Framework, PluginScore } from './framework/runtime.js';
import type { NodeInfo } from './framework/node-info.js';
import type { PodInfo } from './framework/pod-info.js';
import { Status } from './framework/status.js';
import type { CycleState, Snapshot } from './framework/types.js';

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

export const NO_NODE_AVAILABLE = (n: number) => `0/${n} nodes are available`;
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export interface Diagnosis {
  /** Why each rejected node was rejected. */
  nodeToStatus: Map<string, Status>;
  /** Status for nodes that were never examined (PreFilter narrowed them away or rejected the pod). */
  absentNodesStatus?: Status;
  unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

/** No node fits: its message is the FailedScheduling event's and the PodScheduled condition's. */
export class FitError extends Error {
  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    // No message argument: Error would make it an own property hiding the getter below.
    super();
  }

  override get message(): string {
    // Upstream's ErrNoNodesAvailable.
    if (this.numAllNodes === 0) return NO_NODES_AVAILABLE;
    let msg = `${NO_NODE_AVAILABLE(this.numAllNodes)}:`;
    const d = this.diagnosis;
    if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
    else {
      const reasons = new Map<string, number>();
      const count = (s: Status) => {
        for (const r of s.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      };
      for (const s of d.nodeToStatus.values()) count(s);
      if (d.absentNodesStatus) for (let i = d.nodeToStatus.size; i < this.numAllNodes; i++) count(d.absentNodesStatus);
      const sorted = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
      if (sorted.length) msg += ` ${sorted.join(', ')}.`;
    }
    if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
    return msg;
  }
}

export interface ScheduleResult {
  suggestedHost: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** Upstream's numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage <= 0) percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
  if (percentage >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export class SchedulingAlgorithm {
  /** Where the next cycle starts filtering, so every node gets its turn. */
  private nextStartNodeIndex = 0;

  constructor(
    private readonly random: () => number = Math.random,
    /** Pods nominated to a node by preemption, considered by Filter as upstream does. */
    private readonly nominatedPods: (node: string) => PodInfo[] = () => [],
    /** The node a pod was nominated to when its status does not show it yet. */
    private readonly nominatedNodeFor: (pod: Pod) => string | undefined = () => undefined,
  ) {}

  schedulePod(fwk: Framework, state: CycleState, pod: Pod, snapshot: Snapshot): ScheduleResult {
    const all = snapshot.nodeInfos();
    if (all.length === 0) throw new FitError(pod, 0, emptyDiagnosis());
    const { feasible, diagnosis } = this.findNodesThatFitPod(fwk, state, pod, snapshot, all);
    if (feasible.length === 0) throw new FitError(pod, all.length, diagnosis);
    const evaluatedNodes = diagnosis.nodeToStatus.size + feasible.length;
    if (feasible.length === 1) return { suggestedHost: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    const scores = prioritizeNodes(fwk, state, pod, feasible);
    return { suggestedHost: selectHost(scores, this.random), evaluatedNodes, feasibleNodes: feasible.length };
  }

  findNodesThatFitPod(fwk: Framework, state: CycleState, pod: Pod, snapshot: Snapshot, all: NodeInfo[]): { feasible: NodeInfo[]; diagnosis: Diagnosis } {
    const diagnosis = emptyDiagnosis();
    const pre = fwk.runPreFilter(state, pod, all);
    for (const p of pre.unschedulablePlugins) diagnosis.unschedulablePlugins.add(p);
    if (!pre.status.isSuccess()) {
      if (!pre.status.isRejected()) throw new Error(`running PreFilter plugin "${pre.status.plugin}": ${pre.status.message()}`);
      // Every node is rejected for the same reason; the message names it once.
      diagnosis.absentNodesStatus = pre.status;
      diagnosis.preFilterMsg = pre.status.message();
      return { feasible: [], diagnosis };
    }

    // A nominated node (from an earlier preemption) is tried first, alone.
    const nominated = pod.status?.nominatedNodeName || this.nominatedNodeFor(pod);
    if (nominated) {
      const ni = snapshot.get(nominated);
      if (ni && (!pre.result?.nodeNames || pre.result.nodeNames.has(nominated))) {
        const s = fwk.runFilterWithNominatedPods(state, pod, ni, this.nominatedPods);
        if (s.isSuccess()) return { feasible: [ni], diagnosis };
      }
    }

    let nodes = all;
    if (pre.result?.nodeNames) {
      nodes = [...pre.result.nodeNames].map((n) => snapshot.get(n)).filter((n): n is NodeInfo => !!n);
      diagnosis.absentNodesStatus = Status.unresolvable(`node(s) didn't satisfy plugin(s) [${[...pre.unschedulablePlugins].join(' ') || 'PreFilter'}]`);
    }
    const toFind = numFeasibleNodesToFind(fwk.percentageOfNodesToScore, nodes.length);
    const feasible: NodeInfo[] = [];
    const rejected: NodeInfo[] = [];
    const start = nodes === all ? this.nextStartNodeIndex % nodes.length : 0;
    let processed = 0;
    // Filters run in the fast order: which nodes fit is the same, and a node's rejection only
    // matters when no node fits — then each rejected node is run again in the configured order,
    // so that the diagnosis (the FailedScheduling message, preemption's candidates) names the
    // plugin upstream would.
    for (let i = 0; i < nodes.length && feasible.length < toFind; i++) {
      const ni = nodes[(start + i) % nodes.length]!;
      processed++;
      const s = fwk.runFilterWithNominatedPods(state, pod, ni, this.nominatedPods, true);
      if (s.isSuccess()) feasible.push(ni);
      else {
        if (!s.isRejected()) throw new Error(`running "${s.plugin}" filter plugin: ${s.message()}`);
        rejected.push(ni);
        diagnosis.nodeToStatus.set(ni.name, s);
      }
    }
    if (nodes === all) this.nextStartNodeIndex = (start + processed) % all.length;
    if (feasible.length === 0) {
      for (const ni of rejected) {
        const s = fwk.runFilterWithNominatedPods(state, pod, ni, this.nominatedPods);
        if (s.isSuccess()) throw new Error(`node ${ni.name} fits in one filter order and not in another: a Filter plugin has side effects`);
        if (!s.isRejected()) throw new Error(`running "${s.plugin}" filter plugin: ${s.message()}`);
        diagnosis.nodeToStatus.set(ni.name, s);
        if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
      }
    }
    return { feasible, diagnosis };
  }
}

function emptyDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
}

export function prioritizeNodes(fwk: Framework, state: CycleState, pod: Pod, nodes: NodeInfo[]): PluginScore[] {
  if (fwk.plugins.score.length === 0) return nodes.map((n) => ({ name: n.name, totalScore: 1 }));
  const pre = fwk.runPreScore(state, pod, nodes);
  if (!pre.isSuccess()) throw new Error(`running PreScore plugin "${pre.plugin}": ${pre.message()}`);
  const { scores, status } = fwk.runScore(state, pod, nodes);
  if (!status.isSuccess()) throw new Error(`running Score plugin "${status.plugin}": ${status.message()}`);
  return scores;
}

/** The highest total score; among equals, each is picked with equal probability. */
export function selectHost(scores: PluginScore[], random: () => number = Math.random): string {
  if (scores.length === 0) throw new Error('empty priorityList');
  let best = scores[0]!;
  let ties = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i]!;
    if (s.totalScore > best.totalScore) {
      best = s;
      ties = 1;
    } else if (s.totalScore === best.totalScore) {
      ties++;
      if (random() * ties < 1) best = s;
    }
  }
  return best.name;
}
