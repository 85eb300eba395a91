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

  listPriorityClasses(): KObject[] {
    return this.listClusterScoped('priorityclasses.scheduling.k8s.io');
  }

  listStorageClasses(): KObject[] {
    return this.listClusterScoped('storageclasses.storage.k8s.io');
  }

  private listClusterScoped(resourceKey: string): KObject[] {
    const r = resourceByKey(resourceKey);
    const cached = [...this.cacheOf(r).values()].map((e) => e.obj);
    const names = new Set(cached.map((o) => o.metadata.name));
    for (const [key, o] of this.live) if (key.startsWith(`/registry/${r.key}/`) && !names.has(o.metadata.name)) cached.push(o);
    return cached;
  }

  /** Reads what admission will look up and the cache does not have yet (lagging watch only). */
  async refresh(r: ResourceType, obj: KObject): Promise<void> {
    if (this.store.synchronousWatch) return;
    const wanted: Array<[ResourceType, string]> = [];
    if (r.namespaced && obj.metadata.namespace) wanted.push([resourceByKey('namespaces'), obj.metadata.namespace]);
    for (const [key, name] of r.strategy.admissionLookups?.(obj) ?? []) wanted.push([resourceByKey(key), name]);
    for (const [lr, name] of wanted) {
      const key = objectKey(lr, undefined, name);
      if (this.cacheOf(lr).get(key)) continue;
      const kv = await this.store.get(key);
      if (kv) {
        this.live.set(key, decode(kv.value, kv.modRevision).obj);
        // Only until the cache catches up; a stale entry must not outlive a deletion.
        setTimeout(() => this.live.delete(key), 5000).unref();
      }
    }
  }
}
