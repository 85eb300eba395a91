// PersistentVolume defaulting, as upstream's SetDefaults_PersistentVolume: Retain, Filesystem, Pending.
import type { Defaulter } from '../../api/resource.js';

export const defaultPersistentVolume: Defaulter = (o) => {
  const pv = o as Record<string, any>;
  const spec = (pv.spec ??= {});
  spec.persistentVolumeReclaimPolicy ??= 'Retain';
  spec.volumeMode ??= 'Filesystem';
  pv.status ??= {};
  pv.status.phase ??= 'Pending';
};
