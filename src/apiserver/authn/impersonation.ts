// Impersonation, as upstream's WithImpersonation filter: `Impersonate-User`, `-Group`, `-Uid`
// and `Impersonate-Extra-<key>` headers make the request act as another user, when the real
// user may `impersonate` each of them (users, groups, serviceaccounts in their namespace, uids,
// userextras/<key>). kubectl's --as and --as-group send these.
import type { IncomingMessage } from 'node:http';
import { badRequest } from '../errors.js';
import type { Attributes } from '../authz/attributes.js';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER, parseServiceAccountUsername, type UserInfo } from './user.js';

const EXTRA_PREFIX = 'impersonate-extra-';

function headerValues(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === name) out.push(req.rawHeaders[i + 1]!);
  return out;
}

const impersonate = (user: UserInfo, resource: string, name: string, namespace = '', subresource = ''): Attributes => ({
  user,
  verb: 'impersonate',
  resourceRequest: true,
  path: '',
  apiGroup: resource === 'uids' || resource === 'userextras' ? 'authentication.k8s.io' : '',
  apiVersion: '',
  resource,
  subresource,
  namespace,
  name,
});

/**
 * The user the request acts as: `real` when it impersonates no one, else the impersonated user
 * after `check` allowed each impersonation (check throws the 403 when not).
 */
export function impersonatedUser(req: IncomingMessage, real: UserInfo, check: (a: Attributes) => void): UserInfo {
  const names = headerValues(req, 'impersonate-user');
  const groups = headerValues(req, 'impersonate-group');
  const uids = headerValues(req, 'impersonate-uid');
  const extraHeaders = Object.keys(req.headers).filter((h) => h.startsWith(EXTRA_PREFIX));
  if (!names.length) {
    if (groups.length || uids.length || extraHeaders.length) throw badRequest('requested impersonation of groups, uid or extra without impersonating a user');
    return real;
  }
  if (names.length > 1) throw badRequest('only one user may be impersonated (Impersonate-User given more than once)');
  const name = names[0]!;
  const sa = parseServiceAccountUsername(name);
  if (sa) check(impersonate(real, 'serviceaccounts', sa.name, sa.namespace));
  else check(impersonate(real, 'users', name));
  for (const g of groups) check(impersonate(real, 'groups', g));
  if (uids.length > 1) throw badRequest('only one uid may be impersonated');
  for (const u of uids) check(impersonate(real, 'uids', u));
  const extra: Record<string, string[]> = {};
  for (const h of extraHeaders) {
    const key = decodeURIComponent(h.slice(EXTRA_PREFIX.length));
    extra[key] = headerValues(req, h);
    for (const v of extra[key]!) check(impersonate(real, 'userextras', v, '', key));
  }
  const userGroups = [...groups];
  // A ServiceAccount impersonated without groups gets the groups its token would (upstream does the same).
  if (sa && !groups.length) userGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  if (name === ANONYMOUS_USER) {
    if (!userGroups.includes(ALL_UNAUTHENTICATED)) userGroups.push(ALL_UNAUTHENTICATED);
  } else if (!userGroups.includes(ALL_AUTHENTICATED)) userGroups.push(ALL_AUTHENTICATED);
  return { name, groups: userGroups, ...(uids[0] ? { uid: uids[0] } : {}), ...(extraHeaders.length ? { extra } : {}) };
}
