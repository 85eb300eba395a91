// The scheduler's cache of nodes and the pods on them, including pods it has assumed onto a
// node before their binding is confirmed, so the next pod already sees them.
//
// A scheduling cycle's filtering and scoring run synchronously on Node's one thread, so the
// cache itself serves as the cycle's snapshot: nothing can change it mid-cycle. Node order is
// upstream's node tree: zones interleaved, so a partial scan (percentageOfNodesToScore)
// spreads over zones.
import type { Namespace, Node, Pod } from 'kubernetes-types/core/v1';
import { NodeInfo, type ImageState } from './framework/node-info.js';
import { AffinityIndex } from './framework/affinity-index.js';
import { newPodInfo, podKey, type PodInfo } from './framework/pod-info.js';
import type { Snapshot } from './framework/types.js';
import { normalizedImageName } from './plugins/image-locality.js';

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
}

export class SchedulerCache implements Snapshot {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly images = new Map<string, ImageState>();
  private readonly affinity = new AffinityIndex((ns) => this.namespaces.get(ns));

  affinityIndex(): AffinityIndex {
    return this.affinity;
  }
  private ordered: NodeInfo[] | undefined;

  // Snapshot

  nodeInfos(): NodeInfo[] {
    if (!this.ordered) this.ordered = nodeTreeOrder([...this.nodes.values()].filter((n) => n.node));
    return this.ordered;
  }

  get(nodeName: string): NodeInfo | undefined {
    const n = this.nodes.get(nodeName);
    return n?.node ? n : undefined;
  }

  // InterPodAffinity asks for these twice per pod: kept until a pod with affinity terms or a
  // node comes or goes, instead of scanning every node each time.
  private withAffinity: NodeInfo[] | undefined;
  private withRequiredAnti: NodeInfo[] | undefined;

  havePodsWithAffinity(): NodeInfo[] {
    this.withAffinity ??= this.nodeInfos().filter((n) => n.podsWithAffinity.length > 0);
    return this.withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): NodeInfo[] {
    this.withRequiredAnti ??= this.nodeInfos().filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
    return this.withRequiredAnti;
  }

  private affinityChanged(info: PodInfo): void {
    if (
      info.requiredAffinityTerms.length +
        info.requiredAntiAffinityTerms.length +
        info.preferredAffinityTerms.length +
        info.preferredAntiAffinityTerms.length ===
      0
    )
      return;
    this.withAffinity = undefined;
    if (info.requiredAntiAffinityTerms.length) this.withRequiredAnti = undefined;
  }

  private readonly domains = new Map<string, Set<string>>();

  topologyDomains(key: string): ReadonlySet<string> {
    let d = this.domains.get(key);
    if (!d) {
      d = new Set();
      for (const ni of this.nodeInfos()) {
        const labels = ni.node?.metadata?.labels;
        if (labels && Object.hasOwn(labels, key)) d.add(labels[key]!);
      }
      this.domains.set(key, d);
    }
    return d;
  }

  private nodesChanged(): void {
    this.domains.clear();
    this.ordered = undefined;
    this.withAffinity = undefined;
    this.withRequiredAnti = undefined;
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.namespaces.get(namespace);
  }

  // Nodes and namespaces

  addOrUpdateNode(node: Node): void {
    const name = node.metadata!.name!;
    const existing = this.nodes.get(name);
    this.updateImages(existing ?? this.nodeOrPlaceholder(name), node);
    if (existing) {
      const wasPlaceholder = !existing.node;
      if (JSON.stringify(existing.node?.metadata?.labels ?? {}) !== JSON.stringify(node.metadata?.labels ?? {})) {
        this.affinity.relabelNode(name, node.metadata?.labels ?? {});
        this.domains.clear();
      }
      existing.setNode(node);
      if (wasPlaceholder || zoneOf(existing.node) !== zoneOf(node)) this.nodesChanged();
    } else {
      this.nodes.get(name)!.setNode(node);
      this.nodesChanged();
    }
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.updateImages(ni, undefined);
    // Pods still on it stay accounted until their own deletion arrives.
    if (ni.pods.length === 0) this.nodes.delete(name);
    else ni.clearNode();
    this.nodesChanged();
  }

  setNamespace(ns: Namespace, deleted = false): void {
    const name = ns.metadata?.name ?? '';
    const before = JSON.stringify(this.namespaces.get(name) ?? null);
    if (deleted) this.namespaces.delete(name);
    else this.namespaces.set(name, { ...(ns.metadata?.labels ?? {}) });
    if (before !== JSON.stringify(this.namespaces.get(name) ?? null)) this.affinity.namespacesChanged();
  }

