// StorageClass defaulting, as upstream's SetDefaults_StorageClass: Delete, Immediate.
import type { Defaulter } from '../../api/resource.js';

export const defaultStorageClass: Defaulter = (o) => {
  const sc = o as Record<string, any>;
  sc.reclaimPolicy ??= 'Delete';
  sc.volumeBindingMode ??= 'Immediate';
};
