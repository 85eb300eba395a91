// pods/log and pods/exec: the API server finds the pod's node and passes the request on to that
// node's agent endpoint (https://<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>), as
// upstream's apiserver does with kubelets. Logs are streamed back; exec is an upgraded
// connection (SPDY or WebSocket) joined end to end, so kubectl talks to the runtime's streaming
// server through the API server and the agent.
//
// Like kube-apiserver with --kubelet-client-certificate and --kubelet-certificate-authority, the
// API server authenticates to agents with its own client certificate (never a user's token) and
// verifies the agent's serving certificate against the cluster CA for the address it dials: a
// machine that registers a Node with its own address collects no credential. An agent that
// does not answer within a bound gets a 504, not a request held open forever.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { resourceByKey, type ResourceType } from '../registry/index.js';
import type { KObject } from '../api/object.js';
import { boolParam } from '../api/query.js';
import { isLoopbackAddress, isSimulatedNode } from '../api/simulated-node.js';
import { ApiError, badRequest } from './errors.js';
import { refuseUpgrade } from './respond.js';
import type { RestStorage } from './rest-storage.js';
import { initThenAppContainers } from '../api/containers.js';

/** How the API server dials agents: its client identity and the CA their serving certificates come from. */
export interface AgentTls {
  ca: string;
  cert: string;
  key: string;
}

export interface PodProxyOptions {
  storage: RestStorage;
  tls: AgentTls;
  /** How long the agent may take to connect and answer with headers (default 15 s); a stream then flows unbounded. */
  responseTimeoutMs?: number;
  log: (msg: string) => void;
}

const DEFAULT_RESPONSE_TIMEOUT_MS = 15_000;

/** The query parameters of pods/log that the agent understands, booleans apart. */
const LOG_PARAMS = ['tailLines', 'sinceSeconds', 'sinceTime', 'limitBytes'];
const LOG_BOOLS = ['follow', 'previous', 'timestamps', 'insecureSkipTLSVerifyBackend'];
const EXEC_BOOLS = ['stdin', 'stdout', 'stderr', 'tty'];

/**
 * Booleans are decoded here (upstream's rules, `stdout=True` included) and passed on as "true"
 * or not at all, as kube-apiserver builds the kubelet's URL.
 */
function forwardBools(from: URLSearchParams, to: URLSearchParams, names: string[]): void {
  for (const k of names) if (boolParam(from, k)) to.set(k, 'true');
}
const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec\/?$/;

interface Target {
  host: string;
  port: number;
  nodeName: string;
  pod: KObject;
}

/** The TLS options of a connection to an agent: only the cluster CA is trusted, for the address dialed. */
function agentTlsOptions(t: Target, tls: AgentTls): tls.ConnectionOptions {
  return { host: t.host, port: t.port, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true };
}

/** A failed dial in words: TLS verification failures say so, as kube-apiserver's do. */
export function agentDialError(t: { host: string; port: number; nodeName: string }, e: Error & { code?: string }): ApiError {
  const where = `the agent of node ${t.nodeName} at ${t.host}:${t.port}`;
  const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH|ISSUER/;
  if (e.code && tlsCodes.test(e.code)) return new ApiError(502, 'InternalError', `cannot verify the serving certificate of ${where} against the cluster CA: ${e.message}`);
  // What an agent still waiting for its serving certificate answers every handshake with.
  if (e.code === 'EPROTO' && /alert handshake failure/.test(e.message)) {
    return new ApiError(502, 'InternalError', `${where} refused the TLS handshake (an agent does until its serving certificate is issued: see kubectl get csr): ${e.message}`);
  }
  return new ApiError(502, 'InternalError', `cannot reach ${where}: ${e.message}`);
}

function timeoutError(t: Target, ms: number): ApiError {
  return new ApiError(504, 'Timeout', `the agent of node ${t.nodeName} at ${t.host}:${t.port} did not answer within ${ms / 1000} s`);
}

export class PodProxy {
  constructor(private readonly o: PodProxyOptions) {}

