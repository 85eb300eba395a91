// What admission looks up (upstream's admission plugins read informers): the watch caches, and,
// when the cache lags the store, the store itself.
import type { KObject } from '../api/object.js';
import { resourceByKey, type ResourceType } from '../registry/index.js';
import type { Store } from '../storage/store.js';
import type { AdmissionLookups } from './admission.js';
import { objectKey } from './storage-keys.js';
import { decode, type WatchCache } from './watch-cache.js';

export class CachedLookups implements AdmissionLookups {
  constructor(
    private readonly store: Store,
    private readonly cacheOf: (r: ResourceType) => WatchCache,
  ) {}

  // Look-ups read the watch cache: always current for the embedded store. Over etcd
  // the cache may lag a write made a moment ago (possibly through another server), so a miss is
  // checked against the store first, as upstream's NamespaceLifecycle does with a live lookup.
  private readonly live = new Map<string, KObject>();

  getNamespace(name: string): KObject | undefined {
    const r = resourceByKey('namespaces');
    const key = objectKey(r, undefined, name);
    return this.cacheOf(r).get(key)?.obj ?? this.live.get(key);
  }

  getServiceAccount(namespace: string, name: string): KObject | undefined {
    const r = resourceByKey('serviceaccounts');
    const key = objectKey(r, namespace, name);
    return this.cacheOf(r).get(key)?.obj ?? this.live.get(key);
  }

  listPriorityClasses(): KObject[] {
    const r = resourceByKey('priorityclasses.scheduling.k8s.io');
    const cached = [...this.cacheOf(r).values()].map((e) => e.obj);
    const names = new Set(cached.map((o) => o.metadata.name));
    for (const [key, o] of this.live) if (key.startsWith(`/registry/${r.key}/`) && !names.has(o.metadata.name)) cached.push(o);
    return cached;
  }

  /** Reads what admission will look up and the cache does not have yet (lagging watch only). */
  async refresh(r: ResourceType, obj: KObject): Promise<void> {
    await this.awaitDefaultServiceAccount(r, obj);
    if (this.store.synchronousWatch) return;
    const wanted: Array<[ResourceType, string]> = [];
    if (r.namespaced && obj.metadata.namespace) wanted.push([resourceByKey('namespaces'), obj.metadata.namespace]);
    for (const [key, name] of r.strategy.admissionLookups?.(obj) ?? []) wanted.push([resourceByKey(key), name]);
    for (const [lr, name] of wanted) {
      // A namespaced object looked up is in the namespace of the object admitted (a pod's ServiceAccount).
      const key = objectKey(lr, lr.namespaced ? obj.metadata.namespace : undefined, name);
      if (this.cacheOf(lr).get(key)) continue;
      const kv = await this.store.get(key);
      if (kv) {
        this.live.set(key, decode(kv.value, kv.modRevision).obj);
        // Only until the cache catches up; a stale entry must not outlive a deletion.
        setTimeout(() => this.live.delete(key), 5000).unref();
      }
    }
  }

  /**
   * A pod created right after its namespace may come before the namespace's `default`
   * ServiceAccount (made by NamespaceLifecycle a moment after the namespace): it waits for it a
   * little (2 s at most) rather than fail as it would on upstream, where the ReplicaSet retries.
   */
  private async awaitDefaultServiceAccount(r: ResourceType, obj: KObject): Promise<void> {
    const spec = obj.spec as { serviceAccountName?: string } | undefined;
    const ns = obj.metadata.namespace;
    if (r.key !== 'pods' || !ns || (spec?.serviceAccountName || 'default') !== 'default') return;
    const saKey = objectKey(resourceByKey('serviceaccounts'), ns, 'default');
    const saCache = this.cacheOf(resourceByKey('serviceaccounts'));
    for (const deadline = Date.now() + 2000; !saCache.get(saKey) && Date.now() < deadline;) {
      const namespace = this.getNamespace(ns);
      if (!namespace || namespace.metadata.deletionTimestamp) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
