// The legacy core/v1 Endpoints of a Service (upstream pkg/controller/endpoint): subsets of ready
// and not-ready addresses by the ports they serve, packed and sorted so that equal contents
// compare equal, and truncated at 1000 addresses as upstream does.
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1';
import { isPodReady } from '../active-pods.js';
import { findPort, podIPv4s, shouldPodBeInEndpoints, shouldSetHostname } from '../service-pods.js';

/** Upstream's maxCapacity: addresses an Endpoints object holds at most. */
export const MAX_ENDPOINTS_ADDRESSES = 1000;

interface Entry {
  address: EndpointAddress;
  ready: boolean;
  ports: EndpointPort[];
}

/** The address of a pod as Endpoints lists it. */
function podAddress(pod: Pod, ip: string, svc: Service): EndpointAddress {
  const a: EndpointAddress = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid } };
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) a.hostname = pod.spec!.hostname;
  return a;
}

/**
 * The Service's subsets from the pods it selects. Terminating pods are left out unless the
 * Service publishes not-ready addresses (then every pod counts as ready); a headless Service
 * without ports lists bare addresses.
 */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPv4s(pod)[0];
    if (!ip) continue;
    const address = podAddress(pod, ip, svc);
    const ready = tolerateUnready || isPodReady(pod);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (svc.spec?.clusterIP === 'None') entries.push({ address, ready, ports: [] });
      continue;
    }
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const p: EndpointPort = { name: sp.name || undefined, port, protocol: sp.protocol ?? 'TCP' };
      if (!p.name) delete p.name;
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    // Each port alone first, as upstream adds them; packing joins what shares addresses.
    for (const p of ports) entries.push({ address, ready, ports: [p] });
  }
  return repack(entries);
}

const portKey = (p: EndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
const addressKey = (a: EndpointAddress) => JSON.stringify([a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef?.uid ?? '']);

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * Upstream RepackSubsets: every (address, readiness) ends up in the one subset of exactly the
 * ports it serves; addresses sorted by IP, ports and subsets in a fixed order.
 */
export function repack(entries: readonly Entry[]): EndpointSubset[] {
  // address+readiness -> its ports
  const byAddress = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const e of entries) {
    const k = `${e.ready}|${addressKey(e.address)}`;
    let cur = byAddress.get(k);
    if (!cur) byAddress.set(k, (cur = { address: e.address, ready: e.ready, ports: new Map() }));
    for (const p of e.ports) cur.ports.set(portKey(p), p);
  }
  // port set -> subset
  const subsets = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const { address, ready, ports } of byAddress.values()) {
    const sorted = [...ports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const k = JSON.stringify(sorted.map(([key]) => key));
    let s = subsets.get(k);
    if (!s) subsets.set(k, (s = { ports: sorted.map(([, p]) => p), ready: [], notReady: [] }));
    (ready ? s.ready : s.notReady).push(address);
  }
  const byIP = (a: EndpointAddress, b: EndpointAddress) => compareIPs(a.ip, b.ip) || (addressKey(a) < addressKey(b) ? -1 : 1);
  return [...subsets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, s]) => {
      const subset: EndpointSubset = {};
      if (s.ready.length) subset.addresses = s.ready.sort(byIP);
      if (s.notReady.length) subset.notReadyAddresses = s.notReady.sort(byIP);
      if (s.ports.length) subset.ports = s.ports;
      return subset;
    });
}

/**
 * Upstream truncateEndpoints: past the capacity, not-ready addresses go first; if the ready ones
 * alone are too many, all not-ready ones go and the ready ones are cut. Each subset keeps a
 * share proportional to its size (rounded up, while capacity is left). Returns whether it cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_ENDPOINTS_ADDRESSES): boolean {
  const ready = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const notReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (ready + notReady <= max) return false;
  const cutReady = ready > max;
  const budget = cutReady ? max : max - ready;
  const total = cutReady ? ready : notReady;
  let left = budget;
  for (const s of subsets) {
    const size = (cutReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const share = Math.min(Math.ceil((size / total) * budget), left);
    if (cutReady) {
      s.addresses = s.addresses?.slice(0, share);
      delete s.notReadyAddresses;
      left -= s.addresses?.length ?? 0;
    } else {
      s.notReadyAddresses = s.notReadyAddresses?.slice(0, share);
      left -= s.notReadyAddresses?.length ?? 0;
    }
    if (!s.addresses?.length) delete s.addresses;
    if (!s.notReadyAddresses?.length) delete s.notReadyAddresses;
  }
  return true;
}
