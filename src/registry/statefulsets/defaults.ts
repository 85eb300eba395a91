// StatefulSet defaulting, as upstream's SetDefaults_StatefulSet for apps/v1: ordered pod
// management, a rolling update from partition 0, claims retained when the set is deleted or
// scaled down, one replica, ten revisions, and the claim templates and pod template defaulted
// as the claims and pods made from them will be.
import type { Defaulter } from '../../api/resource.js';
import { defaultPodTemplate } from '../../api/defaults/pod.js';
import { defaultPersistentVolumeClaim } from '../persistentvolumeclaims/defaults.js';

export const defaultStatefulSet: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  spec.podManagementPolicy ??= 'OrderedReady';
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  }
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  for (const claim of spec.volumeClaimTemplates ?? []) defaultPersistentVolumeClaim(claim);
  defaultPodTemplate(spec);
};
