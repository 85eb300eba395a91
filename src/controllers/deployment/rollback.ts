// Rollback by annotation (upstream deployment/rollback.go). apps/v1 dropped spec.rollbackTo:
// `kubectl rollout undo` patches the old template back in itself, and the sync then finds the
// old ReplicaSet as the new one and raises its revision. Clients of the older API asked the
// controller instead, through the deprecated.deployment.rollback.to annotation — honoured here.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { resources } from '../../client/index.js';
import { asDeployment, getAllReplicaSetsAndSyncRevision, type SyncContext } from './sync.js';
import {
  equalIgnoreHash,
  lastRevision,
  revisionOf,
  ROLLBACK_TO_ANNOTATION,
  setDeploymentAnnotationsTo,
  setFromReplicaSetTemplate,
  type MutableDeployment,
} from './util.js';
import type { Deployment } from 'kubernetes-types/apps/v1';

export const ROLLBACK_REVISION_NOT_FOUND = 'DeploymentRollbackRevisionNotFound';
export const ROLLBACK_TEMPLATE_UNCHANGED = 'DeploymentRollbackTemplateUnchanged';
export const ROLLBACK_DONE = 'DeploymentRollback';

/** The revision asked for (0: the previous one), or undefined when no rollback is pending. */
export function getRollbackTo(d: Deployment): number | undefined {
  const v = d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION];
  if (!v || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export async function rollback(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, true);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  let revision = getRollbackTo(d)!;
  if (revision === 0) {
    revision = lastRevision(all);
    if (revision === 0) {
      sc.recorder.event(asDeployment(d), 'Warning', ROLLBACK_REVISION_NOT_FOUND, 'Unable to find last revision.');
      return clearRollbackTo(sc, d);
    }
  }
  const target = all.find((rs) => revisionOf(rs) === revision);
  if (!target) {
    sc.recorder.event(asDeployment(d), 'Warning', ROLLBACK_REVISION_NOT_FOUND, 'Unable to find the revision to rollback to.');
    return clearRollbackTo(sc, d);
  }
  if (equalIgnoreHash(d.spec?.template, target.spec?.template)) {
    sc.recorder.event(
      asDeployment(d),
      'Warning',
      ROLLBACK_TEMPLATE_UNCHANGED,
      `The rollback revision contains the same template as current deployment "${d.metadata.name}"`,
    );
    return clearRollbackTo(sc, d);
  }
  // The template comes back, and so do the annotations (change-cause...) it had then; the
  // revision is raised on the next sync, when the old ReplicaSet is found to be the new one.
  setFromReplicaSetTemplate(d, target.spec?.template);
  setDeploymentAnnotationsTo(d, target);
  await clearRollbackTo(sc, d);
  sc.recorder.event(asDeployment(d), 'Normal', ROLLBACK_DONE, `Rolled back deployment "${d.metadata.name}" to revision ${revision}`);
}

async function clearRollbackTo(sc: SyncContext, d: MutableDeployment): Promise<void> {
  if (d.metadata.annotations) delete d.metadata.annotations[ROLLBACK_TO_ANNOTATION];
  const updated = await sc.client.update<Deployment>(resources.deployments, d);
  d.metadata.resourceVersion = updated.metadata?.resourceVersion;
}
