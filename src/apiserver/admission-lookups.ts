// What admission looks up (upstream's admission plugins read informers): the watch caches, and,
// when the cache lags the store, the store itself.
import type { KObject } from '../api/object.js';
import { resourceByKey, type ResourceType } from '../registry/index.js';
import type { Store } from '../storage/store.js';
import type { AdmissionLookups } from './admission/types.js';
import { collectionPrefix, objectKey } from './storage-keys.js';
import type { CacheEntry, WatchCache } from './watch-cache.js';
import { decodeObject } from './stored-form.js';

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
    return this.get('namespaces', undefined, name);
  }

  listPriorityClasses(): KObject[] {
    return this.list('priorityclasses.scheduling.k8s.io');
  }

  listStorageClasses(): KObject[] {
    return this.list('storageclasses.storage.k8s.io');
  }

  /**
   * Each version of what admission finds, decoded once: every pod created looks up its
   * namespace, its ServiceAccount, the PriorityClasses, LimitRanges and ResourceQuotas, and the
   * watch cache keeps only their JSON. Keyed by the cache's entry, so a new version is decoded
   * anew and a superseded one is forgotten with its entry. Pods are the exception: they are
   * read one-off (PodSecurity on a namespace's label change, NodeRestriction on a node's
   * delete), and keeping every pod of a namespace decoded would undo the cache's saving.
   */
  private readonly decoded = new WeakMap<CacheEntry, KObject>();

  private objectOf(resourceKey: string, entry: CacheEntry): KObject {
    if (resourceKey === 'pods') return entry.obj;
    let obj = this.decoded.get(entry);
    if (!obj) this.decoded.set(entry, (obj = entry.obj));
    return obj;
  }

  get(resourceKey: string, namespace: string | undefined, name: string): KObject | undefined {
    const r = resourceByKey(resourceKey);
    const key = objectKey(r, namespace, name);
    const entry = this.cacheOf(r).get(key);
    return entry ? this.objectOf(resourceKey, entry) : this.live.get(key);
  }

  list(resourceKey: string, namespace?: string): KObject[] {
    const r = resourceByKey(resourceKey);
    const prefix = collectionPrefix(r, namespace);
    const out: KObject[] = [];
    const seen = new Set<string>();
    for (const e of this.cacheOf(r).values()) {
      if (!e.key.startsWith(prefix)) continue;
      out.push(this.objectOf(resourceKey, e));
      seen.add(e.key);
    }
    for (const [key, o] of this.live) if (key.startsWith(prefix) && !seen.has(key)) out.push(o);
    return out;
  }

  /**
   * Reads what admission will look up (resource key, namespace, name) and the cache does not
   * have yet (lagging watch only).
   */
  async refresh(wanted: Array<[key: string, namespace: string | undefined, name: string]>): Promise<void> {
    if (this.store.synchronousWatch) return;
    for (const [rk, ns, name] of wanted) {
      const lr = resourceByKey(rk);
      const key = objectKey(lr, ns, name);
      if (this.cacheOf(lr).get(key)) continue;
      const kv = await this.store.get(key);
      if (kv) {
        this.live.set(key, decodeObject(kv.value, kv.modRevision));
        // Only until the cache catches up; a stale entry must not outlive a deletion.
        setTimeout(() => this.live.delete(key), 5000).unref();
      }
    }
  }
}
