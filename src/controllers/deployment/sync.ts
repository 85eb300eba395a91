// The parts of a deployment sync every path shares (upstream deployment/sync.go): finding the
// new and old ReplicaSets and keeping revisions, creating the new ReplicaSet, proportional
// scaling, history cleanup, and the status the ReplicaSets add up to.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import { isAlreadyExists, isNotFound, resources, type EventRecorder, type Informer, type RestClient } from '../../client/index.js';
import { controllerOf, controllerRef, hasStatusCause, NAMESPACE_TERMINATING_CAUSE } from '../pod-control.js';
import {
  FAILED_RS_CREATE,
  FOUND_NEW_RS,
  getCondition,
  MINIMUM_REPLICAS_AVAILABLE,
  MINIMUM_REPLICAS_UNAVAILABLE,
  newCondition,
  NEW_REPLICA_SET,
  PAUSED,
  RESUMED,
  setCondition,
  TIMED_OUT,
  type Status,
} from './conditions.js';
import { computeHash } from './hash.js';
import {
  actualReplicaCount,
  availableReplicaCount,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  filterActiveReplicaSets,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getProportion,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  readyReplicaCount,
  replicaCount,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  REVISION_ANNOTATION,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  withHashLabel,
  type MutableDeployment,
  type MutableReplicaSet,
} from './util.js';
import { deepEqual } from '../../api/object.js';

export const COMPONENT = 'deployment-controller';
export const SCALING_REPLICA_SET = 'ScalingReplicaSet';

/** What the sync functions need from the controller. */
export interface SyncContext {
  client: RestClient;
  recorder: EventRecorder;
  rsInformer: Informer<ReplicaSet>;
  now(): Date;
  enqueueAfter(d: Deployment, ms: number): void;
  enqueueRateLimited(d: Deployment): void;
  log(msg: string): void;
}

/** Events and owner references need the kind, which lists may leave out. */
export function asDeployment(d: MutableDeployment): MutableDeployment {
  return { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
}

/**
 * Writes d.status (and the revision annotation with it) and keeps d current, so that later
 * writes in the same sync don't conflict with this one. Upstream's status subresource lets the
 * annotation through; should this API server not, the annotation is patched on its own.
 */
export async function updateDeploymentStatus(sc: SyncContext, d: MutableDeployment): Promise<void> {
  const revision = d.metadata.annotations?.[REVISION_ANNOTATION];
  const updated = await sc.client.updateStatus<Deployment>(resources.deployments, d);
  d.metadata.resourceVersion = updated.metadata?.resourceVersion;
  if (revision !== undefined && updated.metadata?.annotations?.[REVISION_ANNOTATION] !== revision) {
    const ref = { ...resources.deployments, namespace: d.metadata.namespace, name: d.metadata.name! };
    const patched = await sc.client.patch<Deployment>(
      ref,
      { metadata: { annotations: { [REVISION_ANNOTATION]: revision }, resourceVersion: d.metadata.resourceVersion } },
      'merge',
    );
    d.metadata.resourceVersion = patched.metadata?.resourceVersion;
  }
}

/** A deployment being deleted: status only. */
export async function syncStatusOnly(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, false);
  await syncDeploymentStatus(sc, [...oldRSs, newRS], newRS, d);
}

/** Scaling events and paused deployments: scale proportionally, no rollout. */
export async function sync(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[], rollbackPending: boolean): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, false);
  await scale(sc, d, newRS, oldRSs);
  // A paused deployment with no rollback in flight cleans up its history here.
  if (d.spec?.paused && !rollbackPending) await cleanupDeployment(sc, oldRSs, d);
  await syncDeploymentStatus(sc, [...oldRSs, newRS], newRS, d);
}

/** Progressing is Unknown while paused, so the time spent paused never counts against the deadline. */
export async function checkPausedConditions(sc: SyncContext, d: MutableDeployment): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === TIMED_OUT) return;
  const pausedCond = cond?.reason === PAUSED;
  const status: Status = (d.status ??= {});
  if (d.spec?.paused && !pausedCond) {
    setCondition(status, newCondition('Progressing', 'Unknown', PAUSED, 'Deployment is paused', sc.now()));
  } else if (!d.spec?.paused && pausedCond) {
    setCondition(status, newCondition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed', sc.now()));
  } else {
    return;
  }
  await updateDeploymentStatus(sc, d);
}

