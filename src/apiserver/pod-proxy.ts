// pods/log and pods/exec: the API server finds the pod's node and passes the request on to that
// node's agent endpoint (https://<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>), as
// upstream's apiserver does with kubelets. Logs are streamed back; exec is an upgraded
// connection (SPDY or WebSocket) joined end to end, so kubectl talks to the runtime's streaming
// server through the API server and the agent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { resourceByKey } from '../api/registry.js';
import type { KObject } from '../api/object.js';
import { boolParam } from '../api/query.js';
import { isLoopbackAddress, isSimulatedNode } from '../api/simulated-node.js';
import { ApiError, badRequest } from './errors.js';
import { refuseUpgrade } from './respond.js';
import type { RestStorage } from './rest-storage.js';

export interface PodProxyOptions {
  storage: RestStorage;
  /** The token the API server presents to agents (the cluster admin token). */
  token: string;
  log: (msg: string) => void;
}

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
  pod: KObject;
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
    return { host: addr, port, pod };
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
    const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name);
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
    const opts: RequestOptions = { host: t.host, port: t.port, path, method: 'GET', headers: { Authorization: `Bearer ${this.o.token}` }, rejectUnauthorized: false };
    await new Promise<void>((resolve, reject) => {
      const up = request(opts, (ar) => {
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
      up.on('error', (e) => (res.headersSent ? (res.destroy(), resolve()) : reject(new ApiError(502, 'InternalError', `cannot reach the agent of node at ${t.host}:${t.port}: ${e.message}`))));
      up.end();
    });
  }

  /**
   * An upgrade request: pods/exec goes to the agent; returns false for paths it doesn't serve.
   * The caller has authenticated the request.
   */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const m = EXEC_PATH.exec(url.pathname);
    if (!m) return false;
    const namespace = decodeURIComponent(m[1]!);
    const name = decodeURIComponent(m[2]!);
    try {
      const t = await this.target(namespace, name);
      const container = this.containerParam(t.pod, url.searchParams);
      const query = new URLSearchParams();
      for (const v of url.searchParams.getAll('command')) query.append('command', v);
      forwardBools(url.searchParams, query, EXEC_BOOLS);
      const path = `/exec/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${query}`;
      await joinUpgrade(req, socket, head, t, path, this.o.token);
    } catch (e) {
      refuseUpgrade(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message));
    }
    return true;
  }
}

/** Opens TLS to the agent, replays the upgrade request on it (with our token), and joins the connections. */
function joinUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, t: Target, path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const up = tls.connect({ host: t.host, port: t.port, rejectUnauthorized: false });
    up.once('error', (e) => reject(new ApiError(502, 'InternalError', `cannot reach the agent at ${t.host}:${t.port}: ${e.message}`)));
    up.once('secureConnect', () => {
      const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${t.host}:${t.port}`, `Authorization: Bearer ${token}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (/^(host|authorization)$/i.test(req.rawHeaders[i]!)) continue;
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
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
}
