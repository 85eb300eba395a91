// Feeds the RBAC authorizer from the API server's watch caches: bindings are indexed as they
// change (a watch from the current state on), and so are roles, decoded once each: a check reads
// a role for every binding that applies, and the watch cache keeps only its JSON.
import type { KObject } from '../../api/object.js';
import type { RestStorage } from '../rest-storage.js';
import { resourceByKey } from '../../registry/index.js';
import { objectKey } from '../storage-keys.js';
import { RbacAuthorizer } from './rbac.js';
import { followCache, type CacheIndex } from './follow-cache.js';

const RBAC = 'rbac.authorization.k8s.io';

/** A resource's objects by store key, decoded, as its watch cache has them. */
export class DecodedObjects implements CacheIndex {
  private readonly byKey = new Map<string, KObject>();

  get(key: string): KObject | undefined {
    return this.byKey.get(key);
  }

  put(key: string, entry: { obj: KObject }): void {
    this.byKey.set(key, entry.obj);
  }

  remove(key: string): void {
    this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }
}

export function cachedRbacAuthorizer(storage: RestStorage, log: (msg: string) => void): { authorizer: RbacAuthorizer; start(): Promise<void>; stop(): void } {
  const roles = resourceByKey(`roles.${RBAC}`);
  const clusterRoles = resourceByKey(`clusterroles.${RBAC}`);
  const roleObjects = new DecodedObjects();
  const clusterRoleObjects = new DecodedObjects();
  const authorizer = new RbacAuthorizer({
    role: (ns, name) => roleObjects.get(objectKey(roles, ns, name)),
    clusterRole: (name) => clusterRoleObjects.get(objectKey(clusterRoles, undefined, name)),
  });
  const cancels: Array<() => void> = [];
  const follow = async (key: string, index: CacheIndex): Promise<void> => {
    cancels.push(await followCache(storage, key, index, (m) => log(`rbac: ${m}`)));
  };
  const bindings = (index: RbacAuthorizer['roleBindings']): CacheIndex => ({
    put: (k, e) => index.put(k, e.obj),
    remove: (k) => index.remove(k),
    clear: () => index.clear(),
  });
  return {
    authorizer,
    start: async () => {
      await follow(`clusterroles.${RBAC}`, clusterRoleObjects);
      await follow(`roles.${RBAC}`, roleObjects);
      await follow(`clusterrolebindings.${RBAC}`, bindings(authorizer.clusterBindings));
      await follow(`rolebindings.${RBAC}`, bindings(authorizer.roleBindings));
    },
    stop: () => {
      for (const c of cancels) c();
    },
  };
}
