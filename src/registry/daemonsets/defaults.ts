// DaemonSet defaulting, as upstream's SetDefaults_DaemonSet for apps/v1: a rolling update of one
// node at a time without surge, ten revisions kept, a defaulted pod template.
import type { Defaulter } from '../../api/resource.js';
import { defaultPodTemplate } from '../../api/defaults/pod.js';

export const defaultDaemonSet: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(spec);
};
