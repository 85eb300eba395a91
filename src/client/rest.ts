// RestClient: Kubernetes REST over HTTPS (JSON), one keep-alive connection pool per client, and
// watch streams on a pool of their own so that long-lived watches never starve ordinary calls.
import * as http from 'node:http';
import * as https from 'node:https';
import { createSecureContext } from 'node:tls';
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import { StatusError, type Status } from './errors.js';
import { loadKubeconfig, type ConnectionOptions, type KubeconfigOptions } from './kubeconfig.js';
import { resourcePath, type NamedRef, type ResourceRef } from './paths.js';
import type { KubeObject, ObjectList, WatchEvent } from './types.js';
import { WatchDecoder } from './watch-stream.js';
import { peekMetadataName } from './json-peek.js';

export type { DeleteOptions };

export interface RestClientOptions extends ConnectionOptions {
  /** Concurrent connections for ordinary requests (watches have their own pool). Default 64. */
  maxSockets?: number;
  /** Per-request timeout for non-watch calls; 0 disables. Default 60 s. */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * How many times an answer that asks the client to come back (429, or a 5xx, with Retry-After)
   * is retried after the wait it names, as client-go's rest client does. Default 10, as client-go.
   */
  maxRetries?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/**
 * For a write whose answer the caller does not read (a status report, a binding, an Event): a
 * successful answer is not decoded (a pod's JSON is a few KB) and the call resolves with
 * nothing; a failed one still rejects with the server's StatusError.
 */
export interface DiscardAnswer {
  discardAnswer: true;
}

type AnyRequestOptions = RequestOptions & { discardAnswer?: boolean };

export type QueryValue = string | number | boolean | undefined | null | readonly string[];
export type Query = Record<string, QueryValue>;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** merge: RFC 7386; strategic: Kubernetes strategic merge; json: RFC 6902 ops; apply: server-side apply. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WatchHandle {
  /** Ends the watch; onClose is not called for a watch the caller stopped. */
  stop(): void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

export class RestClient {
  readonly server: string;
  private readonly secure: boolean;
  /** Where requests go, as http.request takes it: no URL object is parsed per request. */
  private readonly hostname: string;
  private readonly port: number;
  private agent: http.Agent;
  private watchAgent: http.Agent;
  private tls: https.AgentOptions;
  private readonly timeoutMs: number;
  /** The headers of every request, as the name/value list Node writes out without re-validating a map. */
  private readonly headers: string[];
  private readonly send: typeof https.request;

  constructor(readonly options: RestClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    const base = new URL(this.server);
    const secure = (this.secure = base.protocol === 'https:');
    this.hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(base.port) || (secure ? 443 : 80);
    this.send = secure ? https.request : (http.request as unknown as typeof https.request);
    const tls = secure
      ? {
          ca: options.ca,
          cert: options.cert,
          key: options.key,
          rejectUnauthorized: !options.insecureSkipTLSVerify,
          servername: options.tlsServerName,
        }
      : {};
    this.tls = tls;
    [this.agent, this.watchAgent] = this.newAgents();
    this.timeoutMs = options.timeoutMs ?? 60_000;
    // Given as a list, the headers are written as they are: Node adds no Host then, so it is here.
    this.headers = ['Host', base.host, 'Accept', 'application/json', 'User-Agent', options.userAgent ?? 'berth-client'];
    if (options.token) this.headers.push('Authorization', `Bearer ${options.token}`);
  }

  /** A client for the kubeconfig at path (default: $KUBECONFIG or ~/.kube/config). */
  static fromKubeconfig(path?: string, opts: KubeconfigOptions & Omit<Partial<RestClientOptions>, keyof ConnectionOptions> = {}): RestClient {
    const { context, baseDir, ...rest } = opts;
    return new RestClient({ ...loadKubeconfig(path, { context, baseDir }), ...rest });
  }

  /**
   * Authenticates from now on with this client certificate (a renewed one): new connections
   * present it; requests and watches under way finish on their connections.
   */
  setClientCertificate(cert: string, key: string): void {
    const old = [this.agent, this.watchAgent];
    this.tls = { ...this.tls, cert, key };
    [this.agent, this.watchAgent] = this.newAgents();
    // Only idle sockets go now (they would present the old certificate); busy ones stay until done.
    for (const a of old) for (const list of Object.values(a.freeSockets)) for (const sock of list ?? []) sock.destroy();
  }

  /** The CA and client certificate new connections use (after a renewal, the renewed one). */
  get credentials(): { ca?: string; cert?: string; key?: string } {
    const t = this.tls as { ca?: string; cert?: string; key?: string };
    return { ca: t.ca, cert: t.cert, key: t.key };
  }

  private newAgents(): [http.Agent, http.Agent] {
    const Agent = this.secure ? https.Agent : http.Agent;
    // One TLS context for every connection of this client: left to Node, each new connection
    // parses the CA, certificate and key again (1-2 ms; a controller's burst opens dozens).
    // The PEM texts stay out of the agent's options: the agent names its connection pool after
    // them, a string of several KB built and hashed on every request; the context holds them.
    const { ca, cert, key, ...rest } = this.tls;
    const tls = this.secure ? { ...rest, secureContext: createSecureContext({ ca, cert, key }) } : {};
    return [
      new Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: this.options.maxSockets ?? 64, ...tls }),
      new Agent({ keepAlive: true, keepAliveMsecs: 30_000, ...tls }),
    ];
  }

