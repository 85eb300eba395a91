// The EndpointSlice controller (upstream pkg/controller/endpointslice): for every Service with a
// selector, EndpointSlices listing the pods it selects, at most --max-endpoints-per-slice each,
// owned by the Service (the garbage collector removes them with it). Slices of Services without
// a selector are not this controller's (the agents keep kube-dns's, users keep their own).
import type { Node, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { isConflict, isNotFound, metaNamespaceKey, resources, runWorkers, WorkQueue, type Informer } from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { hasStatusCause, NAMESPACE_TERMINATING_CAUSE } from '../pod-control.js';
import { lastChangeTriggerTime, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, serviceSelector } from '../service-pods.js';
import { watchServicesAndPods, type ServicePodInformers } from '../service-informers.js';
import { CONTROLLER_MANAGED_BY, DEFAULT_MAX_ENDPOINTS_PER_SLICE, desiredPortGroups, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_ZONE } from './desired.js';
import { reconcileSlices } from './reconciler.js';
import { SliceTracker } from './tracker.js';

export {
  desiredPortGroups,
  endpointPorts,
  podToEndpoint,
  DEFAULT_MAX_ENDPOINTS_PER_SLICE,
  LABEL_SERVICE_NAME,
  LABEL_MANAGED_BY,
  CONTROLLER_MANAGED_BY,
} from './desired.js';
export { reconcileSlices } from './reconciler.js';

export interface EndpointSliceControllerOptions {
  /** --max-endpoints-per-slice (upstream default 100, at most 1000). */
  maxEndpointsPerSlice?: number;
  workers?: number;
}

const SERVICE_INDEX = 'endpointslice:service';
/** The events' source, upstream's name. */
const COMPONENT = 'endpoint-slice-controller';
/** How long to wait for the cache to catch up with the controller's own writes. */
const STALE_CACHE_RETRY_MS = 100;

/** Slices this controller manages, by the key of their Service. */
function byManagedService(slice: EndpointSlice): string[] {
  const labels = slice.metadata?.labels;
  if (labels?.[LABEL_MANAGED_BY] !== CONTROLLER_MANAGED_BY || !labels[LABEL_SERVICE_NAME]) return [];
  return [`${slice.metadata?.namespace}/${labels[LABEL_SERVICE_NAME]}`];
}

export function newEndpointSliceController(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}): Controller {
  return new EndpointSliceController(ctx, opts);
}

class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly queue = new WorkQueue<string>({ name: 'endpointslice' });
  private readonly informers: ServicePodInformers;
  private readonly nodes: Informer<Node>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly tracker = new SliceTracker();
  private readonly max: number;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: EndpointSliceControllerOptions,
  ) {
    this.max = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
    if (!Number.isInteger(this.max) || this.max < 1 || this.max > 1000)
      throw new Error(`--max-endpoints-per-slice must be between 1 and 1000, got ${this.max}`);
    this.informers = watchServicesAndPods(ctx, (key) => this.queue.add(key));
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.slices = ctx.informers.for<EndpointSlice>(resources.endpointslices, { [SERVICE_INDEX]: byManagedService });
    const onSlice = (s: EndpointSlice) => {
      for (const key of byManagedService(s)) this.queue.add(key);
    };
    // Someone else editing or deleting a managed slice gets it put back.
    this.slices.addEventHandler({
      onAdd: onSlice,
      onUpdate: (_o, cur) => onSlice(cur),
      onDelete: (s) => {
        for (const key of byManagedService(s)) this.tracker.sawDeleted(key, s.metadata!.name!);
        onSlice(s);
      },
    });
    // A node's zone label is part of its endpoints.
    this.nodes.addEventHandler({
      onUpdate: (old, cur) => {
        if (old.metadata?.labels?.[LABEL_ZONE] === cur.metadata?.labels?.[LABEL_ZONE]) return;
        for (const pod of this.informers.pods.list()) {
          if (pod.spec?.nodeName !== cur.metadata?.name) continue;
          for (const svc of this.informers.services.list())
            if (serviceSelector(svc)?.matches(pod.metadata?.labels) && svc.metadata?.namespace === pod.metadata?.namespace)
              this.queue.add(metaNamespaceKey(svc));
        }
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`endpointslice ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private async sync(key: string): Promise<void> {
    const svc = this.informers.services.getByKey(key);
    if (!svc) {
      // Its slices go with it: they are owned by it (garbage collector).
      this.tracker.forget(key);
      return;
    }
    if (!serviceSelector(svc) || svc.metadata?.deletionTimestamp) return;
    const existing = this.slices.byIndex(SERVICE_INDEX, key);
    if (!this.tracker.cacheIsCurrent(key, existing)) {
      this.queue.addAfter(key, STALE_CACHE_RETRY_MS);
      return;
    }
    const pods = this.informers.podsOf(svc);
    const desired = desiredPortGroups(svc, pods, (name) => this.nodes.get(undefined, name));
    const changes = reconcileSlices(svc, existing, desired, this.max);
    // Slices written anyway say when the change they carry happened (upstream does the same).
    const trigger = lastChangeTriggerTime(svc, pods);
    if (trigger)
      for (const s of [...changes.create, ...changes.update])
        s.metadata = { ...s.metadata, annotations: { ...s.metadata?.annotations, [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: trigger } };
    const ns = svc.metadata!.namespace!;
    const client = this.ctx.client;
    const errors: unknown[] = [];
    const attempt = async (write: () => Promise<void>) => {
      try {
        await write();
      } catch (e) {
        // Nothing can be created in a namespace being deleted, nor needs to be. Anything else
        // (a conflict: changed under us) is retried from a fresh cache.
        if (!hasStatusCause(e, NAMESPACE_TERMINATING_CAUSE)) errors.push(e);
      }
    };
    // Deletes last: a Service never shows fewer endpoints in between than before or after.
    await Promise.all(
      changes.create.map((s) =>
        attempt(async () => this.tracker.wrote(key, await client.create<EndpointSlice>({ ...resources.endpointslices, namespace: ns }, s))),
      ),
    );
    await Promise.all(
      changes.update.map((s) =>
        attempt(async () =>
          this.tracker.wrote(key, await client.update<EndpointSlice>({ ...resources.endpointslices, namespace: ns, name: s.metadata!.name! }, s)),
        ),
      ),
    );
    await Promise.all(
      changes.delete.map((s) =>
        attempt(async () => {
          await client.delete({ ...resources.endpointslices, namespace: ns, name: s.metadata!.name! }).catch((e) => {
            if (!isNotFound(e)) throw e;
          });
          this.tracker.deleted(key, s.metadata!.name!);
        }),
      ),
    );
    if (errors.length) {
      // Upstream's event; a conflict is only a stale cache and is retried quietly.
      if (!errors.every(isConflict))
        this.ctx
          .recorder(COMPONENT)
          .event(
            withServiceKind(svc),
            'Warning',
            'FailedToUpdateEndpointSlices',
            `Error updating Endpoint Slices for Service ${key}: ${(errors.find((e) => !isConflict(e)) as Error)?.message}`,
          );
      throw errors[0];
    }
  }
}

/** Lists may leave kind out; events need it. */
function withServiceKind(svc: Service): Service {
  return svc.kind ? svc : { ...svc, apiVersion: 'v1', kind: 'Service' };
}
