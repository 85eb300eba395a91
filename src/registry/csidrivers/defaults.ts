// CSIDriver defaulting, as upstream's SetDefaults_CSIDriver (with SELinuxMountReadWriteOncePod
// on, as by default): attach required, no pod info, no capacity tracking, fsGroup applied to
// ReadWriteOnce volumes with a filesystem type, Persistent volumes only, no republish.
import type { Defaulter } from '../../api/resource.js';

export const defaultCSIDriver: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  spec.attachRequired ??= true;
  spec.podInfoOnMount ??= false;
  spec.storageCapacity ??= false;
  spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
  if (!spec.volumeLifecycleModes?.length) spec.volumeLifecycleModes = ['Persistent'];
  spec.requiresRepublish ??= false;
  spec.seLinuxMount ??= false;
};
