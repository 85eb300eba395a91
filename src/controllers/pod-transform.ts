// What the controllers' pod informer keeps of a pod (issue #17). The controllers read a pod's
// metadata (GC: ownerReferences, finalizers; the workload controllers: labels, hash labels,
// deletionTimestamp), its spec's scheduling and identity fields (nodeName, hostname, subdomain,
// tolerations, priority), the claims its volumes name (PVC protection), its containers' ports
// (Endpoints, EndpointSlices) and resources (ResourceQuota), and its status but for its
// container statuses' runtime ids (nothing writes a cached pod's status back whole: the node
// lifecycle controller patches the Ready condition alone). Of a container, nothing reads the command, environment, mounts, probes or security context, which
// make most of a real pod's size, and of volumes nothing but their claims: the rest is dropped;
// everything else is kept. The scheduler's reads of containers and volumes (pod-transform.ts
// there) are a subset, so `berth server --single-process` uses this transform for both.
import type { Container, ContainerStatus, Pod, Volume } from 'kubernetes-types/core/v1';
import {
  defaultTransformFor,
  internStrings,
  sharePodParts,
  volumesNamingClaims,
  stripManagedFieldsAndLastApplied,
  type GroupVersionResource,
  type KubeObject,
  type TransformFunc,
} from '../client/index.js';

/** The fields of a container (and init or ephemeral container) the controllers' cache keeps. */
export const CONTROLLER_CONTAINER_FIELDS = ['name', 'image', 'ports', 'resources', 'restartPolicy'] as const;

/**
 * The fields of a volume kept: the claims it names (PVC protection; a StatefulSet's pods' claims).
 * Volumes naming no claim (the projected service-account token, configMap and emptyDir volumes
 * most pods carry) are read by no controller and dropped whole.
 */
export const CONTROLLER_VOLUME_FIELDS = ['name', 'persistentVolumeClaim', 'ephemeral'] as const;

function pick<C extends object>(list: C[] | undefined, fields: readonly string[]): C[] | undefined {
  if (!list) return list;
  return list.map((c) => {
    const kept: Record<string, unknown> = {};
    for (const k of fields) {
      const v = (c as Record<string, unknown>)[k];
      if (v !== undefined) kept[k] = v;
    }
    return kept as C;
  });
}

/**
 * Of a container status, the runtime's ids: unique to each pod (so they also keep its statuses
 * from being shared with its siblings', share.ts) and read by no controller, which read a
 * status's name, restartCount, ready and state.
 */
export const UNREAD_CONTAINER_STATUS_FIELDS = ['containerID', 'imageID'] as const;

/** What a pod whose volumes name no claim keeps: one frozen empty list for all of them. */
const NO_VOLUMES: Volume[] = Object.freeze([]) as unknown as Volume[];

/** A copy without the runtime ids: deleting them would turn each status into a V8 dictionary. */
function withoutRuntimeIds(cs: ContainerStatus): ContainerStatus {
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cs)) if (!(UNREAD_CONTAINER_STATUS_FIELDS as readonly string[]).includes(k)) kept[k] = v;
  return kept as unknown as ContainerStatus;
}

const trimContainers = <C extends object>(list: C[] | undefined) => pick(list, CONTROLLER_CONTAINER_FIELDS);

/**
 * The pod as the controllers keep it: containers trimmed, container statuses without their
 * runtime ids, managedFields and last-applied dropped, strings interned, and the parts equal
 * across pods shared (share.ts: labels, owner references, containers... one frozen object for
 * all the replicas of a template).
 */
export function controllerPodTransform(pod: Pod): Pod {
  stripManagedFieldsAndLastApplied(pod as KubeObject);
  const spec = pod.spec;
  if (spec) {
    spec.containers = trimContainers<Container>(spec.containers)!;
    if (spec.initContainers) spec.initContainers = trimContainers(spec.initContainers);
    if (spec.ephemeralContainers) spec.ephemeralContainers = trimContainers(spec.ephemeralContainers);
    // Not `delete`: deleting a property V8 did not add last turns the object into a dictionary
    // (800 bytes more for every cached pod's spec).
    if (spec.volumes) spec.volumes = pick(volumesNamingClaims(spec.volumes), CONTROLLER_VOLUME_FIELDS) ?? NO_VOLUMES;
  }
  const status = pod.status as Record<string, ContainerStatus[] | undefined> | undefined;
  if (status) {
    for (const k of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
      const list = status[k];
      if (list) status[k] = list.map(withoutRuntimeIds);
    }
  }
  return sharePodParts(internStrings(pod as KubeObject)) as Pod;
}

/** The transforms of the controllers' informers: pods trimmed, other kinds as by default. */
export function controllerTransformFor(gvr: GroupVersionResource): TransformFunc<KubeObject> {
  if (!gvr.group && gvr.resource === 'pods') return controllerPodTransform as unknown as TransformFunc<KubeObject>;
  return defaultTransformFor(gvr);
}
