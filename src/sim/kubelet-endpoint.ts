// The kubelet endpoint of every simulated node: one HTTPS listener on loopback, whose address
// and port each simulated Node advertises (status.addresses InternalIP and
// daemonEndpoints.kubeletEndpoint.Port), as kwok gives its nodes its own address and port. So
// the API server's pods/log and pods/exec reach the simulator and never an address nobody on
// the machine owns. Logs are the simulated containers' made-up output (container-log.ts), with
// follow; exec, attach and port-forward answer that nothing runs on a simulated node. As a real
// agent's (src/agent/server.ts), it serves a certificate of the cluster CA and lets in only the
// API server's client certificate.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  answeredHealthz,
  closeEndpoint,
  containerLogsTarget,
  kubeletClientRefusal,
  kubeletEndpointTls,
  listenEndpoint,
  type ServingCert,
} from '../kubelet/index.js';
import { isLoopbackAddress } from '../api/simulated-node.js';
import { boolParam } from '../api/query.js';
import { ByteBudget, SimLogError, exitLine, findContainer, followedRunEnd, formatLines, runLines, selectRun } from './container-log.js';

/** The simulator's pods, as its pod worker sees them. */
export interface SimPodSource {
  /** The pod, if it is bound to one of this simulator's nodes. */
  get(namespace: string, name: string): Pod | undefined;
  /** Calls fn with each newer copy of the pod (undefined once deleted); returns the unsubscribe. */
  watch(namespace: string, name: string, fn: (pod: Pod | undefined) => void): () => void;
}

export interface SimKubeletEndpointOptions {
  /** A loopback address (anything else is refused: nothing may send traffic off the machine for a simulated node). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The cluster CA, which signed the API server's client certificate; without it every request is refused. */
  clientCa?: string;
  /** The serving certificate (cluster CA, valid for host); until there is one (setServingCert) no handshake completes. */
  servingCert?: ServingCert;
  pods: SimPodSource;
  log: (msg: string) => void;
}

/** The kubelet paths that stream into a container: none of them can work on a simulated node. */
const STREAM_PATH = /^\/(exec|attach|portForward)\/([^/]+)\/([^/]+)(?:\/([^/]*))?$/;
/** The agent's path for pods/proxy and services/proxy: nothing listens on a simulated pod either. */
const POD_PROXY_PATH = /^\/(podProxy)\/([^/]+)\/([^/]+)\//;
const STREAM_VERB: Record<string, string> = { exec: 'exec', attach: 'attach', portForward: 'port-forward', podProxy: 'proxy to' };

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

export class SimKubeletEndpoint {
  private server?: Server;

  constructor(private readonly o: SimKubeletEndpointOptions) {
    if (!isLoopbackAddress(o.host)) throw new Error(`the simulated nodes' kubelet endpoint must listen on a loopback address, not ${o.host}`);
  }

  /** Serves with a (new or renewed) certificate; connections open keep theirs. */
  setServingCert(c: ServingCert): void {
    this.o.servingCert = c;
    this.server?.setSecureContext(this.tlsOptions());
  }

  get serving(): boolean {
    return !!this.o.servingCert;
  }

  private tlsOptions() {
    // With no CA configured nothing can present a certificate it signed: every request is refused.
    return kubeletEndpointTls(this.o.servingCert, this.o.clientCa ?? '');
  }