  /** Closes idle connections; in-flight requests and watches end on their own. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  /**
   * Any call: body is sent as JSON (or as-is when a string/Buffer), the answer parsed as JSON
   * (not read at all with discardAnswer). A non-2xx answer rejects with StatusError carrying the
   * server's Status.
   */
  request(
    method: string,
    path: string,
    body: unknown,
    query: Query | undefined,
    contentType: string | undefined,
    opts: RequestOptions & DiscardAnswer,
  ): Promise<void>;
  request<R = unknown>(method: string, path: string, body?: unknown, query?: Query, contentType?: string, opts?: RequestOptions): Promise<R>;
  request<R = unknown>(
    method: string,
    path: string,
    body?: unknown,
    query?: Query,
    contentType = 'application/json',
    opts: AnyRequestOptions = {},
  ): Promise<R | undefined> {
    return this.call(method, path, body, query, contentType, opts, opts.discardAnswer ? undefined : decodeJSON<R>);
  }

  /** A call whose successful answer is decode(text), or is not read at all without decode. */
  private async call<R>(
    method: string,
    path: string,
    body: unknown,
    query: Query | undefined,
    contentType: string,
    opts: RequestOptions,
    decode: ((text: string) => R) | undefined,
  ): Promise<R | undefined> {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const target = requestTarget(path, query);
    let waits = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const { code, text, retryAfterS } = await this.once(method, target, payload, contentType, opts, decode !== undefined);
        // The server's "not now" (its in-flight limit, or a store briefly away) is waited out here,
        // as client-go does, so that callers see it only when it lasts.
        if (retryAfterS !== undefined && waits < (this.options.maxRetries ?? 10)) {
          waits++;
          await sleep(Math.min(retryAfterS, MAX_RETRY_AFTER_S) * 1000, opts.signal);
          continue;
        }
        if (code < 200 || code > 299) throw StatusError.fromResponse(code, text);
        return decode?.(text);
      } catch (e) {
        // A kept-alive socket the server closed just as we reused it: the request never
        // reached the server, so an idempotent one is safely sent again (Node's advice).
        if (attempt === 0 && (e as { reusedSocket?: boolean }).reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET' && IDEMPOTENT.has(method)) {
          continue;
        }
        throw e;
      }
    }
  }

  get<T = KubeObject>(ref: NamedRef, opts: { resourceVersion?: string } & RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(ref), undefined, { resourceVersion: opts.resourceVersion }, undefined, opts);
  }

  list<T = KubeObject>(ref: ResourceRef, opts: ListOptions & RequestOptions = {}): Promise<ObjectList<T>> {
    const { labelSelector, fieldSelector, limit, resourceVersion, resourceVersionMatch } = opts;
    const query: Query = { labelSelector, fieldSelector, limit, continue: opts.continue, resourceVersion, resourceVersionMatch };
    return this.request<ObjectList<T>>('GET', resourcePath({ ...ref, name: undefined }), undefined, query, undefined, opts);
  }

  /** Every page of a list (pageSize per request, continue tokens followed): one consistent snapshot. */
  async listAll<T = KubeObject>(
    ref: ResourceRef,
    opts: Omit<ListOptions, 'limit' | 'continue'> & RequestOptions & { pageSize?: number } = {},
  ): Promise<ObjectList<T>> {
    const { pageSize = 500, ...rest } = opts;
    const first = await this.list<T>(ref, { ...rest, limit: pageSize });
    const items = [...first.items];
    let token = first.metadata?.continue;
    while (token) {
      const page = await this.list<T>(ref, {
        labelSelector: rest.labelSelector,
        fieldSelector: rest.fieldSelector,
        limit: pageSize,
        continue: token,
        signal: rest.signal,
      });
      items.push(...page.items);
      token = page.metadata?.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata?.resourceVersion }, items };
  }

  /** POST to the collection; the namespace defaults to the object's. */
  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions & RequestOptions & DiscardAnswer): Promise<void>;
  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions & RequestOptions): Promise<T>;
  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions & AnyRequestOptions = {}): Promise<T | void> {
    return this.request<T>('POST', collectionPath(ref, obj), obj, writeQuery(opts), undefined, opts);
  }

  /**
   * POST to the collection, resolving with the created object's name (the one the server made
   * from metadata.generateName): of the answer only that is read (json-peek.ts).
   */
  async createForName(ref: ResourceRef, obj: KubeObject, opts: WriteOptions & RequestOptions = {}): Promise<string> {
    const name = await this.call('POST', collectionPath(ref, obj), obj, writeQuery(opts), 'application/json', opts, nameOfCreated);
    return name!;
  }

  /** PUT; metadata.resourceVersion, when set, makes it a compare-and-swap (409 Conflict if stale). */
  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions & RequestOptions & DiscardAnswer): Promise<void>;
  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions & RequestOptions): Promise<T>;
  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions & AnyRequestOptions = {}): Promise<T | void> {
    return this.request<T>('PUT', resourcePath(objectRef(ref, obj)), obj, writeQuery(opts), undefined, opts);
  }

  /** PUT to the status subresource: only status changes. */
  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions & RequestOptions & DiscardAnswer): Promise<void>;
  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions & RequestOptions): Promise<T>;
  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions & AnyRequestOptions = {}): Promise<T | void> {
    return this.request<T>('PUT', resourcePath({ ...objectRef(ref, obj), subresource: 'status' }), obj, writeQuery(opts), undefined, opts);
  }

  patch(ref: NamedRef, patch: unknown, type: PatchType, opts: PatchOptions & RequestOptions & DiscardAnswer): Promise<void>;
  patch<T = KubeObject>(ref: NamedRef, patch: unknown, type?: PatchType, opts?: PatchOptions & RequestOptions): Promise<T>;
  patch<T = KubeObject>(ref: NamedRef, patch: unknown, type: PatchType = 'strategic', opts: PatchOptions & AnyRequestOptions = {}): Promise<T | void> {
    const query = writeQuery(opts);
    if (opts.force) query.force = true;
    if (type === 'apply' && !opts.fieldManager) throw new Error('server-side apply needs a fieldManager');
    return this.request<T>('PATCH', resourcePath(ref), patch, query, PATCH_CONTENT_TYPES[type], opts);
  }

  /**
   * DELETE with DeleteOptions in the body (propagationPolicy, preconditions, gracePeriodSeconds).
   * Resolves with the object (kinds that answer with it, e.g. pods) or a Success Status.
   */
  delete<T = KubeObject>(ref: NamedRef, opts: DeleteOptions = {}, req: RequestOptions = {}): Promise<T | Status> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...opts };
    return this.request<T | Status>('DELETE', resourcePath(ref), body, undefined, undefined, req);
  }

  /**
   * Watches a collection (a path or a ref): onEvent for each event in order, including BOOKMARK
   * and ERROR (whose object is a Status); onClose once when the server or the network ends the
   * watch — undefined for a clean end (e.g. timeoutSeconds), an StatusError for a refused watch.
   */
  watch<T = KubeObject>(
    target: string | ResourceRef,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    onClose: (err?: Error) => void,
  ): WatchHandle {
    const path = typeof target === 'string' ? target : resourcePath({ ...target, name: undefined });
    const reqTarget = requestTarget(path, {
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: opts.timeoutSeconds,
    });
    let stopped = false;
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      if (!stopped) onClose(err);
    };
    const req = this.send(this.requestOptions('GET', reqTarget, this.watchAgent, this.headers), (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => finish(StatusError.fromResponse(res.statusCode ?? 0, text)));
        res.on('error', (e) => finish(e));
        return;
      }
      const decoder = new WatchDecoder<T>();
      const deliver = (events: () => WatchEvent<T>[]): boolean => {
        try {
          for (const ev of events()) {
            if (stopped) return false;
            onEvent(ev);
          }
          return true;
        } catch (e) {
          req.destroy();
          finish(e as Error);
          return false;
        }
      };
      res.on('data', (chunk: Buffer) => {
        if (!stopped && !finished) deliver(() => decoder.push(chunk));
      });
      res.on('end', () => {
        if (!stopped && !finished && deliver(() => decoder.end())) finish();
      });
      res.on('error', (e) => finish(e));
      res.on('close', () => finish(new Error('watch connection closed before the stream ended')));
    });
    req.on('error', (e) => finish(e));
    req.end();
    return {
      stop() {
        if (stopped) return;
        stopped = true;
        req.destroy();
      },
    };
  }

  private requestOptions(method: string, path: string, agent: http.Agent, headers: string[]): https.RequestOptions {
    return { method, hostname: this.hostname, port: this.port, path, agent, headers: headers as unknown as http.OutgoingHttpHeaders };
  }

  private once(
    method: string,
    path: string,
    payload: string | Buffer | undefined,
    contentType: string,
    opts: RequestOptions,
    readAnswer: boolean,
  ): Promise<{ code: number; text: string; retryAfterS?: number }> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('aborted'));
      let headers = opts.headers ? withHeaders(this.headers, opts.headers) : this.headers;
      // Length always given: Node would otherwise send a DELETE body unframed.
      if (payload !== undefined) {
        const framing = { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) };
        headers = opts.headers
          ? withHeaders(headers, framing)
          : headers.concat('Content-Type', framing['Content-Type'], 'Content-Length', framing['Content-Length']);
      }
      const req = this.send(this.requestOptions(method, path, this.agent, headers), (res) => {
        const code = res.statusCode ?? 0;
        // A success nobody reads is drained, not kept.
        const chunks: Buffer[] | undefined = !readAnswer && code >= 200 && code <= 299 ? undefined : [];
        res.on('data', (d: Buffer) => chunks?.push(d));
        res.on('end', () => {
          cleanup();
          const text = !chunks ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          // Node builds the headers map on first read: only an answer that may be retried needs it.
          const retryAfterS = code === 429 || code >= 500 ? retryAfterSeconds(res.headers['retry-after']) : undefined;
          resolve({ code, text, retryAfterS });
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error(`${method} ${path}: connection closed before the response ended`));
        });
      });
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const timer = timeoutMs > 0 ? setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs) : undefined;
      const onAbort = () => req.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      function cleanup() {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      }
      function fail(e: Error) {
        cleanup();
        // Whether the socket was reused decides if a reset request may be retried.
        reject(Object.assign(e, { reusedSocket: req.reusedSocket }));
      }
      req.on('error', fail);
      req.end(payload);
    });
  }
}

