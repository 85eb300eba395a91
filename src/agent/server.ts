// The agent's HTTPS endpoint, which only the API server uses: it presents its client certificate
// (CN=kube-apiserver-kubelet-client, signed by the cluster CA), nothing else gets in. Kubelet's
// /containerLogs/{namespace}/{pod}/{container}, /exec/{namespace}/{pod}/{container},
// /attach/{namespace}/{pod}/{container} and /portForward/{namespace}/{pod}, and Berth's
// /podProxy/... (pod-proxy.ts).
// Exec, attach and port-forward are upgraded connections (SPDY or WebSocket) passed through,
// bytes as they are, to the runtime's streaming server for the URL CRI's Exec, Attach or
// PortForward returns; a WebSocket with the v5 protocol is translated to SPDY on the way
// (exec-bridge.ts). The runtime's port-forward dials the port inside the pod's network namespace
// (containerd: localhost:PORT in the sandbox's netns), as upstream does, so a server bound to
// 127.0.0.1 in the pod is reached too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { createServer, type Server } from 'node:https';
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  answeredHealthz,
  closeEndpoint,
  containerLogsTarget,
  kubeletClientRefusal,
  kubeletEndpointTls,
  listenEndpoint,
  type ServingCert,
} from '../kubelet/index.js';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { boolParam } from '../api/query.js';
import { bridgeV5ToSpdy, wantsV5WebSocket } from './exec-bridge.js';
import type { LogOptions } from '../kubelet/index.js';
import { streamLogs } from './logs.js';
import { exposition } from '../metrics/registry.js';
import { hostPort, podProxyTarget, proxyToPod } from './pod-proxy.js';

