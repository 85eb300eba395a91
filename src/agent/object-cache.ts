// The objects pods' volumes and environments are made from, shared by all pods of the node.
// ConfigMaps and Secrets are watched, as kubelet's default change detection (Watch): registering
// a pod starts a watch of each one it references, by name (a list and watch with fieldSelector
// metadata.name=NAME, which the Node authorizer allows for its pods' objects), shared by every
// pod that references it and stopped when the last of them is unregistered. So the pods of a
// namespace starting together, or a running pod's volumes refreshed, read the watch's copy and
// ask the API server nothing. Anything else (claims, volumes, an object no registered pod names)
// is read by GET: now for a pod that starts, through a short TTL cache for the periodic refresh
// (kubelet's TTL cache manager); a missing object is cached as missing for as long.
import type { Pod } from 'kubernetes-types/core/v1';
import type { GroupVersionResource, Informer, KubeObject, RestClient } from '../client/index.js';
import { createInformer, isNotFound, resources, stripManagedFields } from '../client/index.js';
import { podReferences } from '../api/pod-references.js';

/** How long a read waits for a new watch's first list before it GETs instead (kubelet: 1 s). */
const SYNC_WAIT_MS = 1000;

const keyOf = (gvr: GroupVersionResource, namespace: string, name: string) => `${gvr.group ?? ''}/${gvr.resource}/${namespace}/${name}`;

interface Watched {
  informer: Informer<KubeObject>;
  /** The uids of the registered pods that reference it. */
  pods: Set<string>;
}

export interface ObjectCacheOptions {
  /** How old a GET's result may be for get() (the refresh of running pods' volumes). */
  ttlMs: number;
  /** Wait at most this long for a new watch's first list before a GET (default 1 s). */
  syncWaitMs?: number;
  log?: (msg: string) => void;
}

export class ObjectCache {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();
  private readonly watched = new Map<string, Watched>();
  /** The watch keys each registered pod holds. */
  private readonly podKeys = new Map<string, string[]>();

  constructor(
    private readonly client: RestClient,
    private readonly o: ObjectCacheOptions,
  ) {}

  /** Watches the ConfigMaps and Secrets the pod references (kubelet's RegisterPod); once per uid. */
  register(uid: string, pod: Pod): void {
    if (this.podKeys.has(uid)) return;
    const namespace = pod.metadata?.namespace ?? '';
    // Image pull secrets are the Node authorizer's business but not the agent's: it reads none.
    const refs = podReferences(pod.spec?.imagePullSecrets ? { ...pod, spec: { ...pod.spec, imagePullSecrets: undefined } } : pod);
    const keys: string[] = [];
    const watch = (gvr: GroupVersionResource, name: string) => {
      const key = keyOf(gvr, namespace, name);
      let w = this.watched.get(key);
      if (!w) {
        const informer = createInformer<KubeObject>(this.client, gvr, {
          namespace,
          fieldSelector: `metadata.name=${name}`,
          transform: stripManagedFields,
          name: `${gvr.resource} ${namespace}/${name}`,
          log: this.o.log,
        });
        w = { informer: informer.start(), pods: new Set() };
        this.watched.set(key, w);
      }
      w.pods.add(uid);
      keys.push(key);
    };
    for (const name of refs.configmaps) watch(resources.configmaps, name);
    for (const name of refs.secrets) watch(resources.secrets, name);
    this.podKeys.set(uid, keys);
  }

  /** The pod no longer needs its objects: a watch no other pod shares is stopped. */
  unregister(uid: string): void {
    for (const key of this.podKeys.get(uid) ?? []) {
      const w = this.watched.get(key);
      if (!w) continue;
      w.pods.delete(uid);
      if (w.pods.size === 0) {
        this.watched.delete(key);
        void w.informer.stop();
      }
    }
    this.podKeys.delete(uid);
  }

  /** How many objects are watched now (for tests and metrics). */
  watchedCount(): number {
    return this.watched.size;
  }

  /** The object as watched, or as read at most ttlMs ago; undefined when it does not exist. */
  get<T>(gvr: GroupVersionResource, namespace: string, name: string): Promise<T | undefined> {
    return this.fromWatch<T>(gvr, namespace, name) ?? this.cached<T>(gvr, namespace, name);
  }

  /** The object as watched, or read now; undefined when it does not exist. */
  getFresh<T>(gvr: GroupVersionResource, namespace: string, name: string): Promise<T | undefined> {
    return this.fromWatch<T>(gvr, namespace, name) ?? this.read<T>(gvr, namespace, name);
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    const all = [...this.watched.values()];
    this.watched.clear();
    this.podKeys.clear();
    await Promise.all(all.map((w) => w.informer.stop()));
  }

  /** The watch's copy (once it has listed), or undefined when the object is not watched. */
  private fromWatch<T>(gvr: GroupVersionResource, namespace: string, name: string): Promise<T | undefined> | undefined {
    const w = this.watched.get(keyOf(gvr, namespace, name));
    if (!w) return undefined;
    const inf = w.informer;
    if (inf.hasSynced()) return Promise.resolve(inf.get(namespace, name) as T | undefined);
    // A watch still listing (or refused): a GET rather than a pod kept waiting.
    return inf.waitForSync(this.o.syncWaitMs ?? SYNC_WAIT_MS).then(
      () => inf.get(namespace, name) as T | undefined,
      () => this.read<T>(gvr, namespace, name),
    );
  }

  private cached<T>(gvr: GroupVersionResource, namespace: string, name: string): Promise<T | undefined> {
    const key = keyOf(gvr, namespace, name);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.o.ttlMs) return hit.value as Promise<T | undefined>;
    if (this.entries.size > 1000) for (const [k, e] of this.entries) if (now - e.at >= this.o.ttlMs) this.entries.delete(k);
    const entry = { at: now, value: Promise.resolve() as Promise<unknown> };
    entry.value = this.read<T>(gvr, namespace, name).catch((e) => {
      // Errors are not cached: the next caller asks again.
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw e;
    });
    this.entries.set(key, entry);
    return entry.value as Promise<T | undefined>;
  }

  private async read<T>(gvr: GroupVersionResource, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.client.get<T>({ ...gvr, namespace, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
