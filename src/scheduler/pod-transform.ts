// What the scheduler keeps of a pod when it has its own informers (`berth scheduler`, and the
// scheduler child process of `berth server`), issue #17: upstream's scheduler caches pods whole,
// but its cache holds every pod of the cluster, and scheduling reads a small part of each. The
// kept fields are listed here, explicitly; pod-transform.test.ts runs the plugins, the queue,
// preemption and the status writer over pods that record what is read, and fails when anything
// outside this list is. When the scheduler shares the informers of `berth server --single-process`
// with the controllers, this transform is not used: they read more.
import type { Pod, PodCondition, Volume } from 'kubernetes-types/core/v1';
import {
  defaultTransformFor,
  internStrings,
  sharePodParts,
  volumesNamingClaims,
  type GroupVersionResource,
  type KubeObject,
  type TransformFunc,
} from '../client/index.js';

/** Paths kept; everything below a kept path is kept. `[]` is any element of a list. */
export const SCHEDULER_POD_FIELDS = [
  // An event's involvedObject, and which object a binding or status patch is for.
  'apiVersion',
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.resourceVersion',
  // Queue order (PrioritySort ties) and preemption's victim order without a start time.
  'metadata.creationTimestamp',
  'metadata.deletionTimestamp',
  // Inter-pod affinity, topology spread, PodDisruptionBudgets in preemption.
  'metadata.labels',
  'spec.nodeName',
  'spec.schedulerName',
  'spec.priority',
  'spec.preemptionPolicy',
  'spec.nodeSelector',
  'spec.affinity',
  'spec.tolerations',
  'spec.topologySpreadConstraints',
  'spec.schedulingGates',
  // Claims (VolumeBinding, VolumeRestrictions, NodeVolumeLimits); not the projected token,
  // configMap or emptyDir volumes most pods carry, which every plugin skips: the transform
  // drops volumes naming no claim whole.
  'spec.volumes[].name',
  'spec.volumes[].persistentVolumeClaim',
  'spec.volumes[].ephemeral',
  'spec.overhead',
  // Requests (NodeResourcesFit, BalancedAllocation), host ports, images (ImageLocality), and
  // which init containers are sidecars (restartPolicy Always).
  'spec.containers[].name',
  'spec.containers[].image',
  'spec.containers[].resources',
  'spec.containers[].ports',
  'spec.initContainers[].name',
  'spec.initContainers[].image',
  'spec.initContainers[].resources',
  'spec.initContainers[].ports',
  'spec.initContainers[].restartPolicy',
  'status.phase',
  'status.nominatedNodeName',
  'status.startTime',
  // Only the PodScheduled condition: the status writer compares its reason and message.
  'status.conditions[]',
] as const;

/** Condition types kept in status.conditions. */
export const SCHEDULER_POD_CONDITIONS = new Set(['PodScheduled']);

/**
 * Whether a path (as in SCHEDULER_POD_FIELDS, `[]` for list elements) is kept by the transform:
 * a kept field, something inside one, or an object on the way to one ("spec.containers[]").
 */
export function keptBySchedulerTransform(path: string): boolean {
  const under = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return SCHEDULER_POD_FIELDS.some((k) => under(path, k) || under(k, path));
}

type Tree = { [key: string]: Tree | true };

/** SCHEDULER_POD_FIELDS as a tree: "spec" -> "containers[]" -> "name" -> true. */
function fieldTree(): Tree {
  const root: Tree = {};
  for (const path of SCHEDULER_POD_FIELDS) {
    const parts = path.split('.');
    let node = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = true;
      else node = (node[p] ??= {}) as Tree;
    });
  }
  return root;
}

const TREE = fieldTree();

function keep(v: unknown, tree: Tree): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(tree)) {
    const list = k.endsWith('[]');
    const key = list ? k.slice(0, -2) : k;
    const val = (v as Record<string, unknown>)[key];
    if (val === undefined) continue;
    if (sub === true) out[key] = val;
    else if (list) out[key] = Array.isArray(val) ? val.map((e) => keep(e, sub)) : val;
    else out[key] = keep(val, sub);
  }
  return out;
}

/**
 * The pod as the scheduler keeps it: only SCHEDULER_POD_FIELDS, strings interned, and the parts
 * equal across pods shared (share.ts: the replicas of a template hold one frozen copy of its
 * labels, containers, tolerations...). The pod received is changed too (its volumes and
 * conditions narrowed): informers hand over objects fresh from the wire.
 */
export function schedulerPodTransform(pod: Pod): Pod {
  // Lists narrowed on the object received, which is dropped after: deleting a property from
  // a kept object would turn it into a dictionary (800 bytes more per cached pod).
  const spec = pod.spec as { volumes?: Volume[] } | undefined;
  if (spec?.volumes) {
    const claims = volumesNamingClaims(spec.volumes);
    if (claims) spec.volumes = claims;
    else delete spec.volumes;
  }
  const status = pod.status as { conditions?: PodCondition[] } | undefined;
  if (status?.conditions) {
    // slice: filter's result keeps room to grow (15 slots for one condition, per cached pod).
    const wanted = status.conditions.filter((c) => SCHEDULER_POD_CONDITIONS.has(c.type)).slice();
    if (wanted.length) status.conditions = wanted;
    else delete status.conditions;
  }
  const kept = keep(pod, TREE) as Pod;
  return sharePodParts(internStrings(kept as KubeObject)) as Pod;
}

/** The transforms of the scheduler's own informers: pods trimmed, other kinds as by default. */
export function schedulerTransformFor(gvr: GroupVersionResource): TransformFunc<KubeObject> {
  if (!gvr.group && gvr.resource === 'pods') return schedulerPodTransform as unknown as TransformFunc<KubeObject>;
  return defaultTransformFor(gvr);
}
