// What every cluster starts with: the system namespaces and PriorityClasses. The admission
// plugins themselves are in admission/ (the chain and its plugins).
import type { KObject } from '../api/object.js';
import { LOCAL_PATH_CLASS, LOCAL_PATH_PROVISIONER } from '../api/volume-annotations.js';

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

/**
 * The default StorageClass every cluster starts with, as k3s's local-path: volumes made on the
 * node their first pod is scheduled to (WaitForFirstConsumer), by that node's agent, and deleted
 * with their data when their claim goes.
 */
export const localPathStorageClass: KObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: LOCAL_PATH_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: LOCAL_PATH_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** What every cluster starts with, as resource key and object: the system namespaces, PriorityClasses and the local-path StorageClass. */
export function bootstrapObjects(): Array<{ key: string; obj: KObject }> {
  return [
    ...systemNamespaces.map((name) => ({ key: 'namespaces', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KObject })),
    ...systemPriorityClasses.map((pc) => ({ key: 'priorityclasses.scheduling.k8s.io', obj: structuredClone(pc) })),
    { key: 'storageclasses.storage.k8s.io', obj: structuredClone(localPathStorageClass) },
  ];
}
