// PersistentVolumeClaim defaulting, as upstream's SetDefaults_PersistentVolumeClaim: Filesystem, Pending.
import type { Defaulter } from '../../api/resource.js';

export const defaultPersistentVolumeClaim: Defaulter = (o) => {
  const pvc = o as Record<string, any>;
  const spec = (pvc.spec ??= {});
  spec.volumeMode ??= 'Filesystem';
  pvc.status ??= {};
  pvc.status.phase ??= 'Pending';
};
