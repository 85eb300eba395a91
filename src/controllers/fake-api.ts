// An in-memory API server for controller unit tests: the RestClient calls controllers and
// informers make (list, watch, get, create, update, updateStatus, patch, delete) over maps,
// with resourceVersions, uids, generateName, generation bumps, optimistic concurrency, the real
// defaulting and patch code, and watch events delivered asynchronously in order, as a server would.
import { randomUUID } from 'node:crypto';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import {
  StatusError,
  rfc3339,
  type KubeObject,
  type Mutable,
  type ResourceRef,
  type RestClient,
  type WatchEvent,
  type WatchEventType,
  type WatchHandle,
} from '../client/index.js';
import { resources } from '../registry/index.js';
import { applyPatch, type PatchType as ContentType } from '../api/patch/index.js';
import { deepEqual } from '../api/object.js';
import { newControllerContext, type Controller, type ControllerContext } from './context.js';

type Obj = { apiVersion?: string; kind?: string; metadata?: Mutable<ObjectMeta>; spec?: unknown; status?: unknown };
type Verb = 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';

const KINDS: Record<string, { kind: string; apiVersion: string; generation?: boolean; status?: boolean }> = {
  '/pods': { kind: 'Pod', apiVersion: 'v1', status: true },
  '/nodes': { kind: 'Node', apiVersion: 'v1', status: true },
  '/events': { kind: 'Event', apiVersion: 'v1' },
  '/namespaces': { kind: 'Namespace', apiVersion: 'v1', status: true },
  '/replicationcontrollers': { kind: 'ReplicationController', apiVersion: 'v1', generation: true, status: true },
  'apps/replicasets': { kind: 'ReplicaSet', apiVersion: 'apps/v1', generation: true, status: true },
  'apps/daemonsets': { kind: 'DaemonSet', apiVersion: 'apps/v1', generation: true, status: true },
  'apps/statefulsets': { kind: 'StatefulSet', apiVersion: 'apps/v1', generation: true, status: true },
  'apps/controllerrevisions': { kind: 'ControllerRevision', apiVersion: 'apps/v1' },
  'apps/deployments': { kind: 'Deployment', apiVersion: 'apps/v1', generation: true, status: true },
  '/persistentvolumes': { kind: 'PersistentVolume', apiVersion: 'v1', status: true },
  '/persistentvolumeclaims': { kind: 'PersistentVolumeClaim', apiVersion: 'v1', status: true },
  'storage.k8s.io/storageclasses': { kind: 'StorageClass', apiVersion: 'storage.k8s.io/v1' },
  '/services': { kind: 'Service', apiVersion: 'v1', status: true },
  '/endpoints': { kind: 'Endpoints', apiVersion: 'v1' },
  'discovery.k8s.io/endpointslices': { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', generation: true },
  'batch/jobs': { kind: 'Job', apiVersion: 'batch/v1', generation: true, status: true },
  'batch/cronjobs': { kind: 'CronJob', apiVersion: 'batch/v1', generation: true, status: true },
  'policy/poddisruptionbudgets': { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', generation: true, status: true },
  'coordination.k8s.io/leases': { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' },
};

const PATCH_TYPES: Record<string, ContentType> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

interface Watcher {
  rkey: string;
  namespace?: string;
  pending: WatchEvent<Obj>[];
  scheduled: boolean;
  stopped: boolean;
  onEvent: (e: WatchEvent<Obj>) => void;
}

export interface FakeCall {
  verb: Verb;
  resource: string;
  namespace?: string;
  name?: string;
}

function apiError(code: number, reason: string, message: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
}

export class FakeApi {
  private rv = 100;
  private readonly stores = new Map<string, Map<string, Obj>>();
  private readonly history: Array<{ rkey: string; rv: number; event: WatchEvent<Obj> }> = [];
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(rkey: string, event: WatchEvent<Obj>) => void>();
  /** Every write, in order. */
  readonly calls: FakeCall[] = [];
  /** Called before each write: return an error to fail it. */
  failWith?: (call: FakeCall, obj?: Obj) => StatusError | undefined;
  now: () => Date = () => new Date();
  /** Watch events of a resource reach watchers this many ms late (a slow watch). */
  readonly watchDelayMs = new Map<string, number>();

  /** This API as the RestClient controllers take. */
  get client(): RestClient {
    return this as unknown as RestClient;
  }

  // ---- what tests call directly ----

  /** Objects of a resource (e.g. "apps/replicasets", "/pods"), optionally of one namespace. */
  objects<T = Obj>(resource: string, namespace?: string): T[] {
    return [...(this.stores.get(resource)?.values() ?? [])].filter((o) => !namespace || o.metadata?.namespace === namespace) as T[];
  }

  /** Runs fn on every change (synchronously, before watches hear of it). */
  onChange(fn: (resource: string, event: WatchEvent<Obj>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  writes(verb: Verb, resource: string): FakeCall[] {
    return this.calls.filter((c) => c.verb === verb && c.resource === resource);
  }

  // ---- RestClient ----

  async get<T>(ref: ResourceRef & { name: string }): Promise<T> {
    return structuredClone(this.mustGet(ref)) as T;
  }

  async list<T>(ref: ResourceRef): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    const items = this.objects(rkeyOf(ref), ref.namespace).map((o) => structuredClone(o) as T);
    return { items, metadata: { resourceVersion: String(this.rv) } };
  }

  listAll<T>(ref: ResourceRef): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    return this.list<T>(ref);
  }

  watch<T>(target: ResourceRef, opts: { resourceVersion?: string }, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    const rkey = rkeyOf(target);
    const w: Watcher = { rkey, namespace: target.namespace, pending: [], scheduled: false, stopped: false, onEvent: onEvent as (e: WatchEvent<Obj>) => void };
    const from = Number(opts.resourceVersion ?? 0);
    for (const h of this.history) if (h.rkey === rkey && h.rv > from) this.push(w, h.event);
    this.watchers.add(w);
    return {
      stop: () => {
        w.stopped = true;
        this.watchers.delete(w);
      },
    };
  }

  /**
   * Runs on each object created, once it has its uid and defaults and before anyone sees it: what
   * an API server's create strategy adds in the same write (e.g. a Job's generated selector).
   */
  prepareCreate?: (resource: string, obj: Obj) => void;

  async create<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    const rkey = rkeyOf(ref);
    const o = structuredClone(obj) as Obj;
    const meta = (o.metadata ??= {});
    meta.namespace = ref.namespace ?? meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    this.check({ verb: 'create', resource: rkey, namespace: meta.namespace, name: meta.name }, o);
    const store = this.store(rkey);
    const key = objKey(meta.namespace, meta.name!);
    if (store.has(key)) throw apiError(409, 'AlreadyExists', `${rkey} "${meta.name}" already exists`);
    const info = KINDS[rkey];
    if (info) Object.assign(o, { apiVersion: info.apiVersion, kind: info.kind });
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    if (info?.generation) meta.generation = 1;
    this.default(rkey, o);
    this.prepareCreate?.(rkey, o);
    return this.commit(rkey, key, o, 'ADDED') as unknown as T;
  }

  async createForName(ref: ResourceRef, obj: KubeObject): Promise<string> {
    return (await this.create(ref, obj)).metadata!.name!;
  }

  async update<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.write('update', ref, obj as Obj, false) as unknown as T;
  }

  async updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.write('updateStatus', ref, obj as Obj, true) as unknown as T;
  }

  async patch<T>(ref: ResourceRef & { name: string }, patch: unknown, type: string = 'strategic'): Promise<T> {
    const current = this.mustGet(ref);
    const info = KINDS[rkeyOf(ref)];
    const patched = applyPatch(PATCH_TYPES[type]!, structuredClone(current), patch, info?.kind ?? '') as Obj;
    const rv = (patch as Obj)?.metadata?.resourceVersion;
    if (!rv) patched.metadata!.resourceVersion = current.metadata!.resourceVersion;
    return this.write('patch', ref, patched, ref.subresource === 'status') as unknown as T;
  }

  async delete(ref: ResourceRef & { name: string }): Promise<unknown> {
    const rkey = rkeyOf(ref);
    this.check({ verb: 'delete', resource: rkey, namespace: ref.namespace, name: ref.name });
    const current = this.mustGet(ref);
    const key = objKey(ref.namespace, ref.name);
    if (current.metadata?.finalizers?.length) {
      const next = structuredClone(current);
      next.metadata!.deletionTimestamp ??= rfc3339(this.now());
      return this.commit(rkey, key, next, 'MODIFIED');
    }
    this.store(rkey).delete(key);
    const gone = structuredClone(current);
    gone.metadata!.resourceVersion = String(++this.rv);
    this.emit(rkey, { type: 'DELETED', object: gone });
    return gone;
  }

  // ---- internals ----

  private write(verb: Verb, ref: ResourceRef, obj: Obj, statusOnly: boolean): Obj {
    const rkey = rkeyOf(ref);
    const name = ref.name ?? obj.metadata?.name;
    const namespace = ref.namespace ?? obj.metadata?.namespace;
    this.check({ verb, resource: rkey, namespace, name }, obj);
    const current = this.mustGet({ ...ref, namespace, name: name! });
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== current.metadata!.resourceVersion)
      throw apiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${rkey} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    if (obj.metadata?.uid && obj.metadata.uid !== current.metadata!.uid)
      throw apiError(409, 'Conflict', `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${current.metadata!.uid}`);
    let next: Obj;
    if (statusOnly) {
      next = structuredClone(current);
      next.status = structuredClone(obj.status);
      // As the server (and upstream's status strategies): the labels and annotations sent stay.
      if (obj.metadata?.labels !== undefined) next.metadata!.labels = structuredClone(obj.metadata.labels);
      if (obj.metadata?.annotations !== undefined) next.metadata!.annotations = structuredClone(obj.metadata.annotations);
    } else {
      next = structuredClone(obj);
      if (KINDS[rkey]?.status) next.status = structuredClone(current.status);
      const m = next.metadata!;
      const c = current.metadata!;
      Object.assign(m, { name: c.name, namespace: c.namespace, uid: c.uid, creationTimestamp: c.creationTimestamp, deletionTimestamp: c.deletionTimestamp });
      if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
      this.default(rkey, next);
      if (KINDS[rkey]?.generation) m.generation = (c.generation ?? 1) + (deepEqual(next.spec, current.spec) ? 0 : 1);
    }
    const key = objKey(namespace, name!);
    // Finalizers gone from an object being deleted: it goes.
    if (next.metadata?.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.store(rkey).delete(key);
      next.metadata.resourceVersion = String(++this.rv);
      this.emit(rkey, { type: 'DELETED', object: next });
      return structuredClone(next);
    }
    return this.commit(rkey, key, next, 'MODIFIED');
  }

  private check(call: FakeCall, obj?: Obj): void {
    this.calls.push(call);
    const err = this.failWith?.(call, obj);
    if (err) throw err;
  }

  private default(rkey: string, o: Obj): void {
    const [group, resource] = rkey.split('/') as [string, string];
    const key = group ? `${resource}.${group}` : resource;
    resources.find((r) => r.key === key)?.defaulter?.(o as never);
  }

  private commit(rkey: string, key: string, obj: Obj, type: WatchEventType): Obj {
    obj.metadata!.resourceVersion = String(++this.rv);
    this.store(rkey).set(key, obj);
    this.emit(rkey, { type, object: structuredClone(obj) });
    return structuredClone(obj);
  }

  private emit(rkey: string, event: WatchEvent<Obj>): void {
    this.history.push({ rkey, rv: this.rv, event });
    for (const l of this.listeners) l(rkey, event);
    for (const w of this.watchers) if (w.rkey === rkey) this.push(w, event);
  }

  private push(w: Watcher, event: WatchEvent<Obj>): void {
    if (w.namespace && event.object.metadata?.namespace !== w.namespace) return;
    w.pending.push(structuredClone(event));
    if (w.scheduled) return;
    w.scheduled = true;
    const flush = () => {
      w.scheduled = false;
      for (const e of w.pending.splice(0)) if (!w.stopped) w.onEvent(e);
    };
    const delay = this.watchDelayMs.get(w.rkey) ?? 0;
    if (delay > 0) setTimeout(flush, delay);
    else setImmediate(flush);
  }

  private mustGet(ref: ResourceRef & { name?: string }): Obj {
    const rkey = rkeyOf(ref);
    const o = this.store(rkey).get(objKey(ref.namespace, ref.name ?? ''));
    if (!o) throw apiError(404, 'NotFound', `${rkey} "${ref.name}" not found`);
    return o;
  }

  private store(rkey: string): Map<string, Obj> {
    let s = this.stores.get(rkey);
    if (!s) this.stores.set(rkey, (s = new Map()));
    return s;
  }
}

