// The Endpoints controller (upstream pkg/controller/endpoint): the legacy core/v1 Endpoints of
// every Service with a selector, for clients older than EndpointSlices. Endpoints carry no owner
// reference upstream, so this controller deletes them itself when their Service goes (and, at
// start, those whose Service went while it was not running).
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import { isConflict, isNotFound, metaNamespaceKey, resources, runWorkers, splitMetaNamespaceKey, WorkQueue, type Informer } from '../../client/index.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { hasStatusCause, NAMESPACE_TERMINATING_CAUSE } from '../pod-control.js';
import { lastChangeTriggerTime, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, serviceSelector } from '../service-pods.js';
import { watchServicesAndPods, type ServicePodInformers } from '../service-informers.js';
import { desiredSubsets, truncateSubsets } from './subsets.js';

export { desiredSubsets, truncateSubsets, MAX_ENDPOINTS_ADDRESSES } from './subsets.js';

export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** The events' source, upstream's name. */
const COMPONENT = 'endpoint-controller';
/** Endpoints used as a leader-election lock by old components: never deleted as leftovers. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export interface EndpointsControllerOptions {
  workers?: number;
}

export function newEndpointsController(ctx: ControllerContext, opts: EndpointsControllerOptions = {}): Controller {
  return new EndpointsController(ctx, opts);
}

class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly queue = new WorkQueue<string>({ name: 'endpoints' });
  private readonly informers: ServicePodInformers;
  private readonly endpoints: Informer<Endpoints>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: EndpointsControllerOptions,
  ) {
    this.informers = watchServicesAndPods(ctx, (key) => this.queue.add(key));
    this.endpoints = ctx.informers.for<Endpoints>(resources.endpoints);
    // Someone deleting or editing managed Endpoints gets them put back.
    this.endpoints.addEventHandler({
      onUpdate: (_o, cur) => this.queueIfManaged(cur),
      onDelete: (ep) => this.queueIfManaged(ep),
    });
  }

  private queueIfManaged(ep: Endpoints): void {
    const svc = this.informers.services.getByKey(metaNamespaceKey(ep));
    if (svc && serviceSelector(svc)) this.queue.add(metaNamespaceKey(ep));
  }

  async run(signal: AbortSignal): Promise<void> {
    // Endpoints whose Service was deleted while nothing was watching (upstream checkLeftoverEndpoints).
    for (const ep of this.endpoints.list()) {
      if (ep.metadata?.annotations?.[LEADER_ANNOTATION] !== undefined) continue;
      if (!this.informers.services.getByKey(metaNamespaceKey(ep))) this.queue.add(metaNamespaceKey(ep));
    }
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`endpoints ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const ref = { ...resources.endpoints, namespace, name };
    const svc = this.informers.services.getByKey(key);
    if (!svc) {
      if (!this.endpoints.getByKey(key)) return;
      await this.ctx.client.delete(ref).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
      return;
    }
    if (!serviceSelector(svc) || svc.metadata?.deletionTimestamp) return;
    const pods = this.informers.podsOf(svc);
    const subsets = desiredSubsets(svc, pods);
    const truncated = truncateSubsets(subsets);
    const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];
    const current = this.endpoints.getByKey(key);
    if (
      current &&
      deepEqual(normalize(current.subsets ?? []), normalize(subsets)) &&
      deepEqual(current.metadata?.labels ?? {}, labels) &&
      (current.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated') === truncated
    ) {
      return;
    }
    const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
    const trigger = lastChangeTriggerTime(svc, pods);
    if (trigger) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = trigger;
    else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const obj: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? {}), name, namespace, labels, annotations },
      subsets,
    };
    try {
      if (current) await this.ctx.client.update<Endpoints>(ref, obj);
      else await this.ctx.client.create<Endpoints>({ ...resources.endpoints, namespace }, obj);
    } catch (e) {
      // Nothing is created in a namespace being deleted, nor needs to be.
      if (hasStatusCause(e, NAMESPACE_TERMINATING_CAUSE)) return;
      // Upstream's event; a conflict is only a stale cache and is retried quietly.
      if (!isConflict(e))
        this.ctx
          .recorder(COMPONENT)
          .event(
            svc.kind ? svc : { ...svc, apiVersion: 'v1', kind: 'Service' },
            'Warning',
            'FailedToUpdateEndpoint',
            `Failed to update endpoint ${key}: ${(e as Error).message}`,
          );
      throw e;
    }
  }
}

/** Subsets as the server returns them (undefined fields dropped), to compare with the cache. */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}
