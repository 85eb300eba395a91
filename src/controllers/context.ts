// What every controller gets: the API client, one shared informer per resource (so the pod
// informer is one watch however many controllers read pods), event recorders, and a log.
import { createInformer, EventRecorder, type GroupVersionResource, type Informer, type KubeObject, type RestClient, type IndexFunc } from '../client/index.js';

export interface Controller {
  readonly name: string;
  /** Starts the controller's workers; informers are started and synced by the manager. */
  run(signal: AbortSignal): Promise<void> | void;
}

export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: RestClient,
    private readonly log: (m: string) => void,
  ) {}

  /** The shared informer of a resource; indexes asked for are added before it starts. */
  for<T extends KubeObject>(gvr: GroupVersionResource, indexers: Record<string, IndexFunc<T>> = {}): Informer<T> {
    const key = `${gvr.group ?? ''}/${gvr.version}/${gvr.resource}`;
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      if (this.started) throw new Error(`informer for ${key} asked for after start`);
      inf = createInformer<T>(this.client, gvr, { name: `controllers ${gvr.resource}`, log: this.log, pageSize: 5000, indexers });
      this.informers.set(key, inf as unknown as Informer<KubeObject>);
    } else {
      for (const [name, fn] of Object.entries(indexers)) inf.indexer.addIndex(name, fn);
    }
    return inf;
  }

  async start(timeoutMs?: number): Promise<void> {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(timeoutMs)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

export interface ControllerContext {
  client: RestClient;
  informers: SharedInformers;
  /** An event recorder whose source.component is the given controller name. */
  recorder(component: string): EventRecorder;
  log: (m: string) => void;
}

export function newControllerContext(client: RestClient, log: (m: string) => void): ControllerContext {
  return withClient({ informers: new SharedInformers(client, log), log }, client);
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