  get host(): string {
    return this.o.host;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    this.server = createServer({ ...this.tlsOptions(), requestTimeout: 0 }, (req, res) => {
      this.handle(req, res).catch((e) => {
        if (res.headersSent) return void res.destroy();
        const err = e instanceof SimLogError ? e : new SimLogError(500, 'InternalError', (e as Error).message);
        if (err.code === 500) this.o.log(`kubelet endpoint: ${req.method} ${req.url}: ${err.message}`);
        const body = statusBody(err.code, err.reason, err.message);
        res.writeHead(err.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    // An upgrade (exec, attach, port-forward over SPDY or WebSocket) is answered, not upgraded.
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      let err: SimLogError;
      try {
        err = this.refusal(req);
      } catch (e) {
        err = e instanceof SimLogError ? e : new SimLogError(500, 'InternalError', (e as Error).message);
      }
      const body = statusBody(err.code, err.reason, err.message);
      socket.end(
        `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    await listenEndpoint(this.server, this.o.port, this.o.host);
  }

  async stop(): Promise<void> {
    await closeEndpoint(this.server);
  }

  private authorize(req: IncomingMessage): void {
    const refused = this.o.clientCa
      ? kubeletClientRefusal(req.socket as TLSSocket)
      : { code: 401, reason: 'Unauthorized', message: 'Unauthorized: the simulator knows no cluster CA to check client certificates against' };
    if (refused) throw new SimLogError(refused.code, refused.reason, refused.message);
  }

  private pod(namespace: string, name: string): Pod {
    const pod = this.o.pods.get(namespace, name);
    if (!pod) throw new SimLogError(404, 'NotFound', `pods "${name}" not found on the simulated nodes`);
    return pod;
  }

  /** Why exec, attach or port-forward cannot be done: the error naming the simulated node. */
  private refusal(req: IncomingMessage): SimLogError {
    this.authorize(req);
    const url = new URL(req.url ?? '/', 'https://sim');
    const m = STREAM_PATH.exec(url.pathname) ?? POD_PROXY_PATH.exec(url.pathname);
    if (!m) return new SimLogError(404, 'NotFound', `the simulated nodes' kubelet endpoint serves no ${url.pathname}`);
    const [, kind, ns, name, container] = m;
    const pod = this.pod(decodeURIComponent(ns!), decodeURIComponent(name!));
    const what = container ? `container ${decodeURIComponent(container)} of pod ${pod.metadata?.name}` : `pod ${pod.metadata?.name}`;
    return new SimLogError(
      400,
      'BadRequest',
      `cannot ${STREAM_VERB[kind!]} ${what}: it runs on simulated node ${pod.spec?.nodeName}, where no container really runs`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sim');
    if (answeredHealthz(url.pathname, res)) return;
    this.authorize(req);
    const logs = containerLogsTarget(url.pathname);
    if (logs && req.method === 'GET') return this.logs(req, res, logs.namespace, logs.pod, logs.container, url.searchParams);
    // exec and the others without an upgrade: the same answer as with one.
    throw this.refusal(req);
  }

  private async logs(
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    name: string,
    containerName: string | undefined,
    q: URLSearchParams,
  ): Promise<void> {
    const pod = this.pod(ns, name);
    const c = findContainer(pod, containerName);
    const previous = boolParam(q, 'previous');
    const run = selectRun(pod, c, previous);
    const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
    const sinceSeconds = num('sinceSeconds');
    const o = {
      timestamps: boolParam(q, 'timestamps'),
      tailLines: num('tailLines'),
      sinceTimeMs: sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : q.has('sinceTime') ? Date.parse(q.get('sinceTime')!) : undefined,
    };
    const budget = new ByteBudget(num('limitBytes'));
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    const write = (lines: string[]) => {
      for (const l of lines) if (!budget.spent) res.write(budget.take(l));
    };
    write(formatLines(runLines(c.spec, pod.spec?.nodeName ?? '', run), o));
    if (!boolParam(q, 'follow') || previous || run.finishedAt !== undefined || budget.spent) return void res.end();
    // Follow: the run's exit line comes when its status shows it ended; the pod gone or the
    // client leaving ends it too.
    await new Promise<void>((resolve) => {
      let stop = () => {};
      const done = () => {
        stop();
        resolve();
      };
      let ended = false;
      const check = (p: Pod | undefined) => {
        const end = followedRunEnd(p, c.spec.name, run);
        if (end === undefined || ended) return;
        ended = true;
        if (end !== 'gone') write(formatLines([exitLine(c.spec, end)!], { ...o, tailLines: undefined }));
        done();
      };
      stop = this.o.pods.watch(ns, name, check);
      // A change between the first read and the subscription is not missed.
      check(this.o.pods.get(ns, name));
      req.on('close', done);
      res.on('close', done);
    });
    res.end();
  }
}
