// What an authorizer is asked, as upstream's authorizer.Attributes built from the request by its
// RequestInfoFactory: the verb (HTTP method mapped to get/list/watch/create/update/patch/delete/
// deletecollection for API resources, the lower-case method for any other path), and the
// group, resource, subresource, namespace and name the request is about.
import type { UserInfo } from '../authn/user.js';
import type { ApiPath } from '../request-info.js';

export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** A list's or watch's fieldSelector as sent (the Node authorizer reads spec.nodeName from it). */
  fieldSelector?: string;
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Upstream's RequestInfo of a request, for the given parsed path and query. */
export function requestAttributes(user: UserInfo, method: string, path: string, parsed: ApiPath, q: URLSearchParams): Attributes {
  if (parsed.type !== 'resource' || !METHOD_VERBS[method]) {
    return {
      user,
      verb: method.toLowerCase(),
      resourceRequest: false,
      path,
      apiGroup: '',
      apiVersion: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
    };
  }
  const r = parsed.req;
  let verb = METHOD_VERBS[method]!;
  let name = r.name ?? '';
  // A namespace object is in itself: a RoleBinding in `ns` may grant `get namespaces` on `ns`.
  const namespace = r.namespace ?? (r.group === '' && r.resource === 'namespaces' ? name : '');
  if (r.legacyWatch) verb = 'watch';
  else if (verb === 'get' && !name) verb = isTrue(q.get('watch')) ? 'watch' : 'list';
  else if (verb === 'delete' && !name) verb = 'deletecollection';
  if (verb === 'list' || verb === 'watch') {
    // A list or watch of one object by field selector is about that name (upstream does the same).
    const single = /^metadata\.name==?([^,]+)$/.exec(q.get('fieldSelector') ?? '');
    if (single) name = single[1]!;
  }
  return {
    user,
    verb,
    resourceRequest: true,
    path,
    apiGroup: r.group,
    apiVersion: r.version,
    resource: r.resource,
    subresource: r.subresource ?? '',
    namespace,
    name,
    ...(q.has('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
  };
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}
