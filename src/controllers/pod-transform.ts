// What the controllers' pod informer keeps of a pod (issue #17). The controllers read a pod's
// metadata (GC: ownerReferences, finalizers; the workload controllers: labels, hash labels,
// deletionTimestamp), its spec's scheduling and identity fields (nodeName, hostname, subdomain,
// volumes, tolerations, priority), its containers' ports (Endpoints, EndpointSlices) and
// resources (ResourceQuota), and its whole status (the node lifecycle controller writes a pod's
// status back whole when it marks it not ready). Of a container, nothing reads the command,
// environment, mounts, probes or security context, which make most of a real pod's size: they
// are dropped; everything else is kept. The scheduler's reads of a container (pod-transform.ts
// there) are a subset, so `berth server --single-process` uses this transform for both.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import {
  defaultTransformFor,
  internStrings,
  stripManagedFieldsAndLastApplied,
  type GroupVersionResource,
  type KubeObject,
  type TransformFunc,
} from '../client/index.js';

/** The fields of a container (and init or ephemeral container) the controllers' cache keeps. */
export const CONTROLLER_CONTAINER_FIELDS = ['name', 'image', 'ports', 'resources', 'restartPolicy'] as const;

function trimContainers<C extends object>(list: C[] | undefined): C[] | undefined {
  if (!list) return list;
  return list.map((c) => {
    const kept: Record<string, unknown> = {};
    for (const k of CONTROLLER_CONTAINER_FIELDS) {
      const v = (c as Record<string, unknown>)[k];
      if (v !== undefined) kept[k] = v;
    }
    return kept as C;
  });
}

/** The pod as the controllers keep it: containers trimmed, managedFields and last-applied dropped, strings interned. */
export function controllerPodTransform(pod: Pod): Pod {
  stripManagedFieldsAndLastApplied(pod as KubeObject);
  const spec = pod.spec;
  if (spec) {
    spec.containers = trimContainers<Container>(spec.containers)!;
    if (spec.initContainers) spec.initContainers = trimContainers(spec.initContainers);
    if (spec.ephemeralContainers) spec.ephemeralContainers = trimContainers(spec.ephemeralContainers);
  }
  return internStrings(pod as KubeObject) as Pod;
}

/** The transforms of the controllers' informers: pods trimmed, other kinds as by default. */
export function controllerTransformFor(gvr: GroupVersionResource): TransformFunc<KubeObject> {
  if (!gvr.group && gvr.resource === 'pods') return controllerPodTransform as unknown as TransformFunc<KubeObject>;
  return defaultTransformFor(gvr);
}
