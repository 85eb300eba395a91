// NodeResourcesFit: the node must have room for the pod's requests (pods count, cpu, memory,
// ephemeral storage, extended resources) next to what is already requested on it; nodes are
// scored by a configurable strategy (upstream noderesources/fit.go).
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { isQualifiedName } from '../../api/names.js';
import { NodeInfo } from '../framework/node-info.js';
import { isScalarResourceName, podRequests, type Resource } from '../framework/resources.js';
import { Code, Status } from '../framework/status.js';
import {
  QueueingHint,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PluginArgs,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/types.js';
import { checkArgs } from './helpers.js';
import {
  leastAllocatedScorer,
  MAX_CUSTOM_PRIORITY_SCORE,
  mostAllocatedScorer,
  parseResourceSpecs,
  requestedToCapacityRatioScorer,
  ResourceAllocationScorer,
  type ResourceSpec,
  type Scorer,
  type UtilizationShapePoint,
} from './resource-allocation.js';

export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';
/** "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage", "Insufficient example.com/foo". */
export function errReasonInsufficient(resource: string): string {
  return `Insufficient ${resource}`;
}

export const LEAST_ALLOCATED = 'LeastAllocated';
export const MOST_ALLOCATED = 'MostAllocated';
export const REQUESTED_TO_CAPACITY_RATIO = 'RequestedToCapacityRatio';
const STRATEGIES = [LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO];

const PRE_FILTER_STATE_KEY = 'PreFilterNodeResourcesFit';
const PRE_SCORE_STATE_KEY = 'PreScoreNodeResourcesFit';

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The request exceeds the node's whole allocatable: evicting pods (preemption) cannot help. */
  unresolvable: boolean;
}

export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: string;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
  };
}

/** Extended resources (domain-prefixed, outside kubernetes.io): the only ones args may ignore. */
function isExtendedResourceName(name: string): boolean {
  return isScalarResourceName(name) && !name.startsWith('hugepages-') && !name.startsWith('attachable-volumes-');
}

/**
 * The resources the node lacks for a pod with these requests, in upstream's order: pods,
 * cpu, memory, ephemeral-storage, then extended resources. Empty means the pod fits.
 */
const NO_NAMES: ReadonlySet<string> = new Set();
const NOTHING_MISSING: InsufficientResource[] = [];

// Called for every candidate node of every pod: no allocations unless something is missing.
export function fitsRequest(
  podRequest: Resource,
  nodeInfo: NodeInfo,
  ignoredResources: ReadonlySet<string> = NO_NAMES,
  ignoredResourceGroups: ReadonlySet<string> = NO_NAMES,
): InsufficientResource[] {
  // The common answer, "fits", allocates nothing and reads only the NodeInfo's own copies of
  // the numbers (a stand-in without them, as preemption's, takes the full path below).
  if (
    nodeInfo.podCount + 1 <= nodeInfo.allocPods &&
    (podRequest.milliCPU === 0 || podRequest.milliCPU <= nodeInfo.allocMilliCPU - nodeInfo.reqMilliCPU) &&
    (podRequest.memory === 0 || podRequest.memory <= nodeInfo.allocMemory - nodeInfo.reqMemory) &&
    (podRequest.ephemeralStorage === 0 || podRequest.ephemeralStorage <= nodeInfo.allocEphemeralStorage - nodeInfo.reqEphemeralStorage) &&
    podRequest.scalar.size === 0
  ) {
    return NOTHING_MISSING;
  }
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  const out: InsufficientResource[] = [];
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({
      resourceName: 'pods',
      reason: ERR_REASON_TOO_MANY_PODS,
      requested: 1,
      used: nodeInfo.pods.length,
      capacity: alloc.allowedPodNumber,
      unresolvable: false,
    });
  }
  if (podRequest.milliCPU === 0 && podRequest.memory === 0 && podRequest.ephemeralStorage === 0 && podRequest.scalar.size === 0) return out;
  if (podRequest.milliCPU > 0 && podRequest.milliCPU > alloc.milliCPU - used.milliCPU)
    out.push(insufficient('cpu', podRequest.milliCPU, used.milliCPU, alloc.milliCPU));
  if (podRequest.memory > 0 && podRequest.memory > alloc.memory - used.memory) out.push(insufficient('memory', podRequest.memory, used.memory, alloc.memory));
  if (podRequest.ephemeralStorage > 0 && podRequest.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push(insufficient('ephemeral-storage', podRequest.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage));
  }
  if (podRequest.scalar.size === 0) return out;
  for (const [name, want] of podRequest.scalar) {
    if (want === 0) continue;
    if (isExtendedResourceName(name) && (ignoredResources.has(name) || (ignoredResourceGroups.size > 0 && ignoredResourceGroups.has(name.split('/')[0]!))))
      continue;
    const have = used.scalar.get(name) ?? 0;
    const capacity = alloc.scalar.get(name) ?? 0;
    if (want > capacity - have) out.push(insufficient(name, want, have, capacity));
  }
  return out;
}

