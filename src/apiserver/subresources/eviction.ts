// pods/eviction: a delete asked for politely (upstream's EvictionREST).
import type { KObject } from '../../api/object.js';
import type { ResourceType } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import type { RestStorage } from '../rest-storage.js';
import type { SubresourceRest } from './rest.js';
import { currentIdentity } from '../authn/request-user.js';
import { admitNodeRestriction, nodeRestrictionLookups } from '../admission/plugins/node-restriction.js';

/** POST pods/NAME/eviction: a delete that would respect disruption budgets (none exist yet). */
export async function evictPod(storage: RestStorage, r: ResourceType, namespace: string, name: string, eviction: KObject, dryRun: boolean): Promise<void> {
  if (eviction.metadata.name && eviction.metadata.name !== name) {
    throw new ApiError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
  }
  // pods/eviction's admission: NodeRestriction keeps a node to evicting its own pods.
  const id = currentIdentity();
  if (id) {
    const a = { operation: 'CREATE' as const, resource: r, subresource: 'eviction', namespace, name, object: eviction, oldObject: undefined, user: id.user };
    admitNodeRestriction(a, nodeRestrictionLookups(storage.lookups));
  }
  const options = (eviction.deleteOptions ?? {}) as Record<string, unknown>;
  await storage.delete(r, namespace, name, options, { dryRun });
}

export const eviction: SubresourceRest = { create: { expects: { apiVersion: 'policy/v1', kind: 'Eviction' }, run: evictPod } };
