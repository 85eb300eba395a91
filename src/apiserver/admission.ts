// Admission: the checks and mutations upstream runs between validation and storage that need
// other objects — NamespaceLifecycle, Priority, ServiceAccount. Pure per-kind rules (defaulting,
// validation) stay in src/api.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { KObject } from '../api/object.js';
import type { ResourceType } from '../api/registry.js';
import { forbidden, notFound } from './errors.js';

export interface AdmissionLookups {
  getNamespace(name: string): KObject | undefined;
  listPriorityClasses(): KObject[];
}

const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** NamespaceLifecycle: no new objects in a missing or terminating namespace. */
export function admitNamespace(r: ResourceType, obj: KObject, lookups: AdmissionLookups): void {
  if (!r.namespaced) return;
  const nsName = obj.metadata.namespace!;
  const ns = lookups.getNamespace(nsName);
  if (!ns) throw notFound({ plural: 'namespaces', group: '' }, nsName);
  if (ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
    throw forbidden(r, obj.metadata.name ?? '', `unable to create new content in namespace ${nsName} because it is being terminated`);
  }
}

export function admitNamespaceDelete(name: string): void {
  if (IMMORTAL_NAMESPACES.has(name)) throw forbidden({ plural: 'namespaces', group: '' }, name, 'this namespace may not be deleted');
}

/** Priority: spec.priority and preemptionPolicy from the pod's PriorityClass (or the global default). */
export function admitPodPriority(obj: KObject, lookups: AdmissionLookups): void {
  const pod = obj as unknown as Pod;
  const spec = pod.spec;
  if (!spec) return;
  const classes = lookups.listPriorityClasses() as unknown as PriorityClass[];
  let pc: PriorityClass | undefined;
  if (spec.priorityClassName) {
    pc = classes.find((c) => c.metadata?.name === spec.priorityClassName);
    if (!pc) throw forbidden({ plural: 'pods', group: '' }, obj.metadata.name ?? '', `no PriorityClass with name ${spec.priorityClassName} was found`);
  } else {
    pc = classes.filter((c) => c.globalDefault).sort((a, b) => a.value - b.value)[0];
    if (pc) spec.priorityClassName = pc.metadata!.name;
  }
  const value = pc?.value ?? 0;
  if (spec.priority !== undefined && spec.priority !== value) {
    throw forbidden({ plural: 'pods', group: '' }, obj.metadata.name ?? '', 'the integer value of priority must not be provided in pod spec; priority admission controller computed ' + value + ' from the given PriorityClass name');
  }
  spec.priority = value;
  spec.preemptionPolicy = pc?.preemptionPolicy ?? 'PreemptLowerPriority';
}

/** The built-in PriorityClasses every cluster has. */
export const systemPriorityClasses: KObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
];

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
