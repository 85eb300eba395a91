// Pods: the graceful delete that lets the node stop the containers, as upstream's
// pkg/registry/core/pod/strategy.go, and the QoS class of a new pod. (Priority admission is the
// chain's: apiserver/admission.)
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import type { KObject } from '../../api/object.js';
import type { Strategy } from '../strategy.js';
import { qosClass } from '../../api/defaults/pod.js';
import type { PodSpec } from 'kubernetes-types/core/v1';

export function podGracePeriod(pod: KObject, options: DeleteOptions): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  // Nothing runs an unscheduled or finished pod: it goes at once, as upstream.
  if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  return g < 0 ? 1 : g;
}

export const podStrategy: Strategy = {
  // As upstream's PrepareForCreate: the QoS class is of the pod as admitted (LimitRanger may
  // have given its containers requests and limits after defaulting).
  prepareForCreate: (obj) => {
    const status = (obj.status ??= {}) as { qosClass?: string };
    status.qosClass = qosClass((obj.spec ?? {}) as PodSpec);
  },
  gracePeriod: podGracePeriod,
};
