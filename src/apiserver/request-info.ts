// Parses an API path the way upstream's RequestInfoFactory does: which group, version,
// resource, namespace, name and subresource a request is about.
import { badRequest } from './errors.js';

export interface ResourceRequest {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The deprecated /watch/ path prefix was used. */
  legacyWatch: boolean;
  /** Segments follow the subresource (a proxy's path; a 404 for any other subresource). */
  hasSubpath?: boolean;
}

export type ApiPath =
  | { type: 'root'; prefix: 'api' | 'apis' }
  | { type: 'group'; group: string }
  | { type: 'groupVersion'; group: string; version: string }
  | { type: 'resource'; req: ResourceRequest }
  | { type: 'unknown' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseApiPath(pathname: string, namespacedResource: (group: string, version: string, resource: string) => boolean | undefined): ApiPath {
  let parts: string[];
  try {
    parts = pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  } catch {
    // A `%` not followed by two hex digits, or escapes that are not UTF-8.
    throw badRequest(`invalid URL escape in path ${JSON.stringify(pathname)}`);
  }
  let group: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'root', prefix: 'api' };
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { type: 'root', prefix: 'apis' };
    if (parts.length === 2) return { type: 'group', group: parts[1]! };
    group = parts[1]!;
    rest = parts.slice(2);
  } else {
    return { type: 'unknown' };
  }
  const version = rest[0]!;
  let segs = rest.slice(1);
  if (segs.length === 0) return { type: 'groupVersion', group, version };
  let legacyWatch = false;
  if (segs[0] === 'watch') {
    legacyWatch = true;
    segs = segs.slice(1);
  }
  // /namespaces/NS/RESOURCE... is namespaced; /namespaces/NAME[/status|finalize] is the namespace
  // (upstream's namespaceSubresources).
  if (segs[0] === 'namespaces' && segs.length >= 3 && !NAMESPACE_SUBRESOURCES.has(segs[2]!) && namespacedResource(group, version, segs[2]!) !== false) {
    const [, namespace, resource, name, subresource, ...extra] = segs;
    return {
      type: 'resource',
      req: { group, version, resource: resource!, namespace, name, subresource, legacyWatch, ...(extra.length ? { hasSubpath: true } : {}) },
    };
  }
  const [resource, name, subresource, ...extra] = segs;
  return { type: 'resource', req: { group, version, resource: resource!, name, subresource, legacyWatch, ...(extra.length ? { hasSubpath: true } : {}) } };
}
