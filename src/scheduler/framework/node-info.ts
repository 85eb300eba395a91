// The scheduler's view of one node: the Node object and the pods assigned (or assumed) to it,
// with their summed requests and used host ports kept up to date as pods come and go.
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1';
import { addResource, emptyResource, resourceFromList, type Resource } from './resources.js';
import { newPodInfo, type PodInfo } from './pod-info.js';

export interface ImageState {
  size: number;
  /** How many nodes have the image: ImageLocality scales scores by spread. */
  numNodes: number;
}

/** Upstream's HostPortInfo: ip → "protocol/port" set; 0.0.0.0 conflicts with every ip. */
export class HostPorts {
  private readonly byIp = new Map<string, Map<string, number>>();

  add(ip: string, protocol: string, port: number): void {
    const key = `${protocol}/${port}`;
    const ports = this.byIp.get(ip) ?? new Map<string, number>();
    ports.set(key, (ports.get(key) ?? 0) + 1);
    this.byIp.set(ip, ports);
  }

  remove(ip: string, protocol: string, port: number): void {
    const key = `${protocol}/${port}`;
    const ports = this.byIp.get(ip);
    const n = ports?.get(key);
    if (!ports || !n) return;
    if (n === 1) ports.delete(key);
    else ports.set(key, n - 1);
    if (ports.size === 0) this.byIp.delete(ip);
  }

  conflicts(ip: string, protocol: string, port: number): boolean {
    const key = `${protocol}/${port}`;
    if (ip === '0.0.0.0') {
      for (const ports of this.byIp.values()) if (ports.has(key)) return true;
      return false;
    }
    return !!this.byIp.get(ip)?.has(key) || !!this.byIp.get('0.0.0.0')?.has(key);
  }

  get size(): number {
    return this.byIp.size;
  }
}

/** The host ports a pod asks for, normalised as upstream: empty ip is 0.0.0.0, protocol TCP. */
export function podHostPorts(pod: Pod): { ip: string; protocol: string; port: number }[] {
  const out: { ip: string; protocol: string; port: number }[] = [];
  const containers = [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class NodeInfo {
  /**
   * Copies of the numbers NodeResourcesFit and the resource scorers read for every candidate
   * node of every pod, held in the NodeInfo itself: one memory load instead of one per object
   * (allocatable, requested, nonZeroRequested, pods) — on thousands of nodes those loads miss
   * the cache and were most of Filter's time. Kept current by every method that changes them.
   */
  podCount = 0;
  allocPods = 0;
  allocMilliCPU = 0;
  allocMemory = 0;
  allocEphemeralStorage = 0;
  reqMilliCPU = 0;
  reqMemory = 0;
  reqEphemeralStorage = 0;
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  /** The node's labels, taints and unschedulable flag, for the same reason. */
  labels: Record<string, string> = NO_LABELS;
  taints: Taint[] | undefined = undefined;
  unschedulable = false;
  node: Node | undefined;
  pods: PodInfo[] = [];
  /** Pods with any (anti-)affinity terms: what InterPodAffinity has to look at. */
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts = new HostPorts();
  requested: Resource = emptyResource();
  nonZeroRequested: Resource = emptyResource();
  allocatable: Resource = emptyResource();
  imageStates = new Map<string, ImageState>();
  /** Bumped on every change, so snapshots copy only what changed. */
  generation = 0;

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  /**
   * The node's name, kept as a field: filters look it up for every candidate node of every pod,
   * and reading it through node.metadata costs two more memory loads each time.
   */
  name = '';

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata?.name ?? '';
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.taints = node.spec?.taints?.length ? node.spec.taints : undefined;
    this.unschedulable = !!node.spec?.unschedulable;
    this.allocatable = resourceFromList(node.status?.allocatable as Record<string, string> | undefined);
    this.refreshCopies();
    this.generation++;
  }

  private refreshCopies(): void {
    this.podCount = this.pods.length;
    this.allocPods = this.allocatable.allowedPodNumber;
    this.allocMilliCPU = this.allocatable.milliCPU;
    this.allocMemory = this.allocatable.memory;
    this.allocEphemeralStorage = this.allocatable.ephemeralStorage;
    this.reqMilliCPU = this.requested.milliCPU;
    this.reqMemory = this.requested.memory;
    this.reqEphemeralStorage = this.requested.ephemeralStorage;
    this.nonZeroMilliCPU = this.nonZeroRequested.milliCPU;
    this.nonZeroMemory = this.nonZeroRequested.memory;
  }

  /** The node is gone while some of its pods are still accounted here. */
  clearNode(): void {
    this.node = undefined;
    this.name = '';
    this.labels = NO_LABELS;
    this.taints = undefined;
    this.unschedulable = false;
    this.generation++;
  }

  addPod(pod: Pod | PodInfo): PodInfo {
    const info = 'requests' in pod ? pod : newPodInfo(pod);
    this.pods.push(info);
    if (hasAffinity(info)) this.podsWithAffinity.push(info);
    if (info.requiredAntiAffinityTerms.length) this.podsWithRequiredAntiAffinity.push(info);
    addResource(this.requested, info.requests);
    addResource(this.nonZeroRequested, info.nonZeroRequests);
    for (const p of podHostPorts(info.pod)) this.usedPorts.add(p.ip, p.protocol, p.port);
    this.refreshCopies();
    this.generation++;
    return info;
  }

  /** Removes the pod with this namespace/name; false when it was not here. */
  removePod(key: string): boolean {
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const [info] = this.pods.splice(i, 1);
    this.podsWithAffinity = this.podsWithAffinity.filter((p) => p.key !== key);
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p.key !== key);
    addResource(this.requested, info!.requests, -1);
    addResource(this.nonZeroRequested, info!.nonZeroRequests, -1);
    for (const p of podHostPorts(info!.pod)) this.usedPorts.remove(p.ip, p.protocol, p.port);
    this.refreshCopies();
    this.generation++;
    return true;
  }

  /** A copy that later changes to this one do not affect (pod infos themselves are immutable). */
  snapshot(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.name = this.name;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.usedPorts = new HostPorts();
    for (const p of this.pods) for (const hp of podHostPorts(p.pod)) c.usedPorts.add(hp.ip, hp.protocol, hp.port);
    c.requested = { ...this.requested, scalar: new Map(this.requested.scalar) };
    c.nonZeroRequested = { ...this.nonZeroRequested, scalar: new Map(this.nonZeroRequested.scalar) };
    c.allocatable = this.allocatable;
    c.imageStates = this.imageStates;
    c.generation = this.generation;
    c.refreshCopies();
    return c;
  }
}

function hasAffinity(p: PodInfo): boolean {
  return p.requiredAffinityTerms.length + p.requiredAntiAffinityTerms.length + p.preferredAffinityTerms.length + p.preferredAntiAffinityTerms.length > 0;
}
