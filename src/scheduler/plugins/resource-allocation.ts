// Resource-based node scoring shared by NodeResourcesFit and NodeResourcesBalancedAllocation, as
// upstream's noderesources/resource_allocation.go and its least/most/ratio scorers: the pod's
// requests for each configured resource are added to what the node already has requested, and
// the scorer turns (requested, allocatable) pairs into a score in [0, MAX_NODE_SCORE].
import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../framework/node-info.js';
import { CPU, EPHEMERAL_STORAGE, isScalarResourceName, MEMORY, podRequests, type Resource } from '../framework/resources.js';
import { MAX_NODE_SCORE } from '../framework/types.js';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface UtilizationShapePoint {
  /** Percent of allocatable in use, 0..100. */
  utilization: number;
  /** 0..MAX_CUSTOM_PRIORITY_SCORE. */
  score: number;
}

/** Shape scores are configured on 0..10 and scaled to MAX_NODE_SCORE. */
export const MAX_CUSTOM_PRIORITY_SCORE = 10;
const MAX_UTILIZATION = 100;

export const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: CPU, weight: 1 },
  { name: MEMORY, weight: 1 },
];

/** Scores requested/allocatable per configured resource; a 0 allocatable means "skip this resource". */
export type Scorer = (requested: number[], allocatable: number[]) => number;

/** One named resource of a Resource, in scheduler units (milli-CPU, bytes, counts). */
export function resourceQuantity(r: Resource, name: string): number {
  switch (name) {
    case CPU:
      return r.milliCPU;
    case MEMORY:
      return r.memory;
    case EPHEMERAL_STORAGE:
      return r.ephemeralStorage;
    default:
      return r.scalar.get(name) ?? 0;
  }
}

export class ResourceAllocationScorer {
  constructor(
    readonly resources: ResourceSpec[],
    private readonly scorer: Scorer,
    /** Score against actual requests; otherwise cpu/memory use upstream's non-zero defaults. */
    private readonly useRequested: boolean,
  ) {
    this.requested = resources.map(() => 0);
    this.allocatable = resources.map(() => 0);
  }

  /** The pod's requests for each configured resource, in order. */
  podRequestList(pod: Pod): number[] {
    const reqs = podRequests(pod, { nonZero: !this.useRequested });
    return this.resources.map((r) => resourceQuantity(reqs, r.name));
  }

  // Scratch arrays reused across calls: score() runs for every candidate node of every pod on
  // one thread, and allocating per call showed up as garbage-collection time.
  private readonly requested: number[];
  private readonly allocatable: number[];

  score(nodeInfo: NodeInfo, podRequests: number[]): number {
    const n = this.resources.length;
    for (let i = 0; i < n; i++) this.fill(nodeInfo, this.resources[i]!.name, podRequests[i] ?? 0, i);
    return this.scorer(this.requested, this.allocatable);
  }

  /** allocatable[i] and requested[i] (including this pod); both 0 leave the resource out. */
  private fill(nodeInfo: NodeInfo, name: string, podRequest: number, i: number): void {
    let alloc = 0;
    let req = 0;
    // An extended resource the pod doesn't ask for doesn't count for or against the node.
    if (!(podRequest === 0 && isScalarResourceName(name))) {
      switch (name) {
        // cpu and memory from the NodeInfo's own copies (see NodeInfo): read for every node scored.
        case CPU:
          alloc = nodeInfo.allocMilliCPU;
          req = (this.useRequested ? nodeInfo.reqMilliCPU : nodeInfo.nonZeroMilliCPU) + podRequest;
          break;
        case MEMORY:
          alloc = nodeInfo.allocMemory;
          req = (this.useRequested ? nodeInfo.reqMemory : nodeInfo.nonZeroMemory) + podRequest;
          break;
        case EPHEMERAL_STORAGE:
          alloc = nodeInfo.allocatable.ephemeralStorage;
          req = nodeInfo.requested.ephemeralStorage + podRequest;
          break;
        default: {
          const a = nodeInfo.allocatable.scalar.get(name);
          if (a !== undefined) {
            alloc = a;
            req = (nodeInfo.requested.scalar.get(name) ?? 0) + podRequest;
          }
        }
      }
    }
    this.allocatable[i] = alloc;
    this.requested[i] = alloc === 0 ? 0 : req;
  }
}

