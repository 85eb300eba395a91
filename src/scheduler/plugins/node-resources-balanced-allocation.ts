// NodeResourcesBalancedAllocation favors nodes whose resource usage, with the pod placed, stays
// balanced across resources: (1 − standard deviation of the requested/allocatable fractions) ×
// MAX_NODE_SCORE (upstream noderesources/balanced_allocation.go).
import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import {
  MAX_NODE_SCORE,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type Handle,
  type PluginArgs,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/types.js';
import { checkArgs } from './helpers.js';
import { parseResourceSpecs, ResourceAllocationScorer, type ResourceSpec } from './resource-allocation.js';

const PRE_SCORE_STATE_KEY = 'PreScoreNodeResourcesBalancedAllocation';

export interface NodeResourcesBalancedAllocationArgs {
  resources?: ResourceSpec[];
}

/** (1 − std) × 100 over the fractions of the resources the node has, each fraction capped at 1. */
export function balancedResourceScorer(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  requested.forEach((req, i) => {
    if (allocatable[i] === 0) return;
    fractions.push(Math.min(req / allocatable[i]!, 1));
  });
  let std = 0;
  if (fractions.length === 2) {
    // The common cpu+memory case: the std of two values is half their distance.
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, f) => a + f, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = 'NodeResourcesBalancedAllocation';
  readonly name = NodeResourcesBalancedAllocation.NAME;
  private readonly scorer: ResourceAllocationScorer;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    const N = NodeResourcesBalancedAllocation.NAME;
    const a = checkArgs(N, args, ['resources']) as NodeResourcesBalancedAllocationArgs;
    const resources = parseResourceSpecs(N, 'resources', a.resources, 100);
    const seen = new Set<string>();
    resources.forEach((r, i) => {
      if (seen.has(r.name)) throw new Error(`${N}: resources[${i}].name: Duplicate value: ${JSON.stringify(r.name)}`);
      seen.add(r.name);
      if (r.weight !== 1) throw new Error(`${N}: resources[${i}].weight: Invalid value: ${r.weight}: must be 1`);
    });
    // Balance is judged on actual requests, not on the non-zero defaults.
    this.scorer = new ResourceAllocationScorer(resources, balancedResourceScorer, true);
  }

  /** A pod requesting none of the resources is skipped, so best-effort pods don't pile onto one node. */
  preScore(state: CycleState, pod: Pod, _nodes: NodeInfo[]): Status {
    const reqs = this.scorer.podRequestList(pod);
    if (reqs.every((r) => r === 0)) return Status.skip();
    state.write(PRE_SCORE_STATE_KEY, reqs);
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    let reqs = state.read<number[]>(PRE_SCORE_STATE_KEY);
    if (!reqs) {
      reqs = this.scorer.podRequestList(pod);
      if (reqs.every((r) => r === 0)) return { score: 0, status: Status.success() };
    }
    return { score: this.scorer.score(nodeInfo, reqs), status: Status.success() };
  }

  /** Scoring rejects no pod, so no event has to requeue one. */
  eventsToRegister(): ClusterEventWithHint[] {
    return [];
  }
}
