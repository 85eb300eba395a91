// The agent's half of pods/proxy and services/proxy: /podProxy/{namespace}/{pod}/{scheme}/{port}/PATH
// is sent on to PATH on the pod's IP (Berth's path; upstream's API server dials pods itself, but
// Berth's may have no route to them, while an agent always reaches its own pods). Plain requests
// are proxied with their body and answer; an upgrade (a WebSocket to the pod) is joined as is.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

export interface PodProxyTarget {
  namespace: string;
  pod: string;
  scheme: 'http' | 'https';
  port: number;
  /** Path and query for the pod, as the client escaped them. */
  pathAndQuery: string;
}

const PATH = /^\/podProxy\/([^/]+)\/([^/]+)\/(https?)\/(\d{1,5})(\/[^?]*)?$/;

/** The target a /podProxy/ URL names, or undefined for another path. */
export function podProxyTarget(url: URL): PodProxyTarget | undefined {
  const m = PATH.exec(url.pathname);
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port < 1 || port > 65535) return undefined;
  return {
    namespace: decodeURIComponent(m[1]!),
    pod: decodeURIComponent(m[2]!),
    scheme: m[3] as 'http' | 'https',
    port,
    pathAndQuery: `${m[5] ?? '/'}${url.search}`,
  };
}

/** host:port for a URL's authority (IPv6 in brackets). */
export function hostPort(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * A redirect to the pod's own address as a path (the API server puts its proxy prefix before
 * paths; the pod's IP means nothing to the client).
 */
export function ownUrlAsPath(location: string, scheme: string, authority: string): string {
  let u: URL;
  try {
    u = new URL(location);
  } catch {
    return location;
  }
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return u.protocol === `${scheme}:` && `${u.hostname}:${port}` === authority ? `${u.pathname}${u.search}${u.hash}` : location;
}

/** Hop-by-hop headers (RFC 9110 7.6.1): never passed on by a proxy. */
const HOP_BY_HOP = /^(connection|keep-alive|proxy-connection|proxy-authenticate|proxy-authorization|te|trailer|transfer-encoding|upgrade)$/i;

function endToEnd(h: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.test(k)) out[k] = v;
  return out;
}

/** The socket errors a dial meets, worded as Go's net package words them (what upstream's messages carry). */
const GO_DIAL_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  ECONNRESET: 'read: connection reset by peer',
};

/** A failed dial in upstream's words, `dial tcp 10.244.0.5:81: connect: connection refused`, else Node's. */
export function dialErrorText(e: NodeJS.ErrnoException, address: string): string {
  const go = e.code ? GO_DIAL_ERRORS[e.code] : undefined;
  return go ? `dial tcp ${address}: ${go}` : e.message;
}

/**
 * Proxies one request to the pod at ip. A pod that does not answer (refused, unreachable) is
 * a 503 with the reason, as upstream's proxy answers; https to a pod is not verified (pods have
 * no certificate the cluster knows, upstream skips verification too).
 */
export function proxyToPod(req: IncomingMessage, res: ServerResponse, t: PodProxyTarget, ip: string, log: (m: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const headers = endToEnd(req.headers);
    headers.host = hostPort(ip, t.port);
    const opts = { host: ip, port: t.port, method: req.method, path: t.pathAndQuery, headers, rejectUnauthorized: false, agent: false as const };
    const up = (t.scheme === 'https' ? httpsRequest : httpRequest)(opts, (pr) => {
      const headers = endToEnd(pr.headers);
      if (typeof headers.location === 'string') headers.location = ownUrlAsPath(headers.location, t.scheme, hostPort(ip, t.port));
      res.writeHead(pr.statusCode ?? 502, headers);
      pr.pipe(res);
      pr.on('end', () => resolve());
      pr.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    res.on('close', () => up.destroy());
    up.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return resolve();
      }
      const why = dialErrorText(e, hostPort(ip, t.port));
      log(`podProxy: ${t.namespace}/${t.pod} ${t.scheme}: ${why}`);
      const body =
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `error trying to reach service: ${why}`,
          reason: 'ServiceUnavailable',
          code: 503,
        }) + '\n';
      res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      resolve();
    });
    req.pipe(up);
  });
}