/** Weighted average of per-resource scores over resources the node has, integer-divided. */
function weighted(resources: ResourceSpec[], perResource: (requested: number, capacity: number) => number): Scorer {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const w = resources[i]!.weight;
      nodeScore += perResource(requested[i]!, allocatable[i]!) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
}

/** Favors free capacity: (capacity − requested) × 100 / capacity, 0 when over-requested. */
export function leastAllocatedScorer(resources: ResourceSpec[]): Scorer {
  return weighted(resources, (requested, capacity) =>
    capacity === 0 || requested > capacity ? 0 : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity),
  );
}

/** Favors full nodes: requested × 100 / capacity, capped at capacity (non-zero defaults can overshoot). */
export function mostAllocatedScorer(resources: ResourceSpec[]): Scorer {
  return weighted(resources, (requested, capacity) => (capacity === 0 ? 0 : Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity)));
}

/** A piecewise-linear function through the shape points, flat before the first and after the last. */
export function brokenLinearFunction(shape: Array<{ utilization: number; score: number }>): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const cur = shape[i]!;
      if (p <= cur.utilization) {
        if (i === 0) return cur.score;
        const prev = shape[i - 1]!;
        return prev.score + Math.trunc(((cur.score - prev.score) * (p - prev.utilization)) / (cur.utilization - prev.utilization));
      }
    }
    return shape[shape.length - 1]!.score;
  };
}

/**
 * Scores utilization through the configured shape (scores ×10 onto 0..100). Resources scoring 0
 * are left out of the average, which is rounded, as upstream.
 */
export function requestedToCapacityRatioScorer(resources: ResourceSpec[], shape: UtilizationShapePoint[]): Scorer {
  const f = brokenLinearFunction(shape.map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE) })));
  const resourceScore = (requested: number, capacity: number) =>
    capacity === 0 || requested > capacity ? f(MAX_UTILIZATION) : f(Math.trunc((requested * MAX_UTILIZATION) / capacity));
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    requested.forEach((req, i) => {
      if (allocatable[i] === 0) return;
      const s = resourceScore(req, allocatable[i]!);
      if (s > 0) {
        nodeScore += s * resources[i]!.weight;
        weightSum += resources[i]!.weight;
      }
    });
    return weightSum === 0 ? 0 : goRound(nodeScore / weightSum);
  };
}

/** Go's math.Round: halves away from zero. */
function goRound(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** Parses and validates a list of {name, weight} resource specs from args; weight 0 defaults to 1. */
export function parseResourceSpecs(plugin: string, path: string, raw: unknown, maxWeight: number): ResourceSpec[] {
  if (raw === undefined || raw === null) return DEFAULT_RESOURCES.map((r) => ({ ...r }));
  if (!Array.isArray(raw)) throw new Error(`${plugin}: ${path} must be a list of {name, weight}`);
  if (raw.length === 0) return DEFAULT_RESOURCES.map((r) => ({ ...r }));
  return raw.map((r, i) => {
    const spec = r as { name?: unknown; weight?: unknown };
    if (typeof spec?.name !== 'string' || spec.name === '') throw new Error(`${plugin}: ${path}[${i}].name: Required value`);
    const weight = spec.weight === undefined ? 1 : spec.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight))
      throw new Error(`${plugin}: ${path}[${i}].weight: Invalid value: ${JSON.stringify(spec.weight)}: must be an integer`);
    const w = weight === 0 ? 1 : weight;
    if (w < 0 || w > maxWeight)
      throw new Error(`${plugin}: ${path}[${i}].weight: Invalid value: ${w}: resource weight of ${spec.name} not in valid range (0, ${maxWeight}]`);
    return { name: spec.name, weight: w };
  });
}
