// pods/proxy: `/api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy/PATH` reaches PATH on the
// pod's IP, any verb, WebSocket upgrades included.
//
// Upstream's API server dials the pod IP itself (pkg/registry/core/pod/strategy.go
// ResourceLocation); Berth's API server may have no route to pods on other machines (agents are
// reached through their endpoint, later through a tunnel), so it asks the pod's agent, which can
// reach its own pods: the agent's /podProxy/{namespace}/{pod}/{scheme}/{port}/PATH (Berth's, no
// kubelet has it) proxies to the pod's IP. The location rules are upstream's: the scheme is http
// unless given, the port the first declared container port, else 80.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KObject } from '../../api/object.js';
import { badRequest } from '../errors.js';
import type { NodeDialer } from '../node-dialer.js';
import type { StreamCtx, StreamRest } from './stream.js';

/** Where a proxy request goes: a port of a pod, and the path and query to ask for there. */
export interface PodLocation {
  namespace: string;
  pod: string;
  scheme: 'http' | 'https';
  port: number;
  /** Path (starting with /) and query, as the client escaped them. */
  pathAndQuery: string;
}

/**
 * Splits `[scheme:]name[:port]` as upstream's utilnet.SplitSchemeNamePort does: one part is a
 * name, two a name and port, three a scheme, name and port (scheme http or https).
 */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || (scheme && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme: scheme || 'http', name, port };
}

/**
 * The request path up to its `proxy` segment (the one right after the object's name, so a name
 * or namespace that contains "proxy" is no confusion), and the rest with the query, as sent:
 * never decoded, the pod gets the client's escaping.
 */
export function splitProxyPath(url: URL): { prefix: string; rest: string } {
  const m = /^(.*?\/(?:pods|services|nodes)\/[^/]+\/proxy)(\/.*)?$/.exec(url.pathname);
  if (!m) return { prefix: url.pathname, rest: `/${url.search}` };
  return { prefix: m[1]!, rest: `${m[2] ?? '/'}${url.search}` };
}

/** The rest of the URL after the `proxy` segment, with the query, as sent. */
export function proxiedPath(url: URL): string {
  return splitProxyPath(url).rest;
}

/** The first declared container port, upstream's choice when the request names none. */
function firstContainerPort(pod: KObject): number | undefined {
  const containers = (pod.spec as { containers?: Array<{ ports?: Array<{ containerPort?: number }> }> } | undefined)?.containers ?? [];
  for (const c of containers) if (c.ports?.length) return c.ports[0]!.containerPort;
  return undefined;
}

export function parsePort(port: string, what: string): number {
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) throw badRequest(`invalid port ${JSON.stringify(port)} in ${what}: a number from 1 to 65535 is needed`);
  return n;
}

/**
 * A redirect from the pod, seen from the client: a path on the pod's own host (the agent turns
 * the pod's absolute URLs into paths) goes under the proxy's prefix on the API server, as
 * upstream's proxy transport rewrites it; anything else (another host, a relative path, which
 * resolves under the prefix anyway) is left alone.
 */
export function proxiedLocation(location: string, origin: string, prefix: string): string {
  if (!location.startsWith('/') || location.startsWith('//')) return location;
  return `${origin}${prefix}${location}`;
}

/**
 * Sends a proxy request (plain or upgrade) to the agent of the pod's node. The pod learns where
 * it is seen from (X-Forwarded-Host, -Proto, -Uri, as upstream's proxy tells it) and its
 * redirects are rewritten to match.
 */
export async function proxyToPod(
  dialer: NodeDialer,
  loc: PodLocation,
  req: IncomingMessage,
  url: URL,
  io: { res: ServerResponse } | { socket: Duplex; head: Buffer },
): Promise<void> {
  const t = await dialer.podTarget(loc.namespace, loc.pod);
  const path = `/podProxy/${encodeURIComponent(loc.namespace)}/${encodeURIComponent(loc.pod)}/${loc.scheme}/${loc.port}${loc.pathAndQuery}`;
  if (!('res' in io)) return dialer.join(t, req, io.socket, io.head, path);
  const { prefix } = splitProxyPath(url);
  const host = req.headers.host ?? '';
  const headers = { ...req.headers, 'x-forwarded-host': host, 'x-forwarded-proto': 'https', 'x-forwarded-uri': url.pathname };
  return dialer.forward(t, io.res, {
    method: req.method ?? 'GET',
    path,
    headers,
    body: req,
    rewriteLocation: (l) => proxiedLocation(l, `https://${host}`, prefix),
  });
}

async function podLocation(c: StreamCtx): Promise<PodLocation> {
  const id = splitSchemeNamePort(c.name);
  if (!id) throw badRequest(`invalid pod request ${JSON.stringify(c.name)}`);
  let port = id.port ? parsePort(id.port, `pod request ${JSON.stringify(c.name)}`) : undefined;
  if (port === undefined) {
    const pod = await c.dialer.storage.get(c.r, c.namespace, id.name);
    port = firstContainerPort(pod) ?? 80;
  }
  return { namespace: c.namespace!, pod: id.name, scheme: id.scheme as 'http' | 'https', port, pathAndQuery: proxiedPath(c.url) };
}

export const podProxy: StreamRest = {
  takesPath: true,
  async serve(c, res) {
    await proxyToPod(c.dialer, await podLocation(c), c.req, c.url, { res });
  },
  async upgrade(c, socket, head) {
    await proxyToPod(c.dialer, await podLocation(c), c.req, c.url, { socket, head });
  },
};
