// What a bootstrap caller (the join token's secret) may do before RBAC (#15) exists: what
// upstream's system:node-bootstrapper role and the discovery roles bound to every user grant,
// narrowed to the caller's own CertificateSigningRequests: create one, then get or watch it by
// name. Every other request is refused with upstream's RBAC wording.
import { ApiError } from './errors.js';
import type { UserInfo } from './authn.js';

export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The verb upstream's RequestInfoFactory derives from the method and path. */
export function requestVerb(method: string | undefined, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return (method ?? '').toLowerCase();
  }
}

/** Upstream's 403 for a resource request RBAC does not allow (responsewriters.forbiddenMessage). */
export function forbiddenResource(user: UserInfo, a: RequestAttributes): ApiError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const what = a.name ? `${qualified} "${a.name}" is forbidden` : `${qualified} is forbidden`;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return new ApiError(403, 'Forbidden', `${what}: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`, {
    ...(a.name ? { name: a.name } : {}),
    ...(a.group ? { group: a.group } : {}),
    kind: a.resource,
  });
}

/** Upstream's 403 for a path that is no resource. */
export function forbiddenPath(user: UserInfo, verb: string, path: string): ApiError {
  return new ApiError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${verb} path "${path}"`, {});
}

const CSR_GROUP = 'certificates.k8s.io';

/**
 * Whether a bootstrap caller may make this resource request. `ownerOf` reads who created the
 * named CertificateSigningRequest (undefined: there is none). A watch must name the request with
 * a metadata.name field selector; a list is never allowed (other joining machines' requests).
 */
export async function bootstrapAllows(
  user: UserInfo,
  a: RequestAttributes,
  watchedName: string | undefined,
  ownerOf: (name: string) => Promise<string | undefined>,
): Promise<boolean> {
  if (a.group !== CSR_GROUP || a.resource !== 'certificatesigningrequests' || a.subresource) return false;
  if (a.verb === 'create') return !a.name;
  const name = a.verb === 'get' ? a.name : a.verb === 'watch' ? (a.name ?? watchedName) : undefined;
  if (!name) return false;
  const owner = await ownerOf(name);
  // A request that is not there reads as NotFound, as for anyone allowed to get it.
  return owner === undefined || owner === user.name;
}

/** The name a `metadata.name=NAME` field selector picks, if that is all it says. */
export function selectedName(fieldSelector: string | null): string | undefined {
  const m = /^metadata\.name==?([^,=!]+)$/.exec(fieldSelector ?? '');
  return m?.[1];
}
