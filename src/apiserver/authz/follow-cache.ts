// Keeps an in-memory index (the RBAC bindings, the Node authorizer's graph) in step with one
// resource's watch cache: every object from the cache's current state on, then each change;
// when the cache re-lists (its watchers expire), the index is cleared and filled again.
import { resourceByKey } from '../../registry/index.js';
import type { RestStorage } from '../rest-storage.js';
import type { CacheEntry, WatchEventType } from '../watch-cache.js';

export interface CacheIndex {
  put(key: string, entry: CacheEntry): void;
  remove(key: string, entry: CacheEntry): void;
  clear(): void;
}

/** Follows the resource (by registry key) into index; returns how to stop. */
export async function followCache(storage: RestStorage, resourceKey: string, index: CacheIndex, log: (msg: string) => void): Promise<() => void> {
  const r = resourceByKey(resourceKey);
  let stopped = false;
  let cancel: () => void = () => undefined;
  const follow = async (): Promise<void> => {
    index.clear();
    cancel = await storage.cache(r).watch(
      { fromRevision: 0, sendInitialEvents: true, prefix: `/registry/${r.key}/` },
      {
        send: (type: WatchEventType, e: CacheEntry) => (type === 'DELETED' ? index.remove(e.key, e) : index.put(e.key, e)),
        expire: (why) => {
          if (stopped) return;
          log(`${resourceKey} index restarts: ${why}`);
          follow().catch((e) => log(`${resourceKey} index: ${(e as Error).message}`));
        },
      },
    );
  };
  await follow();
  return () => {
    stopped = true;
    cancel();
  };
}
