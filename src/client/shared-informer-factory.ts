// SharedInformerFactory: as client-go's, one informer (one list and one watch) per resource,
// namespace and selectors in a process, however many consumers read it. Consumers register
// their handlers and indexes on the shared informer; the factory starts what was asked for,
// says when all of it has synced, and applies one transform before anything is cached (by
// default, transform.ts's: managedFields dropped). A consumer that comes and goes (a scheduler
// or controller manager that loses its lease and campaigns again) takes a scope, whose handlers
// are removed when it ends, while the informers keep running for the others.
import { Informer, listWatcher, type ListWatcher, type InformerSelectors, type TransformFunc } from './informer.js';
import type { IndexFunc } from './indexer.js';
import type { GroupVersionResource } from './paths.js';
import type { RestClient } from './rest.js';
import type { KubeObject } from './types.js';
import { defaultTransformFor } from './transform.js';

export interface SharedInformerFactoryOptions {
  /** Names the informers in log lines: "NAME pods". */
  name?: string;
  log?: (msg: string) => void;
  /** Lists in pages of this many objects (default 5000). */
  pageSize?: number;
  /** The transform of a resource's informer; default defaultTransformFor (no transform: () => undefined). */
  transformFor?: (gvr: GroupVersionResource) => TransformFunc<KubeObject> | undefined;
  /** How a resource is listed and watched: through the client by default (tests script it). */
  listWatcher?: (gvr: GroupVersionResource, sel: InformerSelectors) => ListWatcher<KubeObject>;
  /** Passed to every informer (tests shorten them). */
  minWatchTimeoutSeconds?: number;
  backoffInitialMs?: number;
}

/** Which resource and which part of it an informer holds; selectors make distinct informers. */
export type InformerSelection = Pick<InformerSelectors, 'namespace' | 'labelSelector' | 'fieldSelector'>;

function informerKey(gvr: GroupVersionResource, sel: InformerSelection): string {
  return [gvr.group ?? '', gvr.version, gvr.resource, sel.namespace ?? '', sel.labelSelector ?? '', sel.fieldSelector ?? ''].join('|');
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private shuttingDown = false;

  constructor(
    private readonly client: RestClient | undefined,
    private readonly opts: SharedInformerFactoryOptions = {},
  ) {
    if (!client && !opts.listWatcher) throw new Error('SharedInformerFactory needs a client or a listWatcher');
  }

  /**
   * The shared informer of a resource (all namespaces and objects unless narrowed). Indexes asked
   * for are added to it, before or after it started (the indexer builds them from its contents).
   */
  for<T extends KubeObject>(gvr: GroupVersionResource, indexers: Record<string, IndexFunc<T>> = {}, sel: InformerSelection = {}): Informer<T> {
    const key = informerKey(gvr, sel);
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      if (this.shuttingDown) throw new Error(`informer for ${gvr.resource} asked for after shutdown`);
      const what = [gvr.resource, sel.namespace, sel.labelSelector, sel.fieldSelector].filter(Boolean).join(' ');
      const lw = this.opts.listWatcher
        ? (this.opts.listWatcher(gvr, sel) as unknown as ListWatcher<T>)
        : listWatcher<T>(this.client!, gvr, { ...sel, pageSize: this.opts.pageSize ?? 5000 });
      const transform = (this.opts.transformFor ?? defaultTransformFor)(gvr) as TransformFunc<T> | undefined;
      inf = new Informer<T>(lw, {
        indexers,
        transform,
        name: this.opts.name ? `${this.opts.name} ${what}` : what,
        log: this.opts.log,
        minWatchTimeoutSeconds: this.opts.minWatchTimeoutSeconds,
        backoffInitialMs: this.opts.backoffInitialMs,
      });
      this.informers.set(key, inf as unknown as Informer<KubeObject>);
    } else {
      for (const [name, fn] of Object.entries(indexers)) inf.indexer.addIndex(name, fn);
    }
    return inf;
  }

  /** Starts every informer asked for and not started yet; call again after asking for more. */
  start(): void {
    if (this.shuttingDown) return;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Whether every informer asked for has its first list in the cache. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Resolves when every informer asked for so far has synced (they must have been started). */
  async waitForCacheSync(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(timeoutMs)));
  }

  /** How many informers (so lists and watches) this factory holds. */
  get size(): number {
    return this.informers.size;
  }

  /** Stops every informer; the factory hands out no new ones afterwards. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  /** A consumer's view of this factory; see InformerScope. */
  scope(opts: { shutdownFactoryOnStop?: boolean } = {}): InformerScope {
    return new InformerScope(this, opts.shutdownFactoryOnStop ?? false);
  }
}

/**
 * One consumer's use of a factory: the informers it asked for, and the handlers it registered
 * on them, which stop() removes. The informers it returns are the shared ones, seen through a
 * proxy that records each handler's removal function.
 */
export class InformerScope {
  private readonly used = new Set<Informer<KubeObject>>();
  private readonly removers: Array<() => void> = [];
  private readonly views = new Map<Informer<KubeObject>, Informer<KubeObject>>();
  private stopped = false;

  constructor(
    readonly factory: SharedInformerFactory,
    private readonly shutdownFactoryOnStop: boolean,
  ) {}

  for<T extends KubeObject>(gvr: GroupVersionResource, indexers: Record<string, IndexFunc<T>> = {}, sel: InformerSelection = {}): Informer<T> {
    const inf = this.factory.for<T>(gvr, indexers, sel) as unknown as Informer<KubeObject>;
    this.used.add(inf);
    let view = this.views.get(inf);
    if (!view) {
      view = this.track(inf);
      this.views.set(inf, view);
    }
    return view as unknown as Informer<T>;
  }

  /** Starts the factory's informers and waits for those this consumer asked for. */
  async start(timeoutMs?: number): Promise<void> {
    this.factory.start();
    await Promise.all([...this.used].map((i) => i.waitForSync(timeoutMs)));
  }

  hasSynced(): boolean {
    return [...this.used].every((i) => i.hasSynced());
  }

  /** Removes this consumer's handlers (and shuts the factory down if the scope owns it). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const remove of this.removers.splice(0)) remove();
    if (this.shutdownFactoryOnStop) await this.factory.shutdown();
  }

  private track(inf: Informer<KubeObject>): Informer<KubeObject> {
    const removers = this.removers;
    const isStopped = () => this.stopped;
    // onAdd/onUpdate/onDelete call this.addEventHandler, so through the proxy they are tracked too.
    return new Proxy(inf, {
      get(target, prop, receiver) {
        if (prop === 'addEventHandler') {
          return (h: Parameters<Informer<KubeObject>['addEventHandler']>[0]) => {
            if (isStopped()) throw new Error('handler added through a stopped informer scope');
            const remove = target.addEventHandler(h);
            removers.push(remove);
            return remove;
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  }
}
