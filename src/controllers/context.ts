// What every controller gets: the API client, one shared informer per resource (so the pod
// informer is one watch however many controllers read pods), event recorders, and a log.
import { EventRecorder, SharedInformerFactory, type InformerScope, type RestClient } from '../client/index.js';
import { controllerTransformFor } from './pod-transform.js';

export interface Controller {
  readonly name: string;
  /** Starts the controller's workers; informers are started and synced by the manager. */
  run(signal: AbortSignal): Promise<void> | void;
}

export interface ControllerContext {
  client: RestClient;
  /** The controllers' view of the shared informers: ctx.informers.for(resource, indexes). */
  informers: InformerScope;
  /** An event recorder whose source.component is the given controller name. */
  recorder(component: string): EventRecorder;
  log: (m: string) => void;
}

/**
 * A context over the process's shared informers (berth server's, which the scheduler reads too),
 * or over a factory of the controllers' own, shut down with them.
 */
export function newControllerContext(client: RestClient, log: (m: string) => void, shared?: SharedInformerFactory): ControllerContext {
  const informers = shared
    ? shared.scope()
    : new SharedInformerFactory(client, { name: 'controllers', log, transformFor: controllerTransformFor }).scope({ shutdownFactoryOnStop: true });
  return withClient({ informers, log }, client);
}

/**
 * A context on the same shared informers whose writes and events go through another client: a
 * controller acting as its own identity reads what the manager's informers hold (as upstream,
 * whose informer factory uses the manager's root client) and writes as itself.
 */
export function withClient(base: Pick<ControllerContext, 'informers' | 'log'>, client: RestClient): ControllerContext {
  const { informers, log } = base;
  const recorders = new Map<string, EventRecorder>();
  return {
    client,
    informers,
    recorder(component) {
      let r = recorders.get(component);
      if (!r) {
        r = new EventRecorder({ client, component, log });
        recorders.set(component, r);
      }
      return r;
    },
    log,
  };
}
