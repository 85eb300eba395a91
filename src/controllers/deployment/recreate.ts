// The Recreate strategy (upstream deployment/recreate.go): every old pod goes — and is gone,
// not just terminating — before the new ReplicaSet is created and scaled up.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type SyncContext } from './sync.js';
import { actualReplicaCount, deploymentComplete, filterActiveReplicaSets, replicasOf, type MutableDeployment } from './util.js';

/** Pods grouped by the uid of the ReplicaSet controlling them. */
export type PodMap = Map<string, Pod[]>;

export async function rolloutRecreate(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[], podMap: PodMap): Promise<void> {
  // The new ReplicaSet is not created yet: nothing may scale up before the old ones are down.
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, false);
  let allRSs = [...oldRSs, newRS];
  if (await scaleDownOldReplicaSetsForRecreate(sc, filterActiveReplicaSets(oldRSs), d)) return syncRolloutStatus(sc, allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(sc, allRSs, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, true));
    allRSs = [...oldRSs, newRS];
  }
  await scaleReplicaSetAndRecordEvent(sc, newRS!, replicasOf(d), d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(sc, oldRSs, d);
  return syncRolloutStatus(sc, allRSs, newRS, d);
}

async function scaleDownOldReplicaSetsForRecreate(sc: SyncContext, oldRSs: ReplicaSet[], d: MutableDeployment): Promise<boolean> {
  let scaled = false;
  for (const rs of oldRSs) {
    if (replicasOf(rs) === 0) continue;
    if ((await scaleReplicaSetAndRecordEvent(sc, rs, 0, d)).scaled) scaled = true;
  }
  return scaled;
}

/** Whether an old ReplicaSet still reports pods, or any pod of one has not finished. */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podMap: PodMap): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    // Pending, Running and Unknown pods may all still run; finished ones don't.
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}
