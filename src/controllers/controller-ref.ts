// Claiming objects by controller reference, as upstream's ControllerRefManager: a controller owns
// what names it as controller; orphans its selector matches are adopted (an ownerReference is
// patched in); objects it owns that no longer match are released (the reference is patched out).
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { isInvalid, isNotFound, type GroupVersionResource, type KubeObject, type RestClient } from '../client/index.js';
import type { Selector } from '../api/labels.js';
import { controllerOf } from './pod-control.js';

/**
 * An index of objects by namespace and controller uid ("ns/uid"); objects without a controller
 * sit under "ns/" — so a controller finds what it owns and the orphans it might adopt without
 * scanning its namespace.
 */
export const CONTROLLER_INDEX = 'workloads:controller';

export function controllerIndexKey(namespace: string, controllerUid: string): string {
  return `${namespace}/${controllerUid}`;
}

export function byController(obj: KubeObject): string[] {
  return [controllerIndexKey(obj.metadata?.namespace ?? '', controllerOf(obj)?.uid ?? '')];
}

export interface ClaimOptions {
  client: RestClient;
  /** The claimed objects' resource (pods, replicasets), for the patches. */
  gvr: GroupVersionResource;
  /** The controller object (its uid, namespace and deletionTimestamp matter). */
  controller: KubeObject;
  /** The reference adoption writes. */
  ref: OwnerReference;
  selector: Selector;
  /**
   * Re-reads the controller from the API server, throwing if it is gone or being deleted: the
   * cache may be stale, and adopting for a dying controller would hand the object to the GC.
   * Called once, before the first adoption.
   */
  recheck: () => Promise<void>;
}

/**
 * The objects the controller owns after claiming: the ones it already owned that still match,
 * plus the orphans it adopted. Throws (after trying them all) if any adoption or release failed.
 */
export async function claimObjects<T extends KubeObject>(objects: T[], opts: ClaimOptions): Promise<T[]> {
  const claimed: T[] = [];
  const errors: unknown[] = [];
  const uid = opts.controller.metadata?.uid;
  const controllerDeleting = !!opts.controller.metadata?.deletionTimestamp;
  let rechecked: Promise<void> | undefined;
  for (const obj of objects) {
    const ref = controllerOf(obj);
    const matches = opts.selector.matches(obj.metadata?.labels);
    try {
      if (ref) {
        if (ref.uid !== uid) continue; // someone else's
        if (matches) {
          claimed.push(obj);
          continue;
        }
        if (controllerDeleting) continue;
        await release(obj, opts);
        continue;
      }
      // An orphan.
      if (controllerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
      if (opts.controller.metadata?.namespace && opts.controller.metadata.namespace !== obj.metadata?.namespace) continue;
      rechecked ??= opts.recheck();
      await rechecked;
      await adopt(obj, opts);
      claimed.push(obj);
    } catch (e) {
      if (isNotFound(e)) continue;
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length) throw new AggregateError(errors, errors.map((e) => (e as Error).message).join('; '));
  return claimed;
}

async function adopt(obj: KubeObject, opts: ClaimOptions): Promise<void> {
  const m = obj.metadata!;
  // The uid makes the patch fail if the object was replaced by another of the same name.
  const patch = { metadata: { ownerReferences: [opts.ref], uid: m.uid } };
  await opts.client.patch({ ...opts.gvr, namespace: m.namespace, name: m.name! }, patch, 'strategic');
}

async function release(obj: KubeObject, opts: ClaimOptions): Promise<void> {
  const m = obj.metadata!;
  const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: opts.controller.metadata!.uid }], uid: m.uid } };
  try {
    await opts.client.patch({ ...opts.gvr, namespace: m.namespace, name: m.name! }, patch, 'strategic');
  } catch (e) {
    // Gone, or replaced by a new object of the same name: nothing of ours to release.
    if (isNotFound(e) || isInvalid(e)) return;
    throw e;
  }
}

/** A recheck that reads the controller fresh and refuses if it was replaced or is being deleted. */
export function recheckDeletion(read: () => Promise<KubeObject>, original: KubeObject): () => Promise<void> {
  return async () => {
    const fresh = await read();
    const m = original.metadata!;
    if (fresh.metadata?.uid !== m.uid) throw new Error(`original ${m.namespace}/${m.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${m.uid}`);
    if (fresh.metadata?.deletionTimestamp) throw new Error(`${m.namespace}/${m.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  };
}
