// DefaultPreemption (PostFilter): when no node fits, find a node where evicting lower-priority
// pods makes room, choosing victims and the node as upstream does, then evict them and nominate
// the node for the preemptor.
import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import type { Framework } from '../framework/runtime.js';
import { Code, Status } from '../framework/status.js';
import type { CycleState, FilterPlugin, Handle, PluginArgs, PostFilterPlugin, PostFilterResult } from '../framework/types.js';
import { addResource } from '../framework/resources.js';

export const NAME = 'DefaultPreemption';
export const ERR_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const ERR_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const ERR_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const ERR_TERMINATING_VICTIMS = 'not eligible due to a terminating pod on the nominated node.';
export const ERR_PREEMPTION_IN_FLIGHT = 'not eligible: the pod is already running preemption.';

/** What preemption needs beyond the plain handle: the profile to re-run filters, and the API. */
export interface PreemptionHandle extends Handle {
  framework(): Framework;
  nominatedPodsForNode(node: string): PodInfo[];
  /** Marks the victim DisruptionTarget and deletes it gracefully; records a Preempted event. */
  evictVictim(victim: Pod, preemptor: Pod, nodeName: string): Promise<void>;
  /** Clears status.nominatedNodeName of a lower-priority pod that can no longer fit there. */
  clearNomination(pod: Pod): Promise<void>;
  /** Number of PodDisruptionBudgets a set of victims would violate (0 until PDBs exist). */
  pdbViolations?(victims: Pod[]): number;
}

export interface Candidate {
  nodeName: string;
  victims: Pod[];
  numPDBViolations: number;
}

const priorityOf = (p: Pod) => p.spec?.priority ?? 0;

