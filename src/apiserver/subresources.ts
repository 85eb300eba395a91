// Subresources with their own shapes: scale (autoscaling/v1 Scale), binding and eviction.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { clone, type KObject } from '../api/object.js';
import { labelSelectorAsString } from '../api/labels.js';
import type { ResourceType } from '../api/registry.js';
import { invalid as invalidField } from '../api/field-errors.js';
import { ApiError, conflict, invalid } from './errors.js';
import type { RestStorage } from './rest-storage.js';

export const SCALE_KIND = { apiVersion: 'autoscaling/v1', kind: 'Scale' } as const;

export function toScale(obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: spec.selector ? labelSelectorAsString(spec.selector) : '' },
  };
}

/** Applies a Scale's spec.replicas to the object it scales. */
export function fromScale(obj: KObject, scale: KObject): KObject {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', obj.metadata.name ?? '', [invalidField('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  }
  const next = clone(obj);
  next.spec = { ...(next.spec as object), replicas };
  return next;
}

/** POST pods/NAME/binding: assigns the pod to a node, once (as the scheduler's binder does). */
export async function bindPod(storage: RestStorage, r: ResourceType, namespace: string, name: string, binding: KObject, dryRun: boolean): Promise<void> {
  const target = (binding.target ?? {}) as { kind?: string; name?: string };
  if (!target.name) throw invalid('Binding', '', name, [{ type: 'FieldValueRequired', field: 'target.name' }]);
  if (target.kind && target.kind !== 'Node') {
    throw invalid('Binding', '', name, [{ type: 'FieldValueNotSupported', field: 'target.kind', value: target.kind, detail: 'supported values: "Node"' }]);
  }
  const uid = binding.metadata.uid;
  await storage.update(
    r,
    namespace,
    name,
    (pod) => {
      const spec = pod.spec as { nodeName?: string };
      if (uid && uid !== pod.metadata.uid) throw conflict(r, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`);
      if (pod.metadata.deletionTimestamp) throw conflict(r, name, 'pod is being deleted, cannot be assigned to a host');
      if (spec.nodeName) throw conflict(r, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = target.name;
      const status = (pod.status ??= {}) as { conditions?: Array<Record<string, unknown>> };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
      status.conditions = conditions;
      // Binding is the one write that changes both spec and status of a pod.
      return pod;
    },
    { dryRun, subresource: 'binding' },
  );
}

/** POST pods/NAME/eviction: a delete that would respect disruption budgets (none exist yet). */
export async function evictPod(storage: RestStorage, r: ResourceType, namespace: string, name: string, eviction: KObject, dryRun: boolean): Promise<void> {
  if (eviction.metadata.name && eviction.metadata.name !== name) {
    throw new ApiError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
  }
  const options = (eviction.deleteOptions ?? {}) as Record<string, unknown>;
  await storage.delete(r, namespace, name, options, { dryRun });
}