/** What the endpoint needs from the agent: the container a request names. */
export interface ContainerLookup {
  /**
   * The runtime's container a request names (the current one, or the previous for
   * purpose 'previous'); throws EndpointError when the pod or container doesn't exist (yet).
   */
  container(
    namespace: string,
    pod: string,
    container: string | undefined,
    purpose: 'log' | 'previous' | 'exec',
  ): Promise<{ id: string; name: string; logPath: string; running: boolean }>;
  isRunning(containerId: string): Promise<boolean>;
  /** The runtime's streaming URL for an exec. */
  execUrl(containerId: string, cmd: string[], o: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<string>;
  /** The runtime's streaming URL to attach to a container's main process. */
  attachUrl(containerId: string, o: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<string>;
  /** The runtime's streaming URL of a port-forward session into the pod's network namespace (ports: a WebSocket session's). */
  portForwardUrl(namespace: string, pod: string, ports: number[]): Promise<string>;
  /** The address the pod's servers listen on (its IP; the node's for a host-network pod). */
  podAddress(namespace: string, pod: string): Promise<string>;
}

export class EndpointError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type { ServingCert } from '../kubelet/index.js';

export interface AgentServerOptions {
  host: string;
  port: number;
  /**
   * The serving certificate, signed by the cluster CA; absent while the agent waits for one
   * (setServingCert), when handshakes fail and nothing is served.
   */
  servingCert?: ServingCert;
  /** The cluster CA: clients must present a certificate it signed. */
  clientCa: string;
  lookup: ContainerLookup;
  log: (msg: string) => void;
}

/** Upstream's kubelet on an exec in a container that isn't running (its runtime lists running containers only). */
export const containerNotFound = (name: string) => new EndpointError(400, 'BadRequest', `container not found (${JSON.stringify(name)})`);

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) + '\n';
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export class AgentServer {
  private server?: Server;

  constructor(private readonly o: AgentServerOptions) {}

  /** Whether the endpoint has a serving certificate and so serves logs and exec. */
  get serving(): boolean {
    return !!this.o.servingCert;
  }

  /** Starts serving with a (new or renewed) certificate; connections open keep theirs. */
  setServingCert(c: ServingCert): void {
    this.o.servingCert = c;
    this.server?.setSecureContext(this.tlsOptions());
  }

  private tlsOptions() {
    return kubeletEndpointTls(this.o.servingCert, this.o.clientCa);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    this.server = createServer({ ...this.tlsOptions(), requestTimeout: 0 }, (req, res) => {
      this.handle(req, res).catch((e) => {
        if (res.headersSent) return res.destroy();
        if (e instanceof EndpointError) sendStatus(res, e.code, e.reason, e.message);
        else {
          this.o.log(`endpoint: ${req.method} ${req.url}: ${(e as Error).message}`);
          sendStatus(res, 500, 'InternalError', (e as Error).message);
        }
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(req, socket, head).catch((e) => {
        // Plain text, as the kubelet's streaming errors: kubectl prints it after "unable to upgrade connection: ".
        const code = e instanceof EndpointError ? e.code : 500;
        const body = (e as Error).message || 'internal error';
        socket.end(
          `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
    });
    await listenEndpoint(this.server, this.o.port, this.o.host);
  }

  async stop(): Promise<void> {
    await closeEndpoint(this.server);
  }

  /** Lets only the API server's client certificate through: 401 without a CA-signed one, 403 for another identity. */
  private authorize(req: IncomingMessage): void {
    const refused = kubeletClientRefusal(req.socket as TLSSocket);
    if (refused) throw new EndpointError(refused.code, refused.reason, refused.message);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    if (answeredHealthz(url.pathname, res)) return;
    this.authorize(req);
    const logs = containerLogsTarget(url.pathname);
    if (logs && req.method === 'GET') return this.logs(req, res, logs.namespace, logs.pod, logs.container, url.searchParams);
    if (url.pathname === '/metrics' && req.method === 'GET') {
      // kubelet serves its metrics on the same port, to the same authorized clients.
      const { contentType, body } = await exposition();
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    const proxied = podProxyTarget(url);
    if (proxied) return proxyToPod(req, res, proxied, await this.o.lookup.podAddress(proxied.namespace, proxied.pod), this.o.log);
    if (/^\/(exec|attach|portForward)\//.test(url.pathname))
      throw new EndpointError(400, 'BadRequest', `${url.pathname.split('/')[1]} needs an upgraded connection (SPDY or WebSocket)`);
    throw new EndpointError(404, 'NotFound', `the agent serves no ${url.pathname}`);
  }

  private async logs(req: IncomingMessage, res: ServerResponse, ns: string, pod: string, container: string | undefined, q: URLSearchParams): Promise<void> {
    const previous = boolParam(q, 'previous');
    const c = await this.o.lookup.container(ns, pod, container, previous ? 'previous' : 'log');
    const o: LogOptions = {
      follow: boolParam(q, 'follow') && !previous,
      timestamps: boolParam(q, 'timestamps'),
      tailLines: q.has('tailLines') ? Number(q.get('tailLines')) : undefined,
      limitBytes: q.has('limitBytes') ? Number(q.get('limitBytes')) : undefined,
      sinceTimeMs: q.has('sinceSeconds') ? Date.now() - Number(q.get('sinceSeconds')) * 1000 : q.has('sinceTime') ? Date.parse(q.get('sinceTime')!) : undefined,
    };
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    req.on('close', () => abort.abort());
    await streamLogs(c.logPath, res, o, () => this.o.lookup.isRunning(c.id), abort.signal);
    res.end();
  }

  /** exec, attach, portForward and a WebSocket to a pod: passed through to the runtime's streaming server or the pod. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.authorize(req);
    const url = new URL(req.url ?? '/', 'https://agent');
    const q = url.searchParams;
    const pf = /^\/portForward\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (pf) {
      // A WebSocket client names its ports in the query (?ports=8080,9090), and a CRI streaming
      // server takes them from the PortForward call (its URL's query is not read); SPDY streams
      // name theirs.
      const ports = (req.headers.upgrade ?? '').toLowerCase() === 'websocket' ? webSocketPorts(q) : [];
      const target = new URL(await this.o.lookup.portForwardUrl(decodeURIComponent(pf[1]!), decodeURIComponent(pf[2]!), ports));
      return pipeUpgrade(req, socket, head, target);
    }
    const proxied = podProxyTarget(url);
    if (proxied) {
      if (proxied.scheme !== 'http') throw new EndpointError(400, 'BadRequest', 'an upgrade through the proxy reaches a pod over http only');
      const ip = await this.o.lookup.podAddress(proxied.namespace, proxied.pod);
      return pipeUpgrade(req, socket, head, new URL(`http://${hostPort(ip, proxied.port)}${proxied.pathAndQuery}`));
    }
    const m = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/([^/]*)$/.exec(url.pathname);
    if (!m) throw new EndpointError(404, 'NotFound', `no upgrade at ${url.pathname}`);
    const verb = m[1] as 'exec' | 'attach';
    const cmd = q.getAll('command');
    if (verb === 'exec' && !cmd.length) throw new EndpointError(400, 'BadRequest', 'you must specify at least 1 command');
    const c = await this.o.lookup.container(decodeURIComponent(m[2]!), decodeURIComponent(m[3]!), decodeURIComponent(m[4]!) || undefined, 'exec');
    if (!c.running) throw containerNotFound(c.name);
    const tty = boolParam(q, 'tty');
    // Upstream's kubelet: a terminal has no separate stderr.
    const streams = { stdin: boolParam(q, 'stdin'), stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr') && !tty, tty };
    const target = new URL(verb === 'exec' ? await this.o.lookup.execUrl(c.id, cmd, streams) : await this.o.lookup.attachUrl(c.id, streams));
    if (wantsV5WebSocket(req)) return bridgeV5ToSpdy(req, socket, head, target, streams, this.o.log);
    await pipeUpgrade(req, socket, head, target);
  }
}

/** The ports a WebSocket port-forward names (`ports`, repeated or comma-separated), as upstream's NewV4Options reads them. */
export function webSocketPorts(q: URLSearchParams): number[] {
  const given = q.getAll('ports').flatMap((v) => v.split(','));
  if (!given.length) throw new EndpointError(400, 'BadRequest', 'query parameter "port" is required');
  return given.map((p) => {
    const n = Number(p.trim());
    if (!/^\d+$/.test(p.trim()) || n < 1 || n > 65535)
      throw new EndpointError(400, 'BadRequest', `unable to parse "${p}" as a port: a number from 1 to 65535 is needed`);
    return n;
  });
}

/**
 * Sends the upgrade request on to target (plain HTTP on loopback) with the client's headers
 * and joins the two connections; the target's 101 answer and every byte after flow back as is.
 */
export function pipeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL, extraHeaders: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port || 80) });
    upstream.once('error', (e) => {
      socket.destroy();
      reject(e);
    });
    upstream.once('connect', () => {
      const lines = [`${req.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i]!;
        if (/^(host|authorization|content-length)$/i.test(k) || k.toLowerCase() in lower(extraHeaders)) continue;
        lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
      }
      for (const [k, v] of Object.entries(extraHeaders)) lines.push(`${k}: ${v}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      const done = () => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.on('close', done);
      socket.on('close', done);
      socket.on('error', done);
      resolve();
    });
  });
}

function lower(h: Record<string, string>): Record<string, true> {
  return Object.fromEntries(Object.keys(h).map((k) => [k.toLowerCase(), true]));
}