function rkeyOf(ref: ResourceRef): string {
  return `${ref.group ?? ''}/${ref.resource}`;
}

function objKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function randomSuffix(): string {
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
}

/**
 * The API's client with every read recorded, in order: `get RESOURCE NAME`, `list RESOURCE`,
 * `watch RESOURCE`, and `stop RESOURCE` when a watch is stopped (what a cache asks of the API).
 */
export function recordingReads(api: FakeApi): { client: RestClient; reads: string[] } {
  const reads: string[] = [];
  const client = new Proxy(api.client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if ((prop === 'get' || prop === 'list' || prop === 'watch') && typeof v === 'function') {
        return (ref: { resource: string; name?: string }, ...rest: unknown[]) => {
          reads.push(`${String(prop)} ${ref.resource}${prop === 'get' ? ` ${ref.name}` : ''}`);
          const out = (v as (...a: unknown[]) => unknown).call(target, ref, ...rest);
          if (prop !== 'watch') return out;
          const h = out as WatchHandle;
          return { stop: () => (reads.push(`stop ${ref.resource}`), h.stop()) };
        };
      }
      return v;
    },
  });
  return { client, reads };
}

/** Polls fn until it returns something truthy (then returns it), failing after timeoutMs. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface FakeKubeletOptions {
  /** Node name written into pods (default "node-1"). */
  node?: string;
  /** How long after creation a pod turns Running and Ready (default 0; undefined-ready never). */
  readyAfterMs?: number;
  /** Only pods this accepts are run. */
  filter?: (pod: Obj) => boolean;
}

