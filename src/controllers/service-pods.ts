// What the EndpointSlice and Endpoints controllers both ask of a Service and a pod (upstream
// pkg/controller/util/endpoint and endpointslice util): which pods back a Service, which port a
// named targetPort means in a given pod, and when a pod's hostname is published.
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1';
import { selectorFromSet, type Selector } from '../api/labels.js';
import { parseTime, rfc3339 } from '../client/index.js';
import { podReadyCondition } from './active-pods.js';

export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * The pods selector of a Service the controllers maintain endpoints for; undefined for a Service
 * without one (its endpoints are someone else's) and for ExternalName (upstream issue 105986).
 * An empty selector is stored as none (omitempty upstream), so it counts as none here too.
 */
export function serviceSelector(svc: Service): Selector | undefined {
  if (svc.spec?.type === 'ExternalName') return undefined;
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return undefined;
  return selectorFromSet(sel);
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/**
 * Upstream ShouldPodBeInEndpoints: a pod with an address that has not finished; a terminating
 * one only when asked (slices keep them with terminating=true, Endpoints only with
 * publishNotReadyAddresses).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 addresses (status.podIPs, or podIP alone from older writers). */
export function podIPv4s(pod: Pod): string[] {
  const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
  return ips.filter((ip): ip is string => !!ip && !ip.includes(':'));
}

/**
 * The pod port a Service port's targetPort names (upstream podutil.FindPort): a number is
 * itself; a name is looked up among the containers' ports (and restartable init containers',
 * the sidecars) with the Service port's protocol. Undefined when the pod has no such port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** Upstream ShouldSetHostname: the pod asked for a hostname under this Service's name. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/**
 * When the change endpoints reflect happened (upstream's trigger time, on Endpoints and on the
 * slices written): the latest of the Service's creation and its pods' creation or readiness change.
 */
export function lastChangeTriggerTime(svc: Service, pods: readonly Pod[]): string | undefined {
  let latest = parseTime(svc.metadata?.creationTimestamp)?.getTime();
  for (const p of pods) {
    for (const t of [p.metadata?.creationTimestamp, podReadyCondition(p)?.lastTransitionTime]) {
      const ms = parseTime(t)?.getTime();
      if (ms !== undefined && (latest === undefined || ms > latest)) latest = ms;
    }
  }
  return latest === undefined ? undefined : rfc3339(new Date(latest));
}