/** Filters whose answer for a node does not depend on the pods on it. */
const POD_INDEPENDENT_FILTERS = new Set(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity']);
const startTimes = new WeakMap<Pod, number>();
/** When the pod started (its creation when it has not), parsed once per pod object. */
const startOf = (p: Pod): number => {
  let t = startTimes.get(p);
  if (t === undefined) {
    t = Date.parse(p.status?.startTime ?? p.metadata?.creationTimestamp ?? '') || 0;
    startTimes.set(p, t);
  }
  return t;
};

/** Upstream's MoreImportantPod: higher priority, then earlier start. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = priorityOf(a);
  const pb = priorityOf(b);
  if (pa !== pb) return pa > pb;
  return startOf(a) < startOf(b);
}

export class DefaultPreemption implements PostFilterPlugin {
  static readonly NAME = NAME;
  readonly name = NAME;
  private readonly minCandidateNodesPercentage: number;
  /** Preemptors whose victims are being evicted, by uid. */
  private readonly inFlight = new Set<string>();
  /** Victims we asked to evict (pod key → node) until the cache no longer has them. */
  private readonly evicting = new Map<string, string>();
  private readonly minCandidateNodesAbsolute: number;

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: PreemptionHandle,
    private readonly random: () => number = Math.random,
  ) {
    this.minCandidateNodesPercentage = num(args?.minCandidateNodesPercentage, 10);
    this.minCandidateNodesAbsolute = num(args?.minCandidateNodesAbsolute, 100);
    if (this.minCandidateNodesPercentage < 0 || this.minCandidateNodesPercentage > 100)
      throw new Error(`minCandidateNodesPercentage: Invalid value: ${this.minCandidateNodesPercentage}: not in valid range [0, 100]`);
    if (this.minCandidateNodesAbsolute < 0)
      throw new Error(`minCandidateNodesAbsolute: Invalid value: ${this.minCandidateNodesAbsolute}: not in valid range [0, inf)`);
  }

  async postFilter(state: CycleState, pod: Pod, filteredNodeStatus: Map<string, Status>): Promise<{ result?: PostFilterResult; status: Status }> {
    const ineligible = this.eligibility(pod, filteredNodeStatus);
    if (ineligible) return { status: Status.unschedulable(ineligible) };
    const snapshot = this.handle.snapshot();
    const all = snapshot.nodeInfos();
    // Only nodes that failed for a reason preemption can change are worth a dry run.
    const potential = all.filter((n) => {
      const s = filteredNodeStatus.get(n.name);
      return s ? s.code === Code.Unschedulable : false;
    });
    const reasons = new Map<string, number>();
    const unhelpful = all.length - potential.length;
    if (unhelpful) reasons.set(ERR_NOT_HELPFUL, unhelpful);
    const candidates = this.findCandidates(state, pod, potential, reasons);
    if (candidates.length === 0) return { status: Status.unschedulable(preemptionMessage(all.length, reasons)) };
    const best = this.selectCandidate(candidates);
    // Victims are evicted in the background (upstream's async preemption): the pod is nominated
    // at once and the scheduling loop goes on while the API calls run.
    this.prepareCandidate(best, pod).catch(() => {});
    return { result: { nominatedNodeName: best.nodeName }, status: Status.success() };
  }

  /** Why the pod may not preempt, or undefined when it may. */
  private eligibility(pod: Pod, statuses: Map<string, Status>): string | undefined {
    if (pod.spec?.preemptionPolicy === 'Never') return ERR_POLICY_NEVER;
    if (this.inFlight.has(pod.metadata?.uid ?? '')) return ERR_PREEMPTION_IN_FLIGHT;
    const nominated = pod.status?.nominatedNodeName ?? this.nominatedNodeOf(pod);
    if (nominated) {
      // Its earlier victims are still going (terminating, or deleted but not yet seen gone):
      // wait for them rather than evict more elsewhere.
      const s = statuses.get(nominated);
      if (!s || s.code !== Code.UnschedulableAndUnresolvable) {
        const ni = this.handle.snapshot().get(nominated);
        if (ni?.pods.some((p) => (p.pod.metadata?.deletionTimestamp || this.evicting.has(p.key)) && priorityOf(p.pod) < priorityOf(pod)))
          return ERR_TERMINATING_VICTIMS;
        this.forgetEvicted(nominated, ni);
      }
    }
    return undefined;
  }

  /** The node the scheduler nominated this pod to (status may not show it yet). */
  private nominatedNodeOf(pod: Pod): string | undefined {
    const uid = pod.metadata?.uid;
    return uid ? this.nominations.get(uid) : undefined;
  }
  private readonly nominations = new Map<string, string>();

  /** Victims the cache no longer holds are gone for good. */
  private forgetEvicted(node: string, ni: NodeInfo | undefined): void {
    for (const [key, n] of this.evicting) if (n === node && !ni?.pods.some((p) => p.key === key)) this.evicting.delete(key);
  }

  private findCandidates(state: CycleState, pod: Pod, potential: NodeInfo[], reasons: Map<string, number>): Candidate[] {
    if (potential.length === 0) return [];
    let wanted = Math.trunc((potential.length * this.minCandidateNodesPercentage) / 100);
    if (wanted < this.minCandidateNodesAbsolute) wanted = this.minCandidateNodesAbsolute;
    if (wanted > potential.length) wanted = potential.length;
    const offset = Math.floor(this.random() * potential.length);
    const candidates: Candidate[] = [];
    let nonViolating = 0;
    const byResources = this.resourceOnlyFilter(state);
    for (let i = 0; i < potential.length; i++) {
      const ni = potential[(offset + i) % potential.length]!;
      const r = byResources ? this.selectVictimsByResources(state, pod, ni, byResources) : this.selectVictimsOnNode(state.clone(), pod, ni.snapshot());
      if (!r) {
        reasons.set(ERR_NO_VICTIMS, (reasons.get(ERR_NO_VICTIMS) ?? 0) + 1);
        continue;
      }
      candidates.push({ nodeName: ni.name, ...r });
      if (r.numPDBViolations === 0) nonViolating++;
      // Upstream stops once enough candidates without PDB violations were found.
      if (nonViolating >= wanted) break;
    }
    return candidates;
  }

  /**
   * Removes every lower-priority pod; if the preemptor then fits, adds them back most important
   * first as long as it still fits. Those that could not be added back are the victims.
   */
  selectVictimsOnNode(state: CycleState, pod: Pod, ni: NodeInfo): { victims: Pod[]; numPDBViolations: number } | undefined {
    const fwk = this.handle.framework();
    const lower = ni.pods.filter((p) => priorityOf(p.pod) < priorityOf(pod));
    if (lower.length === 0) return undefined;
    const remove = (p: PodInfo) => {
      ni.removePod(p.key);
      for (const pf of fwk.plugins.preFilter) if (!state.skipFilterPlugins.has(pf.name)) pf.preFilterExtensions?.()?.removePod(state, pod, p, ni);
    };
    const add = (p: PodInfo) => {
      ni.addPod(p);
      for (const pf of fwk.plugins.preFilter) if (!state.skipFilterPlugins.has(pf.name)) pf.preFilterExtensions?.()?.addPod(state, pod, p, ni);
    };
    for (const p of lower) remove(p);
    const fits = () => fwk.runFilterWithNominatedPods(state, pod, ni, (n) => this.handle.nominatedPodsForNode(n)).isSuccess();
    if (!fits()) return undefined;
    const ordered = [...lower].sort((a, b) => (moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0));
    const victims: Pod[] = [];
    // PDB-violating pods are reprieved first so they are the least likely to be evicted.
    const violating = ordered.filter((p) => (this.handle.pdbViolations?.([p.pod]) ?? 0) > 0);
    const nonViolating = ordered.filter((p) => !violating.includes(p));
    let numPDBViolations = 0;
    const reprieve = (p: PodInfo): boolean => {
      add(p);
      if (fits()) return true;
      remove(p);
      victims.push(p.pod);
      return false;
    };
    for (const p of violating) if (!reprieve(p)) numPDBViolations++;
    for (const p of nonViolating) reprieve(p);
    if (victims.length === 0) return undefined;
    return { victims, numPDBViolations };
  }

  /**
   * When every filter left running for this pod, other than NodeResourcesFit, ignores the pods
   * on a node (node name, taints, node affinity, cordon; no host ports, no inter-pod affinity or
   * spreading), removing or adding pods can only change NodeResourcesFit's answer: the dry run
   * is then plain arithmetic on the node's requests, with the same outcome as running the
   * filters on a copy of the node. Returns the NodeResourcesFit plugin, or undefined.
   */
  private resourceOnlyFilter(state: CycleState): FilterPlugin | undefined {
    const fwk = this.handle.framework();
    let fit: FilterPlugin | undefined;
    for (const p of fwk.plugins.filter) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      if (p.name === 'NodeResourcesFit') fit = p;
      else if (!POD_INDEPENDENT_FILTERS.has(p.name)) return undefined;
    }
    return fit;
  }

  selectVictimsByResources(state: CycleState, pod: Pod, ni: NodeInfo, fit: FilterPlugin): { victims: Pod[]; numPDBViolations: number } | undefined {
    const prio = priorityOf(pod);
    const lower = ni.pods.filter((p) => priorityOf(p.pod) < prio);
    if (lower.length === 0) return undefined;
    // A stand-in for the node with only what NodeResourcesFit reads: allocatable, requested, pod count.
    const requested = { ...ni.requested, scalar: new Map(ni.requested.scalar) };
    const virtual = { allocatable: ni.allocatable, requested, pods: { length: ni.pods.length } } as unknown as NodeInfo;
    const change = (p: PodInfo, sign: 1 | -1) => {
      addResource(requested, p.requests, sign);
      (virtual.pods as { length: number }).length += sign;
    };
    // Nominated pods of equal or higher priority are counted as already there.
    for (const p of this.handle.nominatedPodsForNode(ni.name)) if (priorityOf(p.pod) >= prio && p.pod.metadata?.uid !== pod.metadata?.uid) change(p, 1);
    for (const p of lower) change(p, -1);
    const fits = () => fit.filter(state, pod, virtual).isSuccess();
    if (!fits()) return undefined;
    const ordered = [...lower].sort((a, b) => (moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0));
    const violating = ordered.filter((p) => (this.handle.pdbViolations?.([p.pod]) ?? 0) > 0);
    const nonViolating = ordered.filter((p) => !violating.includes(p));
    const victims: Pod[] = [];
    let numPDBViolations = 0;
    const reprieve = (p: PodInfo): boolean => {
      change(p, 1);
      if (fits()) return true;
      change(p, -1);
      victims.push(p.pod);
      return false;
    };
    for (const p of violating) if (!reprieve(p)) numPDBViolations++;
    for (const p of nonViolating) reprieve(p);
    if (victims.length === 0) return undefined;
    return { victims, numPDBViolations };
  }

  /** Upstream's pickOneNodeForPreemption, criterion by criterion until one node is left. */
  selectCandidate(candidates: Candidate[]): Candidate {
    let left = candidates;
    const keepMin = (f: (c: Candidate) => number) => {
      const m = Math.min(...left.map(f));
      left = left.filter((c) => f(c) === m);
    };
    const highest = (c: Candidate) => Math.max(...c.victims.map(priorityOf));
    keepMin((c) => c.numPDBViolations);
    if (left.length > 1) keepMin(highest);
    // Sum of priorities, offset so negative priorities still add up sensibly.
    if (left.length > 1) keepMin((c) => c.victims.reduce((a, v) => a + priorityOf(v) + 2 ** 31, 0));
    if (left.length > 1) keepMin((c) => c.victims.length);
    if (left.length > 1) {
      // The node whose highest-priority victims started latest loses the least work.
      const earliestStartOfHighest = (c: Candidate) => {
        const h = highest(c);
        return Math.min(...c.victims.filter((v) => priorityOf(v) === h).map(startOf));
      };
      keepMin((c) => -earliestStartOfHighest(c));
    }
    return left[0]!;
  }

  private async prepareCandidate(c: Candidate, preemptor: Pod): Promise<void> {
    const uid = preemptor.metadata?.uid ?? '';
    this.inFlight.add(uid);
    this.nominations.set(uid, c.nodeName);
    if (this.nominations.size > 10_000) this.nominations.delete(this.nominations.keys().next().value!);
    for (const v of c.victims) this.evicting.set(`${v.metadata?.namespace ?? ''}/${v.metadata?.name ?? ''}`, c.nodeName);
    try {
      await Promise.all(c.victims.map((v) => this.handle.evictVictim(v, preemptor, c.nodeName)));
    } finally {
      this.inFlight.delete(uid);
    }
    // Lower-priority pods nominated to the same node would not fit any more.
    const lowerNominated = this.handle.nominatedPodsForNode(c.nodeName).filter((p) => priorityOf(p.pod) < priorityOf(preemptor));
    await Promise.all(lowerNominated.map((p) => this.handle.clearNomination(p.pod)));
  }
}

/** "preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling." minus the final period. */
export function preemptionMessage(numAllNodes: number, reasons: Map<string, number>): string {
  const parts = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
  return `preemption: 0/${numAllNodes} nodes are available: ${parts.join(', ')}`;
}

function num(v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`DefaultPreemption args: expected an integer, got ${JSON.stringify(v)}`);
  return v;
}
