// ReplicaSet defaulting, as upstream's SetDefaults_ReplicaSet: one replica, and the pod
// template defaulted as a pod is.
import type { Defaulter } from '../../api/resource.js';
import { defaultPodTemplate } from '../../api/defaults/pod.js';

export const defaultReplicaSet: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  spec.replicas ??= 1;
  defaultPodTemplate(spec);
};
