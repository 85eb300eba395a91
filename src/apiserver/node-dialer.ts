// The API server's way to a node: it finds a pod's (or a node's) agent endpoint
// (https://<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>), as upstream's apiserver does with
// kubelets, and sends it a request (streamed back) or an upgraded connection (joined end to end).
// The stream subresources (subresources/log.ts, exec.ts, portforward.ts, proxy.ts, ...) decide
// what to ask the agent; this module is the part they share.
//
// Like kube-apiserver with --kubelet-client-certificate and --kubelet-certificate-authority, the
// API server authenticates to agents with its own client certificate (never a user's token) and
// verifies the agent's serving certificate against the cluster CA for the address it dials: a
// machine that registers a Node with its own address collects no credential. An agent that
// does not answer within a bound gets a 504, not a request held open forever.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import * as tls from 'node:tls';
import type { Duplex, Readable } from 'node:stream';
import { resourceByKey } from '../registry/index.js';
import type { KObject } from '../api/object.js';
import { isLoopbackAddress, isSimulatedNode } from '../api/simulated-node.js';
import { ApiError, badRequest } from './errors.js';
import type { RestStorage } from './rest-storage.js';
import type { Mux } from '../tunnel/mux.js';

/** How the API server dials agents: its client identity and the CA their serving certificates come from. */
export interface AgentTls {
  ca: string;
  cert: string;
  key: string;
}

export interface NodeDialerOptions {
  storage: RestStorage;
  tls: AgentTls;
  /** Agents' tunnels (agent-tunnels.ts): a node that has one is reached through it, else dialed. */
  tunnels?: { get(nodeName: string): Mux | undefined };
  /** How long the agent may take to connect and answer with headers (default 15 s); a stream then flows unbounded. */
  responseTimeoutMs?: number;
  log: (msg: string) => void;
}

const DEFAULT_RESPONSE_TIMEOUT_MS = 15_000;

/** A node's agent endpoint. */
export interface AgentTarget {
  host: string;
  port: number;
  nodeName: string;
}

export interface PodTarget extends AgentTarget {
  pod: KObject;
}

/** Hop-by-hop headers (RFC 9110 7.6.1), never passed on by a proxy; and the user's credential. */
const NOT_FORWARDED =
  /^(host|authorization|connection|keep-alive|proxy-connection|proxy-authenticate|proxy-authorization|te|trailer|transfer-encoding|upgrade)$/i;

/** A failed dial in words: TLS verification failures say so, as kube-apiserver's do. */
export function agentDialError(t: AgentTarget, e: Error & { code?: string }): ApiError {
  const where = `the agent of node ${t.nodeName} at ${t.host}:${t.port}`;
  const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH|ISSUER/;
  if (e.code && tlsCodes.test(e.code))
    return new ApiError(502, 'InternalError', `cannot verify the serving certificate of ${where} against the cluster CA: ${e.message}`);
  // What an agent still waiting for its serving certificate answers every handshake with.
  if (e.code === 'EPROTO' && /alert handshake failure/.test(e.message)) {
    return new ApiError(
      502,
      'InternalError',
      `${where} refused the TLS handshake (an agent does until its serving certificate is issued: see kubectl get csr): ${e.message}`,
    );
  }
  return new ApiError(502, 'InternalError', `cannot reach ${where}: ${e.message}`);
}

function timeoutError(t: AgentTarget, ms: number): ApiError {
  return new ApiError(504, 'Timeout', `the agent of node ${t.nodeName} at ${t.host}:${t.port} did not answer within ${ms / 1000} s`);
}

/** An agent's answer to an upgrade request, read up to the end of its headers. */
export interface UpgradeAnswer {
  socket: tls.TLSSocket;
  status: number;
  headers: Record<string, string>;
  /** The status line and headers as they came, to replay to a client. */
  rawHead: Buffer;
  /** Bytes that came after the headers (the first frames of an upgraded stream, or a body). */
  rest: Buffer;
}

export class NodeDialer {
  constructor(private readonly o: NodeDialerOptions) {}

  get storage(): RestStorage {
    return this.o.storage;
  }

  private get limitMs(): number {
    return this.o.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  }

