// Builders for plugin tests: pods and nodes in as few words as the table-driven cases need.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { NodeInfo } from './node-info.js';
import { AffinityIndex } from './affinity-index.js';
import type { Snapshot } from './types.js';

let seq = 0;

export function makePod(name: string, spec: Partial<NonNullable<Pod['spec']>> = {}, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}-${++seq}`, creationTimestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString(), ...meta },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  } as Pod;
}

/** A container requesting cpu (e.g. "500m") and memory (e.g. "1Gi"). */
export function withRequests(cpu?: string, memory?: string, extra: Record<string, string> = {}) {
  const requests: Record<string, string> = { ...extra };
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return { name: `c${++seq}`, image: 'busybox', resources: { requests } };
}

export function makeNode(
  name: string,
  allocatable: Record<string, string> = { cpu: '4', memory: '16Gi', pods: '110' },
  labels: Record<string, string> = {},
  spec: Partial<NonNullable<Node['spec']>> = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec,
    status: { allocatable, capacity: allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
  } as Node;
}

/** A snapshot over fixed nodes; pods are placed on their spec.nodeName. */
export function makeSnapshot(nodes: Node[], pods: Pod[] = [], namespaceLabels: Record<string, Record<string, string>> = {}): Snapshot {
  const infos = new Map<string, NodeInfo>();
  for (const n of nodes) infos.set(n.metadata!.name!, new NodeInfo(n));
  for (const p of pods) {
    const ni = infos.get(p.spec?.nodeName ?? '');
    if (ni) ni.addPod(p);
  }
  const list = [...infos.values()];
  const nsLabels = (ns: string) => namespaceLabels[ns] ?? { 'kubernetes.io/metadata.name': ns };
  const index = new AffinityIndex(nsLabels);
  for (const ni of list) for (const p of ni.pods) index.add(p, ni.node?.metadata?.labels ?? {});
  return {
    affinityIndex: () => index,
    topologyDomains: (key) => new Set(list.map((n) => n.node?.metadata?.labels?.[key]).filter((v): v is string => v !== undefined)),
    nodeInfos: () => list,
    get: (n) => infos.get(n),
    havePodsWithAffinity: () => list.filter((n) => n.podsWithAffinity.length > 0),
    havePodsWithRequiredAntiAffinity: () => list.filter((n) => n.podsWithRequiredAntiAffinity.length > 0),
    namespaceLabels: nsLabels,
  };
}
