// Which volume a claim binds to, as upstream's persistentvolume FindMatchingVolume: of the
// volumes of the claim's class, volume mode and a superset of its access modes, matching its
// selector and not bound elsewhere, the smallest that holds its request; a volume pre-bound to
// the claim (claimRef naming it) wins over any other.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import { selectorFromLabelSelector } from '../../api/labels.js';
import { quantityOf, type Quantity } from '../../api/quantity.js';
import { BETA_STORAGE_CLASS_ANNOTATION } from '../../registry/persistentvolumeclaims/strategy.js';

/** A claim's class: the beta annotation, else spec.storageClassName, else "" (upstream GetPersistentVolumeClaimClass). */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] ?? pvc.spec?.storageClassName ?? '';
}

/** A volume's class, the same way (upstream GetPersistentVolumeClass). */
export function volumeClass(pv: PersistentVolume): string {
  return pv.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] ?? pv.spec?.storageClassName ?? '';
}

/** Whether a volume's claimRef names this claim (by namespace and name, and uid once bound). */
export function claimRefMatches(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.namespace !== pvc.metadata?.namespace || ref.name !== pvc.metadata?.name) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

function storageOf(o: { storage?: string } | undefined): Quantity | undefined {
  return quantityOf(o?.storage);
}

/** Every access mode the claim asks for is one the volume has. */
export function hasAccessModes(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const have = new Set(pv.spec?.accessModes ?? []);
  return (pvc.spec?.accessModes ?? []).every((m) => have.has(m));
}

/**
 * Why a volume cannot serve a claim, or undefined when it can (class, mode, access modes,
 * selector, size). A volume an administrator pre-bound to the claim is not held to its class or
 * selector (upstream checks only size and modes there).
 */
export function mismatch(pv: PersistentVolume, pvc: PersistentVolumeClaim, preBound = false): string | undefined {
  if (!preBound && volumeClass(pv) !== claimClass(pvc)) return 'storage class';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return 'volume mode';
  if (!hasAccessModes(pv, pvc)) return 'access modes';
  if (!preBound && pvc.spec?.selector && !selectorFromLabelSelector(pvc.spec.selector).matches(pv.metadata?.labels ?? {})) return 'selector';
  const want = storageOf(pvc.spec?.resources?.requests as { storage?: string });
  const have = storageOf(pv.spec?.capacity as { storage?: string });
  if (!want || !have || have.cmp(want) < 0) return 'capacity';
  return undefined;
}

/**
 * The volume a claim should bind to, or undefined. delayBinding (the class binds on first
 * consumer) leaves volumes not pre-bound to the claim to the scheduler, which knows the node.
 */
export function findBestMatch(pvc: PersistentVolumeClaim, volumes: PersistentVolume[], delayBinding = false): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  let bestSize: Quantity | undefined;
  for (const pv of volumes) {
    if (pv.metadata?.deletionTimestamp) continue;
    const ref = pv.spec?.claimRef;
    if (ref) {
      if (!claimRefMatches(pv, pvc)) continue;
      // Pre-bound to this claim: taken whenever it fits, before any better-sized volume.
      if (mismatch(pv, pvc, true) === undefined) return pv;
      continue;
    }
    if (delayBinding) continue;
    if (pv.status?.phase !== 'Available') continue;
    if (mismatch(pv, pvc) !== undefined) continue;
    const size = storageOf(pv.spec?.capacity as { storage?: string })!;
    if (!bestSize || size.cmp(bestSize) < 0 || (size.cmp(bestSize) === 0 && (pv.metadata?.name ?? '') < (best?.metadata?.name ?? ''))) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}
