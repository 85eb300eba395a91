// What the system sets on a new claim, as upstream's admission plugins DefaultStorageClass and
// StorageObjectInUseProtection (Berth has no plugin chain on this branch: they run as the kind's
// prepareForCreate, after defaulting and namespace admission, as upstream's mutating phase).
import type { KObject } from '../../api/object.js';
import type { AdmissionLookups } from '../../apiserver/admission.js';
import type { Strategy } from '../strategy.js';
import { isDefaultClass } from '../storageclasses/printer.js';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
/** The class a claim asked for before spec.storageClassName existed; upstream still honours it. */
export const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

type Any = Record<string, any>;

/**
 * The default StorageClass, as upstream's GetDefaultClass: of the classes marked default, the
 * newest (then the first by name), so adding a new default takes over without an error window.
 */
export function defaultClassOf(classes: KObject[]): KObject | undefined {
  const defaults = classes.filter((c) => isDefaultClass(c));
  defaults.sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  });
  return defaults[0];
}

/**
 * DefaultStorageClass: a claim that names no class (storageClassName absent, not "", and no beta
 * annotation) gets the default class's name; without a default class it stays classless.
 */
export function assignDefaultClass(pvc: Any, lookups: AdmissionLookups): void {
  const spec = (pvc.spec ??= {});
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  if (pvc.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] !== undefined) return;
  const def = defaultClassOf(lookups.listStorageClasses?.() ?? []);
  if (def) spec.storageClassName = def.metadata.name;
}

/** StorageObjectInUseProtection: the finalizer that keeps an object until nothing uses it. */
export function addFinalizer(obj: KObject, finalizer: string): void {
  const fins = (obj.metadata.finalizers ??= []);
  if (!fins.includes(finalizer)) fins.push(finalizer);
}

export const persistentVolumeClaimStrategy: Strategy = {
  prepareForCreate: (obj, lookups) => {
    assignDefaultClass(obj as Any, lookups);
    addFinalizer(obj, PVC_PROTECTION_FINALIZER);
  },
};
