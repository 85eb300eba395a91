// Who a request is from, as upstream's user.Info: what authentication decided and what
// authorization, impersonation and SelfSubjectReview read. Authenticators (the admin token today,
// client certificates and other tokens later) each produce one of these.
export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
/** Upstream's privileged group: authorizers never refuse it. */
export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';
export const ANONYMOUS_USER = 'system:anonymous';

/** The kubeconfig admin, as k3s's: `system:admin` in `system:masters`. */
export const ADMIN: UserInfo = { name: 'system:admin', groups: [SYSTEM_PRIVILEGED_GROUP, ALL_AUTHENTICATED] };

/** What a request with no credentials is (upstream's anonymous authenticator). */
export const ANONYMOUS: UserInfo = { name: ANONYMOUS_USER, groups: [ALL_UNAUTHENTICATED] };

/** An authenticated user gets system:authenticated as upstream's group adder does (once). */
export function withAuthenticatedGroup(u: UserInfo): UserInfo {
  return u.groups.includes(ALL_AUTHENTICATED) || u.name === ANONYMOUS_USER ? u : { ...u, groups: [...u.groups, ALL_AUTHENTICATED] };
}

const SA_PREFIX = 'system:serviceaccount:';

/** The user name a ServiceAccount authenticates as (upstream's serviceaccount.MakeUsername). */
export const serviceAccountUsername = (namespace: string, name: string) => `${SA_PREFIX}${namespace}:${name}`;

/** The namespace and name of a ServiceAccount user name, or undefined for any other user. */
export function parseServiceAccountUsername(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const parts = user.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}