export interface AllReplicaSets {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/**
 * The new ReplicaSet (created when asked and missing) and all old ones, with the new one's
 * revision raised above the old ones' and copied to the deployment.
 */
export async function getAllReplicaSetsAndSyncRevision(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[], create: boolean): Promise<AllReplicaSets> {
  const [, oldRSs] = findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(sc, d, rsList, oldRSs, create);
  if (newRS) {
    // Later steps of this sync see what we just wrote.
    const i = rsList.findIndex((rs) => rs.metadata?.uid === newRS.metadata?.uid);
    if (i >= 0) rsList[i] = newRS;
  }
  return { newRS, oldRSs };
}

async function getNewReplicaSet(
  sc: SyncContext,
  d: MutableDeployment,
  rsList: ReplicaSet[],
  oldRSs: ReplicaSet[],
  create: boolean,
): Promise<ReplicaSet | undefined> {
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = maxRevision(oldRSs) + 1;
  if (existing) {
    const copy = structuredClone(existing) as MutableReplicaSet;
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReady = d.spec?.minReadySeconds ?? 0;
    if (annotationsChanged || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
      copy.spec = { ...copy.spec!, minReadySeconds: minReady };
      return sc.client.update<ReplicaSet>(resources.replicasets, copy);
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION]);
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      setCondition((d.status ??= {}), newCondition('Progressing', 'True', FOUND_NEW_RS, `Found new replica set "${copy.metadata.name}"`, sc.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(sc, d);
    return copy;
  }
  if (!create) return undefined;

  const template = structuredClone(d.spec!.template!);
  const hash = computeHash(template, d.status?.collisionCount);
  template.metadata = { ...template.metadata, labels: withHashLabel(template.metadata?.labels, hash) };
  const selector = structuredClone(d.spec!.selector!);
  selector.matchLabels = withHashLabel(selector.matchLabels, hash);
  const rs: MutableReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      // Deterministic, so that a create repeated after a lost answer is idempotent.
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs.spec!.replicas = replicas;
  setNewReplicaSetAnnotations(d, rs, newRevision, false);

  let created: ReplicaSet;
  let alreadyExisted = false;
  try {
    created = await sc.client.create<ReplicaSet>(resources.replicasets, rs);
  } catch (e) {
    if (isAlreadyExists(e)) {
      alreadyExisted = true;
      const found = sc.rsInformer.get(d.metadata.namespace, rs.metadata.name!);
      if (!found) throw e;
      // Ours, with our template: the cache was behind. Anything else is a hash collision.
      if (controllerOf(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
        created = found;
      } else {
        const status: Status = (d.status ??= {});
        const before = status.collisionCount ?? 0;
        status.collisionCount = before + 1;
        try {
          await updateDeploymentStatus(sc, d);
          sc.log(`deployment ${d.metadata.namespace}/${d.metadata.name}: hash collision, collisionCount ${before} -> ${before + 1}`);
        } catch {
          // Requeued by the error below either way.
        }
        throw e;
      }
    } else if (hasStatusCause(e, NAMESPACE_TERMINATING_CAUSE)) {
      throw e;
    } else {
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`;
      if (hasProgressDeadline(d)) {
        setCondition((d.status ??= {}), newCondition('Progressing', 'False', FAILED_RS_CREATE, msg, sc.now()));
        await updateDeploymentStatus(sc, d).catch(() => {});
      }
      sc.recorder.event(asDeployment(d), 'Warning', FAILED_RS_CREATE, msg);
      throw e;
    }
  }
  if (!alreadyExisted && replicas > 0) {
    sc.recorder.event(asDeployment(d), 'Normal', SCALING_REPLICA_SET, `Scaled up replica set ${created.metadata!.name} from 0 to ${replicas}`);
  }
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(d)) {
    setCondition((d.status ??= {}), newCondition('Progressing', 'True', NEW_REPLICA_SET, `Created new replica set "${created.metadata!.name}"`, sc.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(sc, d);
  rsList.push(created);
  return created;
}

/**
 * Scaling outside a rollout: the only active ReplicaSet takes the new size; otherwise, during a
 * rolling update, the difference is spread over the active ReplicaSets in proportion to their
 * sizes (larger first), so a scale never hastens or slows the rollout itself.
 */
export async function scale(sc: SyncContext, d: MutableDeployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const target = findActiveOrLatest(newRS, oldRSs);
  if (target) {
    if (replicasOf(target) === replicasOf(d)) return;
    await scaleReplicaSetAndRecordEvent(sc, target, replicasOf(d), d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActiveReplicaSets(oldRSs)) await scaleReplicaSetAndRecordEvent(sc, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActiveReplicaSets([...oldRSs, newRS]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  let direction: 'up' | 'down' | '' = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    direction = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    direction = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      sizes.set(rs.metadata!.name!, replicasOf(rs) + p);
      added += p;
    } else {
      sizes.set(rs.metadata!.name!, replicasOf(rs));
    }
  }
  for (const [i, rs] of all.entries()) {
    const name = rs.metadata!.name!;
    // Leftovers go to the largest.
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, sizes.get(name)! + toAdd - added));
    await scaleReplicaSet(sc, rs, sizes.get(name)!, d, direction);
  }
}

export async function scaleReplicaSetAndRecordEvent(
  sc: SyncContext,
  rs: ReplicaSet,
  size: number,
  d: MutableDeployment,
): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (replicasOf(rs) === size) return { scaled: false, rs };
  return scaleReplicaSet(sc, rs, size, d, replicasOf(rs) < size ? 'up' : 'down');
}

/** Sets the size and the replica annotations (desired, max) of a ReplicaSet. */
export async function scaleReplicaSet(
  sc: SyncContext,
  rs: ReplicaSet,
  size: number,
  d: MutableDeployment,
  direction: string,
): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const sizeChanged = replicasOf(rs) !== size;
  const max = replicasOf(d) + maxSurge(d);
  if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
  const from = replicasOf(rs);
  const copy = structuredClone(rs) as MutableReplicaSet;
  copy.spec = { ...copy.spec!, replicas: size };
  setReplicasAnnotations(copy, replicasOf(d), max);
  const updated = await sc.client.update<ReplicaSet>(resources.replicasets, copy);
  if (sizeChanged)
    sc.recorder.event(asDeployment(d), 'Normal', SCALING_REPLICA_SET, `Scaled ${direction} replica set ${updated.metadata!.name} from ${from} to ${size}`);
  return { scaled: sizeChanged, rs: updated };
}

/** Deletes the oldest old ReplicaSets beyond revisionHistoryLimit — only those scaled to zero and settled. */
export async function cleanupDeployment(sc: SyncContext, oldRSs: ReplicaSet[], d: MutableDeployment): Promise<void> {
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - d.spec!.revisionHistoryLimit!;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await sc.client.delete({ ...resources.replicasets, namespace: rs.metadata!.namespace, name: rs.metadata!.name! });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/** Writes the status the ReplicaSets add up to, if it changed. */
export async function syncDeploymentStatus(
  sc: SyncContext,
  allRSs: Array<ReplicaSet | undefined>,
  newRS: ReplicaSet | undefined,
  d: MutableDeployment,
): Promise<void> {
  const status = calculateStatus(allRSs, newRS, d, sc.now());
  if (statusEqual(d.status, status)) return;
  d.status = status;
  await updateDeploymentStatus(sc, d);
}

/** The deployment's status from its ReplicaSets' (upstream calculateStatus). */
export function calculateStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, d: Deployment, now: Date): Status {
  const available = availableReplicaCount(allRSs);
  const total = replicaCount(allRSs);
  const status: Status = {
    observedGeneration: d.metadata?.generation,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', MINIMUM_REPLICAS_AVAILABLE, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', MINIMUM_REPLICAS_UNAVAILABLE, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

const COUNTS = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;

/** Status equality, counting absent numbers as zero (as Go's struct comparison sees them). */
export function statusEqual(a: Deployment['status'], b: Deployment['status']): boolean {
  for (const k of COUNTS) if ((a?.[k] ?? 0) !== (b?.[k] ?? 0)) return false;
  return a?.collisionCount === b?.collisionCount && deepEqual(a?.conditions ?? [], b?.conditions ?? []);
}

/** The deployment's size differs from what its active ReplicaSets were last sized for. */
export async function isScalingEvent(sc: SyncContext, d: MutableDeployment, rsList: ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(sc, d, rsList, false);
  for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired === undefined) continue;
    if (desired !== replicasOf(d)) return true;
  }
  return false;
}
