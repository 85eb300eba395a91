// The persistentvolumes table, as upstream's printPersistentVolume.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { accessModesString } from './shared.js';

export const persistentVolumePrinter: Printer = {
  columns: [
    {
      ...NAME,
      description:
        'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated.',
    },
    col('Capacity', 'string', 0, "capacity is the description of the persistent volume's resources and capacity."),
    col('Access Modes', 'string', 0, 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 0, 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 0, 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 0, 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 0, 'StorageClassName of the volume.'),
    col('VolumeAttributesClass', 'string', 0, 'VolumeAttributesClass of the volume.'),
    col('Reason', 'string', 0, 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE,
    col('VolumeMode', 'string', 1, 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.'),
  ],
  cells: (o, now) => {
    const pv = o as Any;
    const claim = pv.spec?.claimRef ? `${pv.spec.claimRef.namespace}/${pv.spec.claimRef.name}` : '';
    return [
      name(o),
      pv.spec?.capacity?.storage ?? '',
      accessModesString(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      // A deleting object held by its protection finalizer shows Terminating, as upstream prints it.
      pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
      claim,
      pv.spec?.storageClassName ?? '',
      pv.spec?.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      created(o, now),
      pv.spec?.volumeMode ?? '<unset>',
    ];
  },
};
