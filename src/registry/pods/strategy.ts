// Pods: the graceful delete that lets the node stop the containers, as upstream's
// pkg/registry/core/pod/strategy.go. (Priority admission is the chain's: apiserver/admission.)
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import type { KObject } from '../../api/object.js';
import type { Strategy } from '../strategy.js';

export function podGracePeriod(pod: KObject, options: DeleteOptions): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  // Nothing runs an unscheduled or finished pod: it goes at once, as upstream.
  if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  return g < 0 ? 1 : g;
}

export const podStrategy: Strategy = {
  gracePeriod: podGracePeriod,
};
