// What every cluster starts with: the system namespaces and PriorityClasses. The admission
// plugins themselves are in admission/ (the chain and its plugins).
import type { KObject } from '../api/object.js';

export type { AdmissionLookups } from './admission/types.js';

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

/** What every cluster starts with, as resource key and object: the system namespaces and PriorityClasses. */
export function bootstrapObjects(): Array<{ key: string; obj: KObject }> {
  return [
    ...systemNamespaces.map((name) => ({ key: 'namespaces', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KObject })),
    ...systemPriorityClasses.map((pc) => ({ key: 'priorityclasses.scheduling.k8s.io', obj: structuredClone(pc) })),
  ];
}
