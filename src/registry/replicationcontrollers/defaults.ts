// ReplicationController defaulting, as upstream's SetDefaults_ReplicationController: the selector
// and the controller's own labels come from the template's labels when left out (the legacy
// kind's way of saying "the pods I make are mine"), one replica, the template defaulted as a pod.
import type { Defaulter } from '../../api/resource.js';
import { defaultPodTemplate } from '../../api/defaults/pod.js';

export const defaultReplicationController: Defaulter = (o) => {
  const rc = o as Record<string, any>;
  const spec = (rc.spec ??= {});
  const labels: Record<string, string> | undefined = spec.template?.metadata?.labels;
  if (labels && Object.keys(labels).length) {
    if (!spec.selector || !Object.keys(spec.selector).length) spec.selector = { ...labels };
    if (!rc.metadata.labels || !Object.keys(rc.metadata.labels).length) rc.metadata.labels = { ...labels };
  }
  spec.replicas ??= 1;
  if (spec.template) defaultPodTemplate(spec);
};