  // Pods

  /** A pod the API says is bound (or an update to it); confirms an assumption if there was one. */
  addOrUpdatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const fresh = podKey(pod);
    const prev = this.pods.get(fresh);
    // One key string per pod for this map, the node's list and the affinity index: the first.
    const key = prev ? prev.info.key : fresh;
    if (prev) {
      this.nodeFor(prev.nodeName)?.removePod(key);
      this.affinityChanged(prev.info);
    }
    const info = newPodInfo(pod, key);
    this.nodeOrPlaceholder(nodeName).addPod(info);
    this.affinityChanged(info);
    this.affinity.add(info, this.nodeLabels(nodeName));
    this.pods.set(key, { info, nodeName, assumed: false });
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const prev = this.pods.get(key);
    if (!prev) return;
    const ni = this.nodes.get(prev.nodeName);
    ni?.removePod(key);
    this.affinityChanged(prev.info);
    this.affinity.remove(key);
    if (ni && !ni.node && ni.pods.length === 0) this.nodes.delete(prev.nodeName);
    this.pods.delete(key);
  }

  /** Counts the pod on nodeName before the binding is confirmed. */
  assume(pod: Pod, nodeName: string): PodInfo {
    const key = podKey(pod);
    if (this.pods.has(key)) throw new Error(`pod ${key} is already in the cache, so can't be assumed`);
    const bound = { ...pod, spec: { ...pod.spec!, nodeName } } as Pod;
    const info = newPodInfo(bound, key);
    this.nodeOrPlaceholder(nodeName).addPod(info);
    this.affinityChanged(info);
    this.affinity.add(info, this.nodeLabels(nodeName));
    this.pods.set(key, { info, nodeName, assumed: true });
    return info;
  }

  /** Undoes an assumption whose binding failed. */
  forget(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st?.assumed) return;
    this.removePod(st.info.pod);
  }

  isAssumed(pod: Pod): boolean {
    return !!this.pods.get(podKey(pod))?.assumed;
  }

  hasPod(pod: Pod): boolean {
    return this.pods.has(podKey(pod));
  }

  get podCount(): number {
    return this.pods.size;
  }

  private nodeLabels(name: string): Record<string, string> {
    return this.nodes.get(name)?.node?.metadata?.labels ?? {};
  }

  private nodeFor(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  private nodeOrPlaceholder(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo();
      this.nodes.set(name, ni);
    }
    return ni;
  }

  /**
   * ImageLocality needs, per image, its size and on how many nodes it is. The states are shared
   * objects, so a node's change updates every node's view without a rescan.
   */
  private updateImages(ni: NodeInfo, node: Node | undefined): void {
    const next = new Map<string, ImageState>();
    for (const img of node?.status?.images ?? []) {
      // Keys in the form pods' images are looked up in (docker.io/library/nginx:latest).
      for (const name of new Set((img.names ?? []).map(normalizedImageName))) {
        let st = ni.imageStates.get(name) ?? this.images.get(name);
        if (!st) {
          st = { size: img.sizeBytes ?? 0, numNodes: 0 };
          this.images.set(name, st);
        }
        if (!ni.imageStates.has(name)) st.numNodes++;
        next.set(name, st);
      }
    }
    for (const [name, st] of ni.imageStates) {
      if (next.has(name)) continue;
      st.numNodes--;
      if (st.numNodes <= 0) this.images.delete(name);
    }
    ni.imageStates = next;
  }
}

function zoneOf(node: Node | undefined): string {
  const l = node?.metadata?.labels ?? {};
  const region = l[REGION] ?? '';
  const zone = l[ZONE] ?? '';
  return region || zone ? `${region}:\0:${zone}` : '';
}

/** Round-robin over zones, in the order zones were first seen (upstream nodeTree.list). */
export function nodeTreeOrder(nodes: NodeInfo[]): NodeInfo[] {
  const zones = new Map<string, NodeInfo[]>();
  for (const n of nodes) {
    const z = zoneOf(n.node);
    const list = zones.get(z) ?? [];
    list.push(n);
    zones.set(z, list);
  }
  if (zones.size <= 1) return nodes;
  const out: NodeInfo[] = [];
  const lists = [...zones.values()];
  for (let i = 0; out.length < nodes.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}