/**
 * A stand-in for scheduler + kubelet: every new pod is bound to a node and, readyAfterMs later,
 * becomes Running and Ready. Returns a stop function.
 */
export function fakeKubelet(api: FakeApi, opts: FakeKubeletOptions = {}): () => void {
  const timers = new Set<NodeJS.Timeout>();
  const node = opts.node ?? 'node-1';
  const off = api.onChange((rkey, ev) => {
    if (rkey !== '/pods' || ev.type !== 'ADDED' || opts.filter?.(ev.object) === false) return;
    const { namespace, name } = ev.object.metadata!;
    const t = setTimeout(() => {
      timers.delete(t);
      void markPodReady(api, namespace!, name!, node).catch(() => {});
    }, opts.readyAfterMs ?? 0);
    timers.add(t);
  });
  return () => {
    off();
    for (const t of timers) clearTimeout(t);
  };
}

/** Binds a pod to node and makes it Running and Ready now. */
export async function markPodReady(api: FakeApi, namespace: string, name: string, node = 'node-1'): Promise<void> {
  const ref = { group: '', version: 'v1', resource: 'pods', namespace, name };
  const pod = await api.patch<Obj>(ref, { spec: { nodeName: node } }, 'merge');
  const now = rfc3339(api.now());
  const spec = pod.spec as { containers?: Array<{ name: string; image?: string }> };
  await api.updateStatus(
    { ...ref },
    {
      ...pod,
      status: {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        ],
        containerStatuses: (spec.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now } },
        })),
      },
    },
  );
}

/** Starts controllers over a FakeApi, as a manager would: informers synced first, then workers. */
export async function runControllers(
  api: FakeApi,
  ...factories: Array<(ctx: ControllerContext) => Controller>
): Promise<{ ctx: ControllerContext; stop(): Promise<void> }> {
  const ctx = newControllerContext(api.client, () => {});
  const controllers = factories.map((f) => f(ctx));
  await ctx.informers.start(5000);
  const abort = new AbortController();
  const running = controllers.map((c) => c.run(abort.signal));
  return {
    ctx,
    async stop() {
      abort.abort();
      await Promise.all(running);
      await ctx.informers.stop();
    },
  };
}
