// The TLS side of a node's kubelet endpoint, the agent's and the simulator's alike: its options
// (serving certificate, client certificates asked for) and who may use it (the API server only).
import type { ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { KUBELET_CLIENT_CN } from '../api/kubelet-identity.js';

/** A node endpoint's certificate and key (PEM). */
export interface ServingCert {
  cert: string;
  key: string;
}

/**
 * TLS options of a node's kubelet endpoint (the agent's, the simulator's): its serving
 * certificate, and the cluster CA for client certificates, asked for but checked per request so
 * that the answer can say what was wrong instead of a failed handshake.
 */
export function kubeletEndpointTls(serving: ServingCert | undefined, clientCa: string) {
  return { ...(serving ?? {}), ca: clientCa, requestCert: true, rejectUnauthorized: false };
}

/** Why a request on a kubelet endpoint is refused (401 without a CA-signed client certificate, 403 for anyone but the API server), or undefined. */
export function kubeletClientRefusal(socket: TLSSocket): { code: 401 | 403; reason: 'Unauthorized' | 'Forbidden'; message: string } | undefined {
  if (!socket.authorized) return { code: 401, reason: 'Unauthorized', message: 'Unauthorized: a client certificate signed by the cluster CA is required' };
  const cn = socket.getPeerCertificate().subject?.CN;
  if (cn !== KUBELET_CLIENT_CN) return { code: 403, reason: 'Forbidden', message: `Forbidden: ${String(cn)} may not use the node's endpoint` };
  return undefined;
}

/** Starts the endpoint listening; rejects when the address cannot be had. */
export function listenEndpoint(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Stops the endpoint now: open streams (a followed log, an exec) end with it. */
export async function closeEndpoint(server: Server | undefined): Promise<void> {
  if (!server) return;
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await closed;
}

/** The container a kubelet logs path names (/containerLogs/NAMESPACE/POD/CONTAINER), or undefined. */
export function containerLogsTarget(pathname: string): { namespace: string; pod: string; container?: string } | undefined {
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]*)$/.exec(pathname);
  if (!m) return undefined;
  return { namespace: decodeURIComponent(m[1]!), pod: decodeURIComponent(m[2]!), container: decodeURIComponent(m[3]!) || undefined };
}

/** Answers /healthz (to anyone, before authentication, as the kubelet's); false for other paths. */
export function answeredHealthz(pathname: string, res: ServerResponse): boolean {
  if (pathname !== '/healthz') return false;
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok');
  return true;
}
