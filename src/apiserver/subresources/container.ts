// What pods/log, exec and attach share: the container a request names: the `container` parameter, else the
// kubectl.kubernetes.io/default-container annotation, else the only container (upstream's
// pod.GetContainer rules and messages), and booleans passed on to the agent.
import type { KObject } from '../../api/object.js';
import { boolParam } from '../../api/query.js';
import { badRequest } from '../errors.js';

export function containerOf(pod: KObject, q: URLSearchParams): string {
  const spec = pod.spec as { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> };
  const given = q.get('container');
  if (given) {
    if (![...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].some((c) => c.name === given)) {
      throw badRequest(`container ${given} is not valid for pod ${pod.metadata.name}`);
    }
    return given;
  }
  const dflt = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (dflt) return dflt;
  if (spec.containers?.length === 1) return spec.containers[0]!.name;
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name);
  throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.join(' ')}]`);
}

/**
 * Booleans are decoded here (upstream's rules, `stdout=True` included) and passed on as "true"
 * or not at all, as kube-apiserver builds the kubelet's URL.
 */
export function forwardBools(from: URLSearchParams, to: URLSearchParams, names: string[]): void {
  for (const k of names) if (boolParam(from, k)) to.set(k, 'true');
}
