// Informer<T>: a reflector (list, then watch from the list's resourceVersion; re-list on 410)
// feeding an Indexer and calling handlers in event order. Re-lists are diffed against the cache
// so handlers see the adds, updates and deletes they missed, as client-go's Replace gives them.
import { isExpired, StatusError } from './errors.js';
import { Indexer, type IndexFunc, type KeyFunc } from './indexer.js';
import type { GroupVersionResource } from './paths.js';
import type { RestClient, WatchHandle } from './rest.js';
import type { KubeObject, WatchEvent } from './types.js';
import { sleep } from './time.js';
import type { Status } from 'kubernetes-types/meta/v1';
import { componentLogger } from '../log/logger.js';

/** How an informer lists and watches: a RestClient in production, anything in tests. */
export interface ListWatcher<T> {
  list(opts: { resourceVersion: string; signal: AbortSignal }): Promise<{ items: T[]; resourceVersion: string }>;
  watch(
    opts: { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number },
    onEvent: (event: WatchEvent<T>) => void,
    onClose: (err?: Error) => void,
  ): WatchHandle;
}

export interface InformerSelectors {
  /** Only this namespace (all namespaces when absent). */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `spec.nodeName=node-1` (a node agent) or `spec.nodeName=` (a scheduler). */
  fieldSelector?: string;
  /** List in pages of this many objects (default: one request). */
  pageSize?: number;
}

/** The ListWatcher of a resource through a RestClient, narrowed by namespace and selectors. */
export function listWatcher<T extends KubeObject>(client: RestClient, gvr: GroupVersionResource, sel: InformerSelectors = {}): ListWatcher<T> {
  const ref = { ...gvr, namespace: sel.namespace };
  const { labelSelector, fieldSelector } = sel;
  return {
    async list({ resourceVersion, signal }) {
      const opts = { labelSelector, fieldSelector, resourceVersion, signal };
      const list = sel.pageSize ? await client.listAll<T>(ref, { ...opts, pageSize: sel.pageSize }) : await client.list<T>(ref, opts);
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    watch(opts, onEvent, onClose) {
      return client.watch<T>(ref, { ...opts, labelSelector, fieldSelector }, onEvent, onClose);
    },
  };
}

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** Gets the last state known: the DELETED event's object, or the cache's copy after a re-list. */
  onDelete?(obj: T): void;
}

/** Rewrites an object before the cache stores it and handlers see it (client-go's TransformFunc). */
export type TransformFunc<T> = (obj: T) => T;

export interface InformerOptions<T> {
  indexers?: Record<string, IndexFunc<T>>;
  keyFunc?: KeyFunc<T>;
  /** Applied to every listed and watched object, so the cache keeps only what its readers need. */
  transform?: TransformFunc<T>;
  /** Watches last between this and twice this before the server ends them (client-go: 5 min). */
  minWatchTimeoutSeconds?: number;
  /** Wait after a failure, doubling up to backoffMaxMs (client-go: 800 ms to 30 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** For log lines. */
  name?: string;
  log?: (msg: string) => void;
}

type WatchOutcome = { kind: 'expired' } | { kind: 'failed'; err: Error } | { kind: 'ended'; events: number; ms: number; err?: Error };

/** Which resourceVersion the next list asks for: client-go's choices. */
type ListFrom = 'any' | 'last' | 'latest';

