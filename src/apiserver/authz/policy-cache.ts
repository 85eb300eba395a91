// Feeds the RBAC authorizer from the API server's watch caches: bindings are indexed as they
// change (a watch from the current state on), roles are read by key when a check needs them.
import type { RestStorage } from '../rest-storage.js';
import { resourceByKey } from '../../registry/index.js';
import { objectKey } from '../storage-keys.js';
import { RbacAuthorizer } from './rbac.js';
import { followCache } from './follow-cache.js';

const RBAC = 'rbac.authorization.k8s.io';

export function cachedRbacAuthorizer(storage: RestStorage, log: (msg: string) => void): { authorizer: RbacAuthorizer; start(): Promise<void>; stop(): void } {
  const roles = resourceByKey(`roles.${RBAC}`);
  const clusterRoles = resourceByKey(`clusterroles.${RBAC}`);
  const authorizer = new RbacAuthorizer({
    role: (ns, name) => storage.cache(roles).get(objectKey(roles, ns, name))?.obj,
    clusterRole: (name) => storage.cache(clusterRoles).get(objectKey(clusterRoles, undefined, name))?.obj,
  });
  const cancels: Array<() => void> = [];
  const follow = async (key: string, index: RbacAuthorizer['roleBindings']): Promise<void> => {
    cancels.push(
      await followCache(storage, key, { put: (k, e) => index.put(k, e.obj), remove: (k) => index.remove(k), clear: () => index.clear() }, (m) =>
        log(`rbac: ${m}`),
      ),
    );
  };
  return {
    authorizer,
    start: async () => {
      await follow(`clusterrolebindings.${RBAC}`, authorizer.clusterBindings);
      await follow(`rolebindings.${RBAC}`, authorizer.roleBindings);
    },
    stop: () => {
      for (const c of cancels) c();
    },
  };
}