function insufficient(name: string, want: number, have: number, capacity: number): InsufficientResource {
  return { resourceName: name, reason: errReasonInsufficient(name), requested: want, used: have, capacity, unresolvable: want > capacity };
}

/** Whether the pod fits the node's free resources (upstream noderesources.Fits). */
export function fits(pod: Pod, nodeInfo: NodeInfo): InsufficientResource[] {
  return fitsRequest(podRequests(pod), nodeInfo);
}

function stringList(plugin: string, field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${plugin}: ${field} must be a list of strings`);
  return v as string[];
}

function parseShape(plugin: string, raw: unknown): UtilizationShapePoint[] {
  const path = 'scoringStrategy.requestedToCapacityRatio.shape';
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${plugin}: ${path}: Required value: at least one point must be specified`);
  const shape = raw.map((p, i) => {
    const pt = p as { utilization?: unknown; score?: unknown };
    const utilization = pt?.utilization ?? 0;
    const score = pt?.score ?? 0;
    if (typeof utilization !== 'number' || !Number.isInteger(utilization) || utilization < 0 || utilization > 100)
      throw new Error(`${plugin}: ${path}[${i}].utilization: Invalid value: ${JSON.stringify(utilization)}: not in valid range [0, 100]`);
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > MAX_CUSTOM_PRIORITY_SCORE)
      throw new Error(`${plugin}: ${path}[${i}].score: Invalid value: ${JSON.stringify(score)}: not in valid range [0, ${MAX_CUSTOM_PRIORITY_SCORE}]`);
    return { utilization, score };
  });
  for (let i = 1; i < shape.length; i++) {
    if (shape[i - 1]!.utilization >= shape[i]!.utilization)
      throw new Error(`${plugin}: ${path}[${i}].utilization: Invalid value: ${shape[i]!.utilization}: values must be sorted in increasing order`);
  }
  return shape;
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = 'NodeResourcesFit';
  readonly name = NodeResourcesFit.NAME;
  readonly ignoredResources: ReadonlySet<string>;
  readonly ignoredResourceGroups: ReadonlySet<string>;
  readonly strategy: string;
  private readonly scorer: ResourceAllocationScorer;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    const N = NodeResourcesFit.NAME;
    const a = checkArgs(N, args, ['ignoredResources', 'ignoredResourceGroups', 'scoringStrategy']) as NodeResourcesFitArgs;
    const ignored = stringList(N, 'ignoredResources', a.ignoredResources);
    ignored.forEach((r, i) => {
      const errs = isQualifiedName(r);
      if (errs.length) throw new Error(`${N}: ignoredResources[${i}]: Invalid value: ${JSON.stringify(r)}: ${errs.join('; ')}`);
    });
    const groups = stringList(N, 'ignoredResourceGroups', a.ignoredResourceGroups);
    groups.forEach((g, i) => {
      if (g.includes('/')) throw new Error(`${N}: ignoredResourceGroups[${i}]: Invalid value: ${JSON.stringify(g)}: resource group name can't contain '/'`);
      const errs = isQualifiedName(g);
      if (errs.length) throw new Error(`${N}: ignoredResourceGroups[${i}]: Invalid value: ${JSON.stringify(g)}: ${errs.join('; ')}`);
    });
    this.ignoredResources = new Set(ignored);
    this.ignoredResourceGroups = new Set(groups);

    const s = a.scoringStrategy ?? {};
    if (typeof s !== 'object' || Array.isArray(s)) throw new Error(`${N}: scoringStrategy must be an object`);
    for (const k of Object.keys(s))
      if (!['type', 'resources', 'requestedToCapacityRatio'].includes(k)) throw new Error(`${N}: unknown field "scoringStrategy.${k}"`);
    const type = s.type ?? LEAST_ALLOCATED;
    if (!STRATEGIES.includes(type))
      throw new Error(
        `${N}: scoringStrategy.type: Unsupported value: ${JSON.stringify(type)}: supported values: ${STRATEGIES.map((t) => JSON.stringify(t)).join(', ')}`,
      );
    const resources = parseResourceSpecs(N, 'scoringStrategy.resources', s.resources, 100);
    let scorer: Scorer;
    if (type === REQUESTED_TO_CAPACITY_RATIO) {
      if (!s.requestedToCapacityRatio)
        throw new Error(`${N}: scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio`);
      scorer = requestedToCapacityRatioScorer(resources, parseShape(N, s.requestedToCapacityRatio.shape));
    } else {
      if (s.requestedToCapacityRatio)
        throw new Error(`${N}: scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio`);
      scorer = type === MOST_ALLOCATED ? mostAllocatedScorer(resources) : leastAllocatedScorer(resources);
    }
    this.strategy = type;
    // Scoring counts containers without cpu/memory requests at upstream's non-zero defaults.
    this.scorer = new ResourceAllocationScorer(resources, scorer, false);
  }

  private readonly statuses = new Map<string, Status>();

  get resources(): ResourceSpec[] {
    return this.scorer.resources;
  }

  preFilter(state: CycleState, pod: Pod, _nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    state.write(PRE_FILTER_STATE_KEY, podRequests(pod));
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const req = state.read<Resource>(PRE_FILTER_STATE_KEY);
    if (!req) return Status.error(`error reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    const insufficient = fitsRequest(req, nodeInfo, this.ignoredResources, this.ignoredResourceGroups);
    if (insufficient.length === 0) return Status.success();
    const code = insufficient.some((r) => r.unresolvable) ? Code.UnschedulableAndUnresolvable : Code.Unschedulable;
    // A pod that fits nowhere is rejected by thousands of nodes for the same reasons: one
    // Status per distinct answer instead of one per node.
    const key = `${code}\u0000${insufficient.map((r) => r.reason).join('\u0000')}`;
    let status = this.statuses.get(key);
    if (!status) {
      status = new Status(
        code,
        insufficient.map((r) => r.reason),
      );
      if (this.statuses.size < 1000) this.statuses.set(key, status);
    }
    return status;
  }

  preScore(state: CycleState, pod: Pod, _nodes: NodeInfo[]): Status {
    state.write(PRE_SCORE_STATE_KEY, this.scorer.podRequestList(pod));
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const reqs = state.read<number[]>(PRE_SCORE_STATE_KEY) ?? this.scorer.podRequestList(pod);
    return { score: this.scorer.score(nodeInfo, reqs), status: Status.success() };
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'Pod', actions: ['Delete', 'UpdatePodScaleDown'] }, hint: isSchedulableAfterPodEvent },
      { event: { resource: 'Node', actions: ['Add', 'UpdateNodeAllocatable'] }, hint: isSchedulableAfterNodeChange },
    ];
  }
}

/** A placed (or nominated) pod going away, or a pod shrinking a resource this pod requests, may free room. */
function isSchedulableAfterPodEvent(pod: Pod, oldObj: unknown, newObj: unknown): QueueingHint {
  const original = oldObj as Pod | undefined;
  const modified = newObj as Pod | undefined;
  if (!modified) {
    if (!original) return QueueingHint.Queue;
    return original.spec?.nodeName || original.status?.nominatedNodeName ? QueueingHint.Queue : QueueingHint.Skip;
  }
  if (modified.metadata?.uid === pod.metadata?.uid) return QueueingHint.Queue;
  if (!modified.spec?.nodeName || !original) return QueueingHint.Skip;
  const want = podRequests(pod);
  const before = podRequests(original);
  const after = podRequests(modified);
  if (want.milliCPU > 0 && before.milliCPU > after.milliCPU) return QueueingHint.Queue;
  if (want.memory > 0 && before.memory > after.memory) return QueueingHint.Queue;
  if (want.ephemeralStorage > 0 && before.ephemeralStorage > after.ephemeralStorage) return QueueingHint.Queue;
  for (const [name, q] of want.scalar) if (q > 0 && (before.scalar.get(name) ?? 0) > (after.scalar.get(name) ?? 0)) return QueueingHint.Queue;
  return QueueingHint.Skip;
}

/** A node that could hold the pod when empty: queue if it is new or grew something the pod needs. */
function isSchedulableAfterNodeChange(pod: Pod, oldObj: unknown, newObj: unknown): QueueingHint {
  const modified = newObj as Node | undefined;
  if (!modified) return QueueingHint.Skip;
  const now = new NodeInfo(modified);
  if (fits(pod, now).length > 0) return QueueingHint.Skip;
  const original = oldObj as Node | undefined;
  if (!original) return QueueingHint.Queue;
  const before = new NodeInfo(original).allocatable;
  const after = now.allocatable;
  if (after.allowedPodNumber > before.allowedPodNumber) return QueueingHint.Queue;
  const want = podRequests(pod);
  if (want.milliCPU > 0 && after.milliCPU > before.milliCPU) return QueueingHint.Queue;
  if (want.memory > 0 && after.memory > before.memory) return QueueingHint.Queue;
  if (want.ephemeralStorage > 0 && after.ephemeralStorage > before.ephemeralStorage) return QueueingHint.Queue;
  for (const [name, q] of want.scalar) if (q > 0 && (after.scalar.get(name) ?? 0) > (before.scalar.get(name) ?? 0)) return QueueingHint.Queue;
  return QueueingHint.Skip;
}
