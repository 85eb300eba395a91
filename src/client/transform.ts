// What shared informers drop from objects before caching them (issue #17). As
// kube-controller-manager's and kube-scheduler's informer factories (WithTransform), every
// object loses metadata.managedFields: no controller or scheduler reads them, and a write made
// from a cached copy without them keeps the stored ones (the API server takes the live entries
// when a request carries none). Pods also lose kubectl's last-applied-configuration annotation:
// nothing in the control plane reads a pod's, and nothing here writes a whole pod back (pods
// change through patches, status and bindings), so it cannot be lost on a write. Other kinds
// keep it: the Deployment controller writes whole Deployments back on a rollback, and a
// ClusterRole's rules are written back by aggregation, where dropping it would erase it.
// Then a pod's string values are interned (intern.ts), so equal values across cached pods share
// one string.
import { sharedInterner } from './intern.js';
import type { GroupVersionResource } from './paths.js';
import type { TransformFunc } from './informer.js';
import type { KubeObject } from './types.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Drops metadata.managedFields (in place: the object is fresh from the wire, the cache's own). */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete (obj.metadata as { managedFields?: unknown }).managedFields;
  return obj;
}

/** Drops managedFields and kubectl's last-applied-configuration annotation. */
export function stripManagedFieldsAndLastApplied<T extends KubeObject>(obj: T): T {
  stripManagedFields(obj);
  const annotations = obj.metadata?.annotations as Record<string, string> | undefined;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete (obj.metadata as { annotations?: unknown }).annotations;
  }
  return obj;
}

/**
 * A pod's volumes that name a claim (persistentVolumeClaim or ephemeral): the only ones the
 * controllers (PVC protection) and the scheduler (VolumeBinding, VolumeRestrictions,
 * NodeVolumeLimits) read. The others (the projected service-account token every pod carries,
 * configMaps, emptyDirs) are skipped by all of them; undefined when none is left.
 */
export function volumesNamingClaims<V extends { persistentVolumeClaim?: unknown; ephemeral?: unknown }>(volumes: V[] | undefined): V[] | undefined {
  if (!volumes) return undefined;
  const claims = volumes.filter((v) => v.persistentVolumeClaim !== undefined || v.ephemeral !== undefined);
  if (claims.length === volumes.length) return volumes;
  // slice: filter's result keeps room to grow, which a cached pod would carry.
  return claims.length ? claims.slice() : undefined;
}

/** Interns every string value of obj in the process's interner (in place). */
export function internStrings<T extends KubeObject>(obj: T): T {
  return sharedInterner.internObject(obj);
}

// Only pods are interned: they are the many, and each changes in few ways. Leases and node
// heartbeats bring a new timestamp on every renewal, which would only fill the table.
const podTransform: TransformFunc<KubeObject> = (obj) => internStrings(stripManagedFieldsAndLastApplied(obj));

/** The transform a shared informer of this resource applies by default. */
export function defaultTransformFor(gvr: GroupVersionResource): TransformFunc<KubeObject> {
  const corePods = !gvr.group && gvr.resource === 'pods';
  return corePods ? podTransform : stripManagedFields;
}
