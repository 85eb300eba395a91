// Deployment defaulting, as upstream's SetDefaults_Deployment for apps/v1: one replica, a 25%
// rolling update, ten old ReplicaSets kept, a 600 s progress deadline, a defaulted pod template.
import type { Defaulter } from '../../api/resource.js';
import { defaultPodTemplate } from '../../api/defaults/pod.js';

export const defaultDeployment: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec);
};
