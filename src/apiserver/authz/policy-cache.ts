// Feeds the RBAC authorizer from the API server's watch caches: bindings are indexed as they
// change (a watch from the current state on), roles are read by key when a check needs them.
import type { RestStorage } from '../rest-storage.js';
import { resourceByKey } from '../../registry/index.js';
import { objectKey } from '../storage-keys.js';
import type { CacheEntry, WatchEventType } from '../watch-cache.js';
import { RbacAuthorizer } from './rbac.js';

const RBAC = 'rbac.authorization.k8s.io';

export function cachedRbacAuthorizer(storage: RestStorage, log: (msg: string) => void): { authorizer: RbacAuthorizer; start(): Promise<void>; stop(): void } {
  const roles = resourceByKey(`roles.${RBAC}`);
  const clusterRoles = resourceByKey(`clusterroles.${RBAC}`);
  const authorizer = new RbacAuthorizer({
    role: (ns, name) => storage.cache(roles).get(objectKey(roles, ns, name))?.obj,
    clusterRole: (name) => storage.cache(clusterRoles).get(objectKey(clusterRoles, undefined, name))?.obj,
  });
  const cancels: Array<() => void> = [];
  let stopped = false;
  const follow = async (key: string, index: RbacAuthorizer['roleBindings']): Promise<void> => {
    const r = resourceByKey(key);
    index.clear();
    const cancel = await storage.cache(r).watch(
      { fromRevision: 0, sendInitialEvents: true, prefix: `/registry/${r.key}/` },
      {
        send: (type: WatchEventType, e: CacheEntry) => (type === 'DELETED' ? index.remove(e.key) : index.put(e.key, e.obj)),
        // The cache re-listed: start over from its current state.
        expire: (why) => {
          if (stopped) return;
          log(`rbac: ${key} index restarts: ${why}`);
          follow(key, index).catch((e) => log(`rbac: ${key}: ${(e as Error).message}`));
        },
      },
    );
    cancels.push(cancel);
  };
  return {
    authorizer,
    start: async () => {
      await follow(`clusterrolebindings.${RBAC}`, authorizer.clusterBindings);
      await follow(`rolebindings.${RBAC}`, authorizer.roleBindings);
    },
    stop: () => {
      stopped = true;
      for (const c of cancels) c();
    },
  };
}
