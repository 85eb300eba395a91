// The informer wiring the EndpointSlice and Endpoints controllers share: a Service is looked at
// again when it changes and when a pod it selects (before or after the change) does.
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { byNamespace, metaNamespaceKey, NAMESPACE_INDEX, resources, type Informer } from '../client/index.js';
import { deepEqual } from '../api/object.js';
import type { ControllerContext } from './context.js';
import { serviceSelector } from './service-pods.js';

export interface ServicePodInformers {
  services: Informer<Service>;
  pods: Informer<Pod>;
  /** The pods of the Service's namespace its selector matches (none without a selector). */
  podsOf(svc: Service): Pod[];
}

export function watchServicesAndPods(
  ctx: ControllerContext,
  enqueue: (serviceKey: string) => void,
  onServiceDelete?: (svc: Service) => void,
): ServicePodInformers {
  const services = ctx.informers.for<Service>(resources.services, { [NAMESPACE_INDEX]: byNamespace });
  const pods = ctx.informers.for<Pod>(resources.pods, { [NAMESPACE_INDEX]: byNamespace });
  const forPod = (pod: Pod) => {
    for (const svc of services.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
      if (serviceSelector(svc)?.matches(pod.metadata?.labels)) enqueue(metaNamespaceKey(svc));
    }
  };
  services.addEventHandler({
    onAdd: (svc) => enqueue(metaNamespaceKey(svc)),
    onUpdate: (_old, cur) => enqueue(metaNamespaceKey(cur)),
    onDelete: (svc) => {
      onServiceDelete?.(svc);
      enqueue(metaNamespaceKey(svc));
    },
  });
  pods.addEventHandler({
    onAdd: forPod,
    onUpdate: (old, cur) => {
      if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
      forPod(cur);
      // A pod that stopped matching leaves the Services that selected it.
      if (!deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})) forPod(old);
    },
    onDelete: forPod,
  });
  return {
    services,
    pods,
    podsOf(svc) {
      const sel = serviceSelector(svc);
      if (!sel) return [];
      return pods.byIndex(NAMESPACE_INDEX, svc.metadata?.namespace ?? '').filter((p) => sel.matches(p.metadata?.labels));
    },
  };
}
