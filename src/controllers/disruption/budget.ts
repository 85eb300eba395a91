// What a PodDisruptionBudget's status says, as upstream's pkg/controller/disruption computes it:
// which pods it covers, how many must stay healthy (desiredHealthy) out of how many are expected
// (expectedPods), how many are healthy now, and so how many may be disrupted. Pure functions: the
// controller feeds them the pods and the pods' controllers' scale.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Condition } from 'kubernetes-types/meta/v1';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1';
import { isPodReady } from '../active-pods.js';
import { scaledValue } from '../deployment/util.js';

/** How long an evicted pod counts as disrupted before the controller stops waiting for its deletion (upstream DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;
export const DISRUPTION_ALLOWED = 'DisruptionAllowed';

/** The scale of the controller owning a pod; undefined for a pod without a controller. */
export interface OwnerScale {
  uid: string;
  scale: number;
}

export interface ExpectedCount {
  expectedCount: number;
  desiredHealthy: number;
  /** Pods without a controller, where the count needed one (percentages, maxUnavailable). */
  unmanagedPods: string[];
}

/**
 * expectedPods and desiredHealthy (upstream getExpectedPodCount). A whole minAvailable needs no
 * controllers; percentages and maxUnavailable count the pods' controllers' replicas. ownerScale
 * throws when a pod names a controller that cannot be found.
 */
export function expectedPodCount(pdb: PodDisruptionBudget, pods: Pod[], ownerScale: (pod: Pod) => OwnerScale | undefined): ExpectedCount {
  const spec = pdb.spec ?? {};
  const fromControllers = (): { count: number; unmanaged: string[] } => {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const owner = ownerScale(pod);
      if (!owner) unmanaged.push(pod.metadata!.name!);
      else scales.set(owner.uid, owner.scale);
    }
    let count = 0;
    for (const n of scales.values()) count += n;
    return { count, unmanaged };
  };
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { count, unmanaged } = fromControllers();
    const maxUnavailable = scaledValue(spec.maxUnavailable, count, true);
    return { expectedCount: count, desiredHealthy: Math.max(0, count - maxUnavailable), unmanagedPods: unmanaged };
  }
  if (typeof spec.minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
  if (typeof spec.minAvailable === 'string') {
    const { count, unmanaged } = fromControllers();
    return { expectedCount: count, desiredHealthy: scaledValue(spec.minAvailable, count, true), unmanagedPods: unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/**
 * The evicted pods still expected to go (upstream buildDisruptedPodMap): entries of pods being
 * deleted or gone drop out, and so do those whose deletion is overdue. Also when to look again.
 */
export function disruptedPodMap(
  pdb: PodDisruptionBudget,
  pods: Pod[],
  now: number,
): { disrupted: Record<string, string>; recheckAt?: number; overdue: string[] } {
  const disrupted: Record<string, string> = {};
  const overdue: string[] = [];
  let recheckAt: number | undefined;
  const recorded = pdb.status?.disruptedPods ?? {};
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp || !(name in recorded)) continue;
    const expectedDeletion = Date.parse(recorded[name]!) + DELETION_TIMEOUT_MS;
    if (expectedDeletion < now) overdue.push(name);
    else {
      disrupted[name] = recorded[name]!;
      if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
    }
  }
  return { disrupted, recheckAt, overdue };
}

/** Ready pods not being deleted and not just evicted (upstream countHealthyPods). */
export function countHealthyPods(pods: Pod[], disrupted: Record<string, string>, now: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata!.name!];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** Sets a condition as apimachinery's meta.SetStatusCondition: the transition time moves only when the status does. */
export function setCondition(conditions: Condition[] | undefined, cond: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  const old = i >= 0 ? list[i] : undefined;
  const next: Condition = { ...cond, lastTransitionTime: old && old.status === cond.status ? old.lastTransitionTime : now };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** The DisruptionAllowed condition for the status's disruptionsAllowed (upstream UpdateDisruptionAllowedCondition). */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, now: string): PodDisruptionBudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  return {
    ...status,
    conditions: setCondition(
      status.conditions,
      {
        type: DISRUPTION_ALLOWED,
        status: allowed ? 'True' : 'False',
        reason: allowed ? 'SufficientPods' : 'InsufficientPods',
        message: '',
        observedGeneration: status.observedGeneration,
      },
      now,
    ),
  };
}

/** Whether the condition already says what the status does (upstream ConditionsAreUpToDate). */
export function conditionUpToDate(status: PodDisruptionBudgetStatus | undefined): boolean {
  const c = status?.conditions?.find((x) => x.type === DISRUPTION_ALLOWED);
  if (!c || c.observedGeneration !== status!.observedGeneration) return false;
  return (c.status === 'True') === status!.disruptionsAllowed > 0;
}

/** The status a budget should have: upstream's updatePdbStatus without the write. */
export function budgetStatus(
  pdb: PodDisruptionBudget,
  counts: { currentHealthy: number; desiredHealthy: number; expectedCount: number; disrupted: Record<string, string> },
  now: string,
): PodDisruptionBudgetStatus {
  let allowed = counts.currentHealthy - counts.desiredHealthy;
  if (counts.expectedCount <= 0 || allowed <= 0) allowed = 0;
  const status: PodDisruptionBudgetStatus = {
    currentHealthy: counts.currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedCount,
    disruptionsAllowed: allowed,
    observedGeneration: pdb.metadata?.generation,
    conditions: pdb.status?.conditions,
    ...(Object.keys(counts.disrupted).length ? { disruptedPods: counts.disrupted } : {}),
  };
  return withDisruptionAllowedCondition(status, now);
}
