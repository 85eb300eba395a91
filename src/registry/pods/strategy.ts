// Pods: the Priority admission step on create and the graceful delete that lets the node stop
// the containers, as upstream's pkg/registry/core/pod/strategy.go and plugin/pkg/admission/priority.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import type { KObject } from '../../api/object.js';
import type { AdmissionLookups } from '../../apiserver/admission.js';
import { forbidden } from '../../apiserver/errors.js';
import type { Strategy } from '../strategy.js';
import { admitServiceAccount, DEFAULT_SERVICE_ACCOUNT } from '../../apiserver/serviceaccount/admission.js';

/** Priority: spec.priority and preemptionPolicy from the pod's PriorityClass (or the global default). */
export function admitPodPriority(obj: KObject, lookups: AdmissionLookups): void {
  const pod = obj as unknown as Pod;
  const spec = pod.spec;
  if (!spec) return;
  const classes = lookups.listPriorityClasses() as unknown as PriorityClass[];
  let pc: PriorityClass | undefined;
  if (spec.priorityClassName) {
    pc = classes.find((c) => c.metadata?.name === spec.priorityClassName);
    if (!pc) throw forbidden({ plural: 'pods', group: '' }, obj.metadata.name ?? '', `no PriorityClass with name ${spec.priorityClassName} was found`);
  } else {
    pc = classes.filter((c) => c.globalDefault).sort((a, b) => a.value - b.value)[0];
    if (pc) spec.priorityClassName = pc.metadata!.name;
  }
  const value = pc?.value ?? 0;
  if (spec.priority !== undefined && spec.priority !== value) {
    throw forbidden(
      { plural: 'pods', group: '' },
      obj.metadata.name ?? '',
      'the integer value of priority must not be provided in pod spec; priority admission controller computed ' + value + ' from the given PriorityClass name',
    );
  }
  spec.priority = value;
  spec.preemptionPolicy = pc?.preemptionPolicy ?? 'PreemptLowerPriority';
}

export function podGracePeriod(pod: KObject, options: DeleteOptions): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  // Nothing runs an unscheduled or finished pod: it goes at once, as upstream.
  if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  return g < 0 ? 1 : g;
}

export const podStrategy: Strategy = {
  admissionLookups: (obj) => {
    const spec = obj.spec as { priorityClassName?: string; serviceAccountName?: string } | undefined;
    const wanted: Array<[string, string]> = [['serviceaccounts', spec?.serviceAccountName || DEFAULT_SERVICE_ACCOUNT]];
    if (spec?.priorityClassName) wanted.push(['priorityclasses.scheduling.k8s.io', spec.priorityClassName]);
    return wanted;
  },
  // Upstream's plugin order: ServiceAccount before Priority.
  prepareForCreate: (obj, lookups) => {
    admitServiceAccount(obj, lookups);
    admitPodPriority(obj, lookups);
  },
  gracePeriod: podGracePeriod,
};
