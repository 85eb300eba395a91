// The storageclasses table, as upstream's printStorageClass: the default class marked in its name.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

/** Whether a class is marked default (upstream IsDefaultAnnotation: the GA or the beta annotation, "true"). */
export function isDefaultClass(sc: Any): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

export const storageClassPrinter: Printer = {
  columns: [
    NAME,
    col('Provisioner', 'string', 0, 'Indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 0, 'Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy.'),
    col('VolumeBindingMode', 'string', 0, 'VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 0, 'AllowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE,
  ],
  cells: (o, now) => {
    const sc = o as Any;
    return [
      isDefaultClass(sc) ? `${name(o)} (default)` : name(o),
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      String(sc.allowVolumeExpansion ?? false),
      created(o, now),
    ];
  },
};