/** Longest Retry-After honoured, so that a bad header cannot park a caller for hours. */
const MAX_RETRY_AFTER_S = 60;

/** Retry-After in whole seconds, as client-go reads it (an HTTP date is not honoured). */
export function retryAfterSeconds(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('aborted'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A target made only of characters a URL keeps as they are. */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * The request target (path and query) for path and query. A plain path, as resourcePath makes
 * them, is taken as it is; any other is normalized as a URL would (spaces and the like escaped,
 * dot segments resolved, a fragment dropped), as the client always did.
 */
export function requestTarget(path: string, query?: Query): string {
  let target = path;
  const q = path.indexOf('?');
  if (!PLAIN_TARGET.test(path) || DOT_SEGMENT.test(q < 0 ? path : path.slice(0, q))) {
    const u = new URL(path, 'http://x');
    target = u.pathname + u.search;
  }
  let sep = target.includes('?') ? '&' : '?';
  for (const k in query) {
    const v = query[k];
    if (v === undefined || v === null || v === '') continue;
    for (const item of Array.isArray(v) ? v : [String(v)]) {
      target += `${sep}${encodeURIComponent(k)}=${encodeURIComponent(item)}`;
      sep = '&';
    }
  }
  return target;
}

/** The header list with these headers added, each replacing any of its name (in any case). */
function withHeaders(list: string[], add: Record<string, string>): string[] {
  const names = new Set(Object.keys(add).map((k) => k.toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (!names.has(list[i]!.toLowerCase())) out.push(list[i]!, list[i + 1]!);
  for (const [k, v] of Object.entries(add)) out.push(k, v);
  return out;
}

const decodeJSON = <R>(text: string): R => (text ? JSON.parse(text) : undefined) as R;

/** The created object's metadata.name, peeked at; the whole answer decoded only when that fails. */
function nameOfCreated(text: string): string {
  const name = peekMetadataName(text) ?? decodeJSON<KubeObject | undefined>(text)?.metadata?.name;
  if (typeof name !== 'string' || !name) throw new Error(`the server's answer to a create has no metadata.name: ${text.slice(0, 120)}`);
  return name;
}

/** The collection an object is created in: the namespace defaults to the object's. */
function collectionPath(ref: ResourceRef, obj: KubeObject): string {
  return resourcePath({ ...ref, namespace: ref.namespace ?? obj.metadata?.namespace, name: undefined, subresource: undefined });
}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}

/** The object's own ref: name and namespace from its metadata unless the ref gives them. */
function objectRef(ref: ResourceRef, obj: KubeObject): NamedRef {
  const name = ref.name ?? obj.metadata?.name;
  if (!name) throw new Error(`${ref.resource}: the object has no metadata.name`);
  return { ...ref, namespace: ref.namespace ?? obj.metadata?.namespace, name };
}
