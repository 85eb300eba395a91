// The Node authorizer's graph, as upstream's plugin/pkg/auth/authorizer/node Graph: which node
// each scheduled pod is bound to, and which Secrets, ConfigMaps, PersistentVolumeClaims and
// ServiceAccounts each pod uses. Upstream keeps vertices and edges and walks from the object to
// the node; every path there is object -> pod -> node (Berth serves no PersistentVolumes yet, whose
// path is one step longer), so this keeps, per object, how many pods on each node use it: the
// question "may node N read object O" is two map lookups however many pods and nodes there are.
import type { Pod } from 'kubernetes-types/core/v1';
import { podReferences, type PodReferences } from '../../../api/pod-references.js';

export type VertexKind = 'pod' | keyof PodReferences;

interface PodEntry {
  node: string;
  /** The objects the pod uses. */
  uses: ObjectVertex[];
}

/**
 * An object pods use, shared by the entries of all of them: a pod's entry holding the vertex
 * rather than a key of its own made per pod kept a copy of "configmaps ns kube-root-ca.crt" and
 * "serviceaccounts ns default" for every pod (10 MB at 150 000 pods).
 */
interface ObjectVertex {
  key: string;
  /** Node -> how many of the node's pods use the object. */
  nodes: Map<string, number>;
}

const vertex = (kind: VertexKind, namespace: string, name: string) => `${kind}\0${namespace}\0${name}`;

export class NodeGraph {
  private readonly pods = new Map<string, PodEntry>();
  /** Object vertex key -> the vertex. */
  private readonly usedBy = new Map<string, ObjectVertex>();
  /** Node -> how many pods are bound to it (a node with none is not in the graph, as upstream's). */
  private readonly podsOn = new Map<string, number>();

  /** Adds or updates a pod; one not scheduled yet (no spec.nodeName) is no edge, as upstream's. */
  setPod(pod: Pod): void {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const node = pod.spec?.nodeName;
    if (!node) {
      this.deletePod(ns, name);
      return;
    }
    const refs = podReferences(pod);
    const keys: string[] = [];
    for (const kind of Object.keys(refs) as Array<keyof PodReferences>) for (const n of refs[kind]) keys.push(vertex(kind, ns, n));
    const key = vertex('pod', ns, name);
    const old = this.pods.get(key);
    // A pod's references change only with its spec: most updates (status) leave the graph alone.
    if (old && old.node === node && old.uses.length === keys.length && old.uses.every((u, i) => u.key === keys[i])) return;
    this.deletePod(ns, name);
    const uses = keys.map((k) => {
      let v = this.usedBy.get(k);
      if (!v) this.usedBy.set(k, (v = { key: k, nodes: new Map() }));
      v.nodes.set(node, (v.nodes.get(node) ?? 0) + 1);
      return v;
    });
    this.pods.set(key, { node, uses });
    this.podsOn.set(node, (this.podsOn.get(node) ?? 0) + 1);
  }

  deletePod(namespace: string, name: string): void {
    const key = vertex('pod', namespace, name);
    const entry = this.pods.get(key);
    if (!entry) return;
    this.pods.delete(key);
    const left = (this.podsOn.get(entry.node) ?? 1) - 1;
    if (left > 0) this.podsOn.set(entry.node, left);
    else this.podsOn.delete(entry.node);
    for (const u of entry.uses) {
      const n = (u.nodes.get(entry.node) ?? 1) - 1;
      if (n > 0) u.nodes.set(entry.node, n);
      else u.nodes.delete(entry.node);
      if (!u.nodes.size && this.usedBy.get(u.key) === u) this.usedBy.delete(u.key);
    }
  }

  clear(): void {
    this.pods.clear();
    this.usedBy.clear();
    this.podsOn.clear();
  }

  /** Whether a path leads from the object to the node (upstream's hasPathFrom). */
  hasPath(node: string, kind: VertexKind, namespace: string, name: string): boolean {
    if (kind === 'pod') return this.pods.get(vertex('pod', namespace, name))?.node === node;
    return (this.usedBy.get(vertex(kind, namespace, name))?.nodes.get(node) ?? 0) > 0;
  }

  /** Sizes, for tests and the benchmark. */
  get size(): { pods: number; objects: number; nodes: number } {
    return { pods: this.pods.size, objects: this.usedBy.size, nodes: this.podsOn.size };
  }
}
