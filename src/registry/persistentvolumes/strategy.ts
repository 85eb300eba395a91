// What the system sets on a new volume, as upstream's StorageObjectInUseProtection admission: the
// pv-protection finalizer, removed by the PV protection controller once no claim is bound to it.
import type { Strategy } from '../strategy.js';
import { addFinalizer } from '../persistentvolumeclaims/strategy.js';

export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export const persistentVolumeStrategy: Strategy = {
  prepareForCreate: (obj) => addFinalizer(obj, PV_PROTECTION_FINALIZER),
};
