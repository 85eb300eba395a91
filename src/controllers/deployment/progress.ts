// Rollout progress (upstream deployment/progress.go): the Progressing condition — progressing,
// complete, or timed out after progressDeadlineSeconds without progress — ReplicaSet failures
// surfaced on the deployment, and a requeue at the deadline so a stuck rollout is noticed.
import type { ReplicaSet, DeploymentCondition } from 'kubernetes-types/apps/v1';
import { parseTime } from '../../client/index.js';
import {
  fromReplicaSetCondition,
  getCondition,
  newCondition,
  NEW_RS_AVAILABLE,
  removeCondition,
  REPLICA_SET_UPDATED,
  setCondition,
  TIMED_OUT,
  type Status,
} from './conditions.js';
import { calculateStatus, statusEqual, updateDeploymentStatus, type SyncContext } from './sync.js';
import { deploymentComplete, deploymentProgressing, deploymentTimedOut, hasProgressDeadline, type MutableDeployment } from './util.js';
import type { Deployment } from 'kubernetes-types/apps/v1';

/** Status during a rollout, with the Progressing condition estimated. */
export async function syncRolloutStatus(
  sc: SyncContext,
  allRSs: Array<ReplicaSet | undefined>,
  newRS: ReplicaSet | undefined,
  d: MutableDeployment,
): Promise<void> {
  const now = sc.now();
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  // A finished rollout being resynced: nothing to estimate.
  const complete = status.replicas === status.updatedReplicas && current?.reason === NEW_RS_AVAILABLE;
  if (hasProgressDeadline(d) && !complete) {
    const name = d.metadata.name;
    if (deploymentComplete(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setCondition(status, newCondition('Progressing', 'True', NEW_RS_AVAILABLE, msg, now));
    } else if (deploymentProgressing(d, status)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" is progressing.` : `Deployment "${name}" is progressing.`;
      let cond = newCondition('Progressing', 'True', REPLICA_SET_UPDATED, msg, now);
      // Progress moves lastUpdateTime even when the reason stays the same.
      if (current) {
        if (current.status === 'True') cond = { ...cond, lastTransitionTime: current.lastTransitionTime };
        removeCondition(status, 'Progressing');
      }
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata!.name}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setCondition(status, newCondition('Progressing', 'False', TIMED_OUT, msg, now));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures.length) setCondition(status, failures[0]!);
  else removeCondition(status, 'ReplicaFailure');

  if (statusEqual(d.status, status)) {
    requeueStuckDeployment(sc, d, status, now);
    return;
  }
  d.status = status;
  await updateDeploymentStatus(sc, d);
}

/** ReplicaFailure conditions of the new ReplicaSet, else of any. */
function replicaFailures(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const of = (rs: ReplicaSet | undefined) => (rs?.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(fromReplicaSetCondition);
  const fromNew = of(newRS);
  return fromNew.length ? fromNew : allRSs.flatMap(of);
}

/**
 * A rollout showing no progress is looked at again when its deadline passes (lastUpdateTime +
 * progressDeadlineSeconds), so the timeout is noticed without waiting for an event. Returns
 * the delay in ms, 0 for at once, -1 for not at all.
 */
export function requeueStuckDeployment(sc: SyncContext, d: Deployment, status: Status, now: Date): number {
  const cond = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !cond) return -1;
  if (deploymentComplete(d, status) || cond.reason === TIMED_OUT) return -1;
  const updated = parseTime(cond.lastUpdateTime)?.getTime() ?? now.getTime();
  const after = updated + d.spec!.progressDeadlineSeconds! * 1000 - now.getTime();
  if (after < 1000) {
    sc.enqueueRateLimited(d);
    return 0;
  }
  sc.enqueueAfter(d, after + 1000);
  return after;
}
