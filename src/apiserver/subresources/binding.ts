// pods/binding: the scheduler's write of a pod's node (upstream's BindingREST).
import { type KObject } from '../../api/object.js';
import type { ResourceType } from '../../registry/index.js';
import { conflict, invalid } from '../errors.js';
import type { RestStorage } from '../rest-storage.js';
import type { SubresourceRest } from './rest.js';
import { rfc3339 } from '../../client/time.js';

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
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() });
      status.conditions = conditions;
      // Binding is the one write that changes both spec and status of a pod.
      return pod;
    },
    { dryRun, subresource: 'binding' },
  );
}

export const binding: SubresourceRest = { create: { expects: { apiVersion: 'v1', kind: 'Binding' }, run: bindPod } };
