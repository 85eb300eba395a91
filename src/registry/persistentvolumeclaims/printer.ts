// The persistentvolumeclaims table, as upstream's printPersistentVolumeClaim: capacity and modes
// come from the status once bound.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { accessModesString } from '../persistentvolumes/shared.js';

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 0, 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 0, 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 0, 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 0, 'accessModes contains the desired access modes the volume should have.'),
    col('StorageClass', 'string', 0, 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 0, 'VolumeAttributesClass of the pvc'),
    AGE,
    col('VolumeMode', 'string', 1, 'volumeMode defines what type of volume is required by the claim.'),
  ],
  cells: (o, now) => {
    const pvc = o as Any;
    const bound = !!pvc.spec?.volumeName && pvc.status?.phase === 'Bound';
    return [
      name(o),
      // A deleting object held by its protection finalizer shows Terminating, as upstream prints it.
      pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? ''),
      pvc.spec?.volumeName ?? '',
      bound ? (pvc.status?.capacity?.storage ?? '') : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      pvc.spec?.storageClassName ?? '',
      pvc.spec?.volumeAttributesClassName ?? '<unset>',
      created(o, now),
      pvc.spec?.volumeMode ?? '<unset>',
    ];
  },
};
