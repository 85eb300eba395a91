// What a Service's EndpointSlices should hold (upstream endpointslice reconciler's desired
// state): one endpoint per backing pod, grouped by the ports the Service's targetPorts resolve
// to in that pod, because every endpoint of a slice shares the slice's ports.
import type { EndpointPort, Endpoint } from 'kubernetes-types/discovery/v1';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1';
import { isPodReady } from '../active-pods.js';
import { findPort, podIPv4s, shouldPodBeInEndpoints, shouldSetHostname } from '../service-pods.js';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_MANAGED_BY = 'endpointslice-controller.k8s.io';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
/** Upstream's default --max-endpoints-per-slice. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

/** Endpoints that share one set of ports. */
export interface PortGroup {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

/** The ports a pod serves the Service on; ports whose targetPort the pod lacks are left out. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** Upstream podToEndpoint: conditions, topology and the reference back to the pod. */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service): Endpoint {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const serving = publishNotReady || isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = publishNotReady || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPv4s(pod).slice(0, 1),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[LABEL_ZONE];
  if (zone) ep.zone = zone;
  return ep;
}

/** A key equal for equal port lists whatever their order (upstream NewPortMapKey). */
export function portMapKey(ports: readonly EndpointPort[] | undefined): string {
  return JSON.stringify([...(ports ?? [])].map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port ?? null, p.appProtocol ?? '']).sort());
}

/** What identifies an endpoint across updates (upstream hashEndpoint): addresses, hostname, the pod. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/**
 * The Service's desired endpoints by port mapping. Pods without an IPv4 address or finished are
 * left out; terminating pods stay, marked terminating (consumers may still drain to them).
 */
export function desiredPortGroups(svc: Service, pods: readonly Pod[], nodeOf: (name: string) => Node | undefined): Map<string, PortGroup> {
  const groups = new Map<string, PortGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true) || podIPv4s(pod).length === 0) continue;
    const ports = endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(podToEndpoint(pod, pod.spec?.nodeName ? nodeOf(pod.spec.nodeName) : undefined, svc));
  }
  return groups;
}

/**
 * The labels of a Service's slices: the Service's own (minus those the controller owns), the
 * service name, managed-by, and headless for a headless Service (upstream setEndpointSliceLabels).
 */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS) continue;
    labels[k] = v;
  }
  labels[LABEL_SERVICE_NAME] = svc.metadata!.name!;
  labels[LABEL_MANAGED_BY] = CONTROLLER_MANAGED_BY;
  if (svc.spec?.clusterIP === 'None') labels[LABEL_HEADLESS] = '';
  return labels;
}