  /** The agent endpoint of the node running the pod. */
  private async target(namespace: string, name: string): Promise<Target> {
    const pod = await this.o.storage.get(resourceByKey('pods'), namespace, name);
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
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
      throw new ApiError(503, 'ServiceUnavailable', `node ${nodeName} is simulated and names ${addr}, not its simulator's loopback endpoint: restart its simulator (berth sim)`);
    }
    return { host: addr, port, nodeName, pod };
  }

  private containerParam(pod: KObject, q: URLSearchParams): string {
    const spec = pod.spec as { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> };
    const given = q.get('container');
    if (given) {
      if (![...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].some((c) => c.name === given)) {
        throw badRequest(`container ${given} is not valid for pod ${pod.metadata.name}`);
      }
      return given;
    }
    const dflt = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (dflt) return dflt;
    if (spec.containers?.length === 1) return spec.containers[0]!.name;
    const all = initThenAppContainers(spec).map((c) => c.name);
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.join(' ')}]`);
  }

  /** GET pods/NAME/log: streams the container's log from the node's agent. */
  async log(_req: IncomingMessage, res: ServerResponse, namespace: string, name: string, q: URLSearchParams): Promise<void> {
    const t = await this.target(namespace, name);
    const container = this.containerParam(t.pod, q);
    const query = new URLSearchParams();
    for (const k of LOG_PARAMS) for (const v of q.getAll(k)) query.append(k, v);
    forwardBools(q, query, LOG_BOOLS);
    const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${query}`;
    const opts: RequestOptions = { ...agentTlsOptions(t, this.o.tls), path, method: 'GET', agent: false };
    const limit = this.o.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      // Bounds the connect, the handshake and the wait for headers; a follow then streams on.
      const timer = setTimeout(() => {
        up.destroy();
        reject(timeoutError(t, limit));
      }, limit);
      const up = request(opts, (ar) => {
        clearTimeout(timer);
        const code = ar.statusCode ?? 502;
        res.writeHead(code, { 'Content-Type': ar.headers['content-type'] ?? 'text/plain', 'Cache-Control': 'no-cache' });
        ar.pipe(res);
        ar.on('end', () => resolve());
        ar.on('error', (e) => {
          res.destroy(e);
          resolve();
        });
      });
      // The client going away ends a follow.
      res.on('close', () => up.destroy());
      up.on('error', (e) => {
        clearTimeout(timer);
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else reject(agentDialError(t, e));
      });
      up.end();
    });
  }

  /** Whether a GET of this resource's subresource is a stream served here (pods/log). */
  servesGet(r: ResourceType, subresource: string | undefined): boolean {
    return r.key === 'pods' && subresource === 'log';
  }

  /**
   * An upgrade request: pods/exec goes to the agent, pods/attach and pods/portforward are
   * refused by name; returns false for paths it doesn't serve. The caller has authenticated the request.
   */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const m = EXEC_PATH.exec(url.pathname);
    if (!m) {
      const unserved = unservedUpgrade(req.url ?? '/');
      if (unserved) refuseUpgrade(socket, unserved);
      return !!unserved;
    }
    const namespace = decodeURIComponent(m[1]!);
    const name = decodeURIComponent(m[2]!);
    try {
      const t = await this.target(namespace, name);
      const container = this.containerParam(t.pod, url.searchParams);
      const query = new URLSearchParams();
      for (const v of url.searchParams.getAll('command')) query.append('command', v);
      forwardBools(url.searchParams, query, EXEC_BOOLS);
      const path = `/exec/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${query}`;
      await joinUpgrade(req, socket, head, t, path, this.o.tls, this.o.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS);
    } catch (e) {
      refuseUpgrade(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message));
    }
    return true;
  }
}

/** pods/attach and pods/portforward say by name that they are not served (yet). */
function unservedUpgrade(url: string): ApiError | undefined {
  const m = /^\/api\/v1\/namespaces\/[^/]+\/pods\/([^/]+)\/(attach|portforward)\/?(\?|$)/.exec(url);
  if (!m) return undefined;
  return new ApiError(404, 'NotFound', `the server could not find the requested resource: pods/${m[2]} (of pod ${decodeURIComponent(m[1]!)}) is not supported by this server yet`, {});
}

/**
 * Opens TLS to the agent (our client certificate, its certificate verified), replays the upgrade
 * request on it, and joins the connections once the agent answers; an agent silent for
 * limitMs gets the client a 504.
 */
function joinUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, t: Target, path: string, agentTls: AgentTls, limitMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const up = tls.connect(agentTlsOptions(t, agentTls));
    const timer = setTimeout(() => {
      up.destroy();
      reject(timeoutError(t, limitMs));
    }, limitMs);
    up.once('error', (e) => {
      clearTimeout(timer);
      reject(agentDialError(t, e));
    });
    up.once('secureConnect', () => {
      const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${t.host}:${t.port}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (/^(host|authorization)$/i.test(req.rawHeaders[i]!)) continue;
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      // The agent's first bytes (its 101 or its error) end the wait; from then on bytes flow both ways.
      up.once('data', (first: Buffer) => {
        clearTimeout(timer);
        up.removeAllListeners('error');
        socket.write(first);
        up.pipe(socket);
        socket.pipe(up);
        const done = () => {
          up.destroy();
          socket.destroy();
        };
        up.on('close', done);
        up.on('error', done);
        socket.on('close', done);
        socket.on('error', done);
        resolve();
      });
    });
  });
}
