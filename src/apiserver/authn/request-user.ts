// Who the request being served acts as, and the authorizer that judges it, for the code that
// runs deep inside a write (the RBAC kinds' escalation checks) without every layer passing them
// along: upstream carries the user in the request's context.Context; this is Node's equivalent.
// Writes made by the server itself (bootstrap, repair loops) run outside any request.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserInfo } from './user.js';
import type { Authorizer } from '../authz/authorizer.js';

export interface RequestIdentity {
  user: UserInfo;
  authorizer: Authorizer;
}

const storage = new AsyncLocalStorage<RequestIdentity>();

export function runAs<T>(identity: RequestIdentity, fn: () => T): T {
  return storage.run(identity, fn);
}

/** The identity of the request being served, or undefined for the server's own writes. */
export function currentIdentity(): RequestIdentity | undefined {
  return storage.getStore();
}