  /** A node's agent endpoint. */
  async nodeTarget(nodeName: string): Promise<AgentTarget> {
    let node: KObject;
    try {
      node = await this.o.storage.get(resourceByKey('nodes'), undefined, nodeName);
    } catch {
      throw new ApiError(404, 'NotFound', `nodes "${nodeName}" not found`);
    }
    const status = (node.status ?? {}) as { addresses?: Array<{ type: string; address: string }>; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
    const addr = ['InternalIP', 'ExternalIP', 'Hostname'].map((t) => status.addresses?.find((a) => a.type === t)?.address).find(Boolean);
    const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!addr || !port) throw new ApiError(503, 'ServiceUnavailable', `node ${nodeName} has no agent endpoint`);
    // A simulated node's endpoint is its simulator's, on loopback; any other address it names
    // (an old simulator's made-up one) belongs to nobody here and is never dialed.
    if (isSimulatedNode(node) && !isLoopbackAddress(addr)) {
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `node ${nodeName} is simulated and names ${addr}, not its simulator's loopback endpoint: restart its simulator (berth sim)`,
      );
    }
    return { host: addr, port, nodeName };
  }

  /** The agent endpoint of the node running the pod. */
  async podTarget(namespace: string, name: string): Promise<PodTarget> {
    const pod = await this.o.storage.get(resourceByKey('pods'), namespace, name);
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
    return { ...(await this.nodeTarget(nodeName)), pod };
  }

  /** The TLS options of a connection to an agent: only the cluster CA is trusted, for the address dialed. */
  private tlsOptions(t: AgentTarget): tls.ConnectionOptions {
    return { host: t.host, port: t.port, ca: this.o.tls.ca, cert: this.o.tls.cert, key: this.o.tls.key, rejectUnauthorized: true };
  }

  /**
   * A TLS connection to the agent: through the node's tunnel when it has one (the handshake,
   * and the check of the agent's certificate for t.host, happen inside the tunnel stream), else
   * dialed directly.
   */
  connect(t: AgentTarget): tls.TLSSocket {
    const tunnel = this.o.tunnels?.get(t.nodeName);
    if (!tunnel) return tls.connect(this.tlsOptions(t));
    return tls.connect({ ...this.tlsOptions(t), socket: tunnel.open() });
  }

  /**
   * Sends a request to the agent and streams its answer (status, end-to-end headers, body) to
   * res. headers: the client's, of which the hop-by-hop ones and its credential stay here.
   */
  forward(
    t: AgentTarget,
    res: ServerResponse,
    o: {
      method: string;
      path: string;
      headers?: IncomingHttpHeaders;
      body?: Readable;
      defaultResponseHeaders?: Record<string, string>;
      rewriteLocation?: (location: string) => string;
    },
  ): Promise<void> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined && !NOT_FORWARDED.test(k)) headers[k] = v;
    const opts: RequestOptions = { ...this.tlsOptions(t), path: o.path, method: o.method, headers, createConnection: () => this.connect(t) };
    const limit = this.limitMs;
    return new Promise<void>((resolve, reject) => {
      // Bounds the connect, the handshake and the wait for headers; a stream then flows on.
      const timer = setTimeout(() => {
        up.destroy();
        reject(timeoutError(t, limit));
      }, limit);
      const up = request(opts, (ar) => {
        clearTimeout(timer);
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(ar.headers)) if (v !== undefined && !NOT_FORWARDED.test(k)) out[k] = v;
        if (o.rewriteLocation && typeof out.location === 'string') out.location = o.rewriteLocation(out.location);
        // Defaults for what the agent's answer doesn't say (its error Status says application/json).
        for (const [k, v] of Object.entries(o.defaultResponseHeaders ?? {})) if (!(k.toLowerCase() in out)) out[k.toLowerCase()] = v;
        res.writeHead(ar.statusCode ?? 502, out);
        ar.pipe(res);
        ar.on('end', () => resolve());
        ar.on('error', (e) => {
          res.destroy(e);
          resolve();
        });
      });
      // The client going away ends a stream (a follow, a long download).
      res.on('close', () => up.destroy());
      up.on('error', (e) => {
        clearTimeout(timer);
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else reject(agentDialError(t, e));
      });
      if (o.body) o.body.pipe(up);
      else up.end();
    });
  }

  /**
   * Sends an upgrade request to the agent (the client's headers but its credential, or the
   * given ones) and reads the answer's head; the caller decides what to do with the connection.
   */
  openUpgrade(t: AgentTarget, o: { method: string; path: string; rawHeaders: string[]; head?: Buffer }): Promise<UpgradeAnswer> {
    const limit = this.limitMs;
    return new Promise((resolve, reject) => {
      const up = this.connect(t);
      const timer = setTimeout(() => {
        up.destroy();
        reject(timeoutError(t, limit));
      }, limit);
      up.once('error', (e) => {
        clearTimeout(timer);
        reject(agentDialError(t, e));
      });
      up.once('secureConnect', () => {
        const lines = [`${o.method} ${o.path} HTTP/1.1`, `Host: ${t.host}:${t.port}`];
        for (let i = 0; i < o.rawHeaders.length; i += 2) {
          if (/^(host|authorization)$/i.test(o.rawHeaders[i]!)) continue;
          lines.push(`${o.rawHeaders[i]}: ${o.rawHeaders[i + 1]}`);
        }
        up.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (o.head?.length) up.write(o.head);
      });
      let got = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        got = Buffer.concat([got, d]);
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) {
          if (got.length > 64 * 1024) {
            up.destroy();
            reject(new ApiError(502, 'InternalError', `the agent of node ${t.nodeName} sent no HTTP answer`));
          }
          return;
        }
        clearTimeout(timer);
        up.off('data', onData);
        up.removeAllListeners('error');
        up.pause();
        const rawHead = got.subarray(0, end + 4);
        const lines = rawHead.toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        resolve({ socket: up, status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0), headers, rawHead, rest: got.subarray(end + 4) });
      };
      up.on('data', onData);
    });
  }

  /**
   * Replays the client's upgrade request to the agent at path and joins the connections: the
   * agent's answer (its 101, or its error) and every byte after flow back as they are.
   */
  async join(t: AgentTarget, req: IncomingMessage, socket: Duplex, head: Buffer, path: string): Promise<void> {
    const a = await this.openUpgrade(t, { method: req.method ?? 'GET', path, rawHeaders: req.rawHeaders, head });
    socket.write(Buffer.concat([a.rawHead, a.rest]));
    joinSockets(a.socket, socket);
  }
}

/** Joins two connections both ways; either closing closes both. */
export function joinSockets(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const done = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('close', done);
    s.on('error', done);
  }
  a.resume();
}
