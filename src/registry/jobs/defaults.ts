// Job defaulting, as upstream's SetDefaults_Job (pkg/apis/batch/v1/defaults.go): one completion
// at parallelism one unless parallelism alone is given, six retries, NonIndexed, pods replaced
// once terminated (Failed when a pod failure policy needs the pod's final state), not suspended.
import type { Defaulter } from '../../api/resource.js';
import { defaultPodTemplate } from '../../api/defaults/pod.js';

export const defaultJob: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  // Neither set: a single pod. Only parallelism set: a work queue, completions stay unset.
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.manualSelector ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const p of rule.onPodConditions ?? []) p.status ??= 'True';
  }
  defaultPodTemplate(spec);
};