export class Informer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly abort = new AbortController();
  private readonly log: (msg: string) => void;
  private readonly name: string;
  private started = false;
  private synced = false;
  private syncWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private rv = '';
  private watchHandle?: WatchHandle;
  private closeWatch?: (o: WatchOutcome) => void;
  private failures = 0;
  private running?: Promise<void>;

  constructor(
    private readonly lw: ListWatcher<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.indexer = new Indexer<T>(opts.indexers, opts.keyFunc);
    this.name = opts.name ?? 'informer';
    this.log = opts.log ?? componentLogger('client');
  }

  /** Handlers run in event order, synchronously; one added late first sees every cached object as an add. */
  addEventHandler(h: EventHandler<T>): () => void {
    this.handlers.add(h);
    if (this.started && h.onAdd) for (const obj of this.indexer.list()) this.call(() => h.onAdd!(obj));
    return () => this.handlers.delete(h);
  }

  onAdd(fn: (obj: T) => void): this {
    this.addEventHandler({ onAdd: fn });
    return this;
  }

  onUpdate(fn: (oldObj: T, newObj: T) => void): this {
    this.addEventHandler({ onUpdate: fn });
    return this;
  }

  onDelete(fn: (obj: T) => void): this {
    this.addEventHandler({ onDelete: fn });
    return this;
  }

  /** Starts listing and watching (once); see waitForSync. */
  start(): this {
    if (this.started || this.abort.signal.aborted) return this;
    this.started = true;
    this.running = this.run();
    return this;
  }

  /** Stops the watch and the loop; the cache keeps its last contents. */
  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.watchHandle?.stop();
    this.closeWatch?.({ kind: 'failed', err: new Error('stopped') });
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error(`${this.name}: stopped before it synced`));
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache (and its adds delivered). */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.abort.signal.aborted) return Promise.reject(new Error(`${this.name}: stopped before it synced`));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.syncWaiters.push(waiter);
      if (timeoutMs !== undefined) {
        const t = setTimeout(() => {
          this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
          reject(new Error(`${this.name}: not synced within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => clearTimeout(t);
        waiter.resolve = () => (done(), resolve());
        waiter.reject = (e) => (done(), reject(e));
      }
    });
  }

  /** The resourceVersion the cache is current at (from the last list, event or bookmark). */
  lastSyncResourceVersion(): string {
    return this.rv;
  }

  getByKey(key: string): T | undefined {
    return this.indexer.getByKey(key);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.getByKey(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return this.indexer.list();
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexer.byIndex(indexName, value);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let from: ListFrom = 'any';
    while (!this.stopped) {
      try {
        await this.listAndReplace(from);
      } catch (e) {
        if (this.stopped) return;
        // A 410, or a resourceVersion the server hasn't reached: ask for the latest instead.
        if (isExpired(e) || (e instanceof StatusError && e.code === 504)) from = 'latest';
        this.log(`${this.name}: list failed: ${(e as Error).message}`);
        await this.backoff();
        continue;
      }
      from = 'last';
      while (!this.stopped) {
        const outcome = await this.watchOnce();
        if (this.stopped) return;
        if (outcome.kind === 'expired') {
          // The server forgot our resourceVersion: re-list at the latest, at once.
          from = 'latest';
          break;
        }
        if (outcome.kind === 'failed') {
          this.log(`${this.name}: watch failed, re-listing: ${outcome.err.message}`);
          await this.backoff();
          break;
        }
        // A watch the server or the network ended: resume from where we were. One that ended
        // at once with nothing (server going away, refused connection) waits first.
        if (outcome.events === 0 && outcome.ms < 1000) {
          if (outcome.err) this.log(`${this.name}: watch ended: ${outcome.err.message}`);
          await this.backoff();
        } else {
          this.failures = 0;
        }
      }
    }
  }

  private async listAndReplace(from: ListFrom): Promise<void> {
    const resourceVersion = from === 'any' ? '0' : from === 'last' ? this.rv : '';
    const list = await this.lw.list({ resourceVersion, signal: this.abort.signal });
    if (this.stopped) return;
    this.failures = 0;
    const transform = this.opts.transform;
    const deltas = this.indexer.replace(transform ? list.items.map(transform) : list.items);
    this.rv = list.resourceVersion;
    for (const d of deltas) {
      if (d.type === 'add') this.dispatch((h) => h.onAdd?.(d.obj));
      else if (d.type === 'update') this.dispatch((h) => h.onUpdate?.(d.old, d.obj));
      else this.dispatch((h) => h.onDelete?.(d.obj));
    }
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    const startedAt = Date.now();
    let events = 0;
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      const settle = (o: WatchOutcome) => {
        if (settled) return;
        settled = true;
        this.closeWatch = undefined;
        this.watchHandle?.stop();
        this.watchHandle = undefined;
        resolve(o);
      };
      this.closeWatch = settle;
      const onEvent = (ev: WatchEvent<T>) => {
        if (settled || this.stopped) return;
        if (ev.type === 'ERROR') {
          const status = ev.object as Status;
          const err = new StatusError({ ...status, code: status.code ?? 0 });
          settle(isExpired(err) ? { kind: 'expired' } : { kind: 'failed', err });
          return;
        }
        events++;
        this.apply(ev);
      };
      const onClose = (err?: Error) => {
        if (isExpired(err)) settle({ kind: 'expired' });
        else if (err instanceof StatusError) settle({ kind: 'failed', err });
        else settle({ kind: 'ended', events, ms: Date.now() - startedAt, err });
      };
      const min = this.opts.minWatchTimeoutSeconds ?? 300;
      const opts = { resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: Math.floor(min * (1 + Math.random())) };
      try {
        const handle = this.lw.watch(opts, onEvent, onClose);
        if (settled) handle.stop();
        else this.watchHandle = handle;
      } catch (e) {
        settle({ kind: 'failed', err: e as Error });
      }
      if (this.stopped) settle({ kind: 'failed', err: new Error('stopped') });
    });
  }

  private apply(ev: WatchEvent<T>): void {
    const rv = ev.object.metadata?.resourceVersion;
    const obj = ev.type === 'BOOKMARK' || !this.opts.transform ? ev.object : this.opts.transform(ev.object);
    switch (ev.type) {
      case 'BOOKMARK':
        break;
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.indexer.set(obj);
        if (old === undefined) this.dispatch((h) => h.onAdd?.(obj));
        else this.dispatch((h) => h.onUpdate?.(old, obj));
        break;
      }
      case 'DELETED': {
        // Something never seen (deleted before we listed it) is nobody's news.
        if (this.indexer.delete(obj) !== undefined) this.dispatch((h) => h.onDelete?.(obj));
        break;
      }
    }
    if (rv) this.rv = rv;
  }

  private dispatch(fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  /** A handler's bug must not stop the informer (nor the other handlers). */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log(`${this.name}: event handler failed: ${(e as Error).stack ?? e}`);
    }
  }

  private backoff(): Promise<void> {
    const initial = this.opts.backoffInitialMs ?? 800;
    const max = this.opts.backoffMaxMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const ms = base * (0.5 + Math.random() / 2);
    return sleep(ms, this.abort.signal);
  }
}

/** An informer over a resource through a client, narrowed by namespace and selectors. */
export function createInformer<T extends KubeObject>(
  client: RestClient,
  gvr: GroupVersionResource,
  opts: InformerOptions<T> & InformerSelectors = {},
): Informer<T> {
  const { namespace, labelSelector, fieldSelector, pageSize, ...rest } = opts;
  const name = rest.name ?? [gvr.resource, namespace, labelSelector, fieldSelector].filter(Boolean).join(' ');
  return new Informer<T>(listWatcher<T>(client, gvr, { namespace, labelSelector, fieldSelector, pageSize }), { ...rest, name });
}
