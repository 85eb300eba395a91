// The RollingUpdate strategy (upstream deployment/rolling.go): grow the new ReplicaSet while
// the total stays within replicas + maxSurge, shrink old ones while availability stays at
// least replicas - maxUnavailable — unhealthy old pods first, as they cost no availability.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type SyncContext } from './sync.js';
import {
  availableReplicaCount,
  byCreation,
  deploymentComplete,
  filterActiveReplicaSets,
  maxUnavailable,
  newRSNewReplicas,
  replicaCount,
  replicasOf,
  type MutableDeployment,
} from './util.js';

export async function rolloutRolling(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, true);
  const allRSs = [...oldRSs, newRS];
  if (await reconcileNewReplicaSet(sc, allRSs, newRS!, d)) return syncRolloutStatus(sc, allRSs, newRS, d);
  if (await reconcileOldReplicaSets(sc, allRSs, filterActiveReplicaSets(oldRSs), newRS!, d)) return syncRolloutStatus(sc, allRSs, newRS, d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(sc, oldRSs, d);
  return syncRolloutStatus(sc, allRSs, newRS, d);
}

/** Scales the new ReplicaSet up as far as maxSurge allows (or down to the deployment's size). */
export async function reconcileNewReplicaSet(
  sc: SyncContext,
  allRSs: Array<ReplicaSet | undefined>,
  newRS: ReplicaSet,
  d: MutableDeployment,
): Promise<boolean> {
  if (replicasOf(newRS) === replicasOf(d)) return false;
  if (replicasOf(newRS) > replicasOf(d)) return (await scaleReplicaSetAndRecordEvent(sc, newRS, replicasOf(d), d)).scaled;
  return (await scaleReplicaSetAndRecordEvent(sc, newRS, newRSNewReplicas(d, allRSs, newRS), d)).scaled;
}

/**
 * Scales old ReplicaSets down as far as availability allows: at most
 * all - (replicas - maxUnavailable) - (new pods not yet available).
 */
export async function reconcileOldReplicaSets(
  sc: SyncContext,
  allRSs: Array<ReplicaSet | undefined>,
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
  d: MutableDeployment,
): Promise<boolean> {
  if (replicaCount(oldRSs) === 0) return false;
  const all = replicaCount(allRSs);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = all - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Unhealthy old replicas go first: removing them costs no availability, and left alone they
  // could block the rollout until it times out.
  const { oldRSs: cleaned, count: cleanedUp } = await cleanupUnhealthyReplicas(sc, oldRSs, d, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(sc, [...cleaned, newRS], cleaned, d);
  return cleanedUp + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(
  sc: SyncContext,
  oldRSs: ReplicaSet[],
  d: MutableDeployment,
  maxCleanup: number,
): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
  const sorted = [...oldRSs].sort(byCreation);
  let total = 0;
  for (const [i, rs] of sorted.entries()) {
    if (total >= maxCleanup) break;
    const replicas = replicasOf(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const n = Math.min(maxCleanup - total, replicas - available);
    const size = replicas - n;
    if (size > replicas)
      throw new Error(
        `when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata!.namespace}/${rs.metadata!.name} ${replicas} -> ${size}`,
      );
    const { rs: updated } = await scaleReplicaSetAndRecordEvent(sc, rs, size, d);
    total += n;
    sorted[i] = updated;
  }
  return { oldRSs: sorted, count: total };
}

/** Scales old ReplicaSets down, oldest first, while availability stays above the minimum. */
async function scaleDownOldReplicaSetsForRollingUpdate(
  sc: SyncContext,
  allRSs: Array<ReplicaSet | undefined>,
  oldRSs: ReplicaSet[],
  d: MutableDeployment,
): Promise<number> {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const replicas = replicasOf(rs);
    if (replicas === 0) continue;
    const n = Math.min(replicas, budget - total);
    const size = replicas - n;
    if (size > replicas)
      throw new Error(
        `when scaling down old replica set, got invalid request to scale down ${rs.metadata!.namespace}/${rs.metadata!.name} ${replicas} -> ${size}`,
      );
    await scaleReplicaSetAndRecordEvent(sc, rs, size, d);
    total += n;
  }
  return total;
}
