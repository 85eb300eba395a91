// The API server: HTTPS, authentication, routing of API paths to discovery, OpenAPI and the
// REST handlers, and the bootstrap objects every cluster starts with.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findResource, groupVersions, resourceByKey, resources } from '../registry/index.js';
import { openapiV3Document, openapiV3Index, type OpenApiResource } from '../api/schema/index.js';
import type { Store } from '../storage/store.js';
import { StoreUnavailableError } from '../storage/store.js';
import { bootstrapObjects } from './admission.js';
import type { AdmissionChain } from './admission/index.js';
import { objectKey } from './storage-keys.js';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { ApiError, badRequest, methodNotAllowed, unauthorized, unavailable } from './errors.js';
import { Authenticator, isBootstrapper, type UserInfo } from './authn.js';
import { bootstrapAllows, forbiddenPath, forbiddenResource, requestVerb, selectedName } from './bootstrap-authz.js';
import { handleCreate, handleDelete, handleGet, handlePatch, handleUpdate } from './handlers.js';
import type { Ctx } from './ctx.js';
import { negotiate } from './negotiate.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { parseApiPath, type ResourceRequest } from './request-info.js';
import { endWithBody, refuseUpgrade, sendError, sendJson } from './respond.js';
import { RestStorage } from './rest-storage.js';
import { NodeDialer } from './node-dialer.js';
import { AgentTunnels } from './agent-tunnels.js';
import { streamRest, type StreamCtx } from './subresources/index.js';
import type { Duplex } from 'node:stream';
import type { Pki } from './pki.js';
import {
  ConnectionCap,
  DEFAULT_CONNECTION_LIMITS,
  defaultMaxConnections,
  serverTimeoutOptions,
  validateConnectionLimits,
  type ConnectionLimits,
} from './connections.js';
import { InflightLimiter, isLongRunning, isWatchParam, type InflightLimits } from './inflight.js';
import { tlsSettings, type TlsSettings } from './tls-options.js';
import type { WatchStreamLimits } from './watch-stream.js';
import { bootstrapServices, type ClusterServices } from './service-bootstrap.js';
import { serviceNetwork } from '../registry/services/network.js';
import { formatIp } from '../api/cidr.js';
import { nonResourceLabels, observeRequest, reportServerGauges, resourceLabels, trackLongRunning, trackWatcher, type RequestLabels } from './metrics.js';
import { exposition } from '../metrics/registry.js';
import { componentLogger, type Logger } from '../log/logger.js';
import { ANONYMOUS } from './authn/user.js';
import { impersonatedUser } from './authn/impersonation.js';
import { requestAttributes } from './authz/attributes.js';
import { Authorizer, DEFAULT_AUTHORIZATION_MODES, type AuthorizationMode } from './authz/authorizer.js';
import { cachedRbacAuthorizer } from './authz/policy-cache.js';
import { cachedNodeGraph } from './authz/node/graph-populator.js';
import { NodeAuthorizer } from './authz/node/node-authorizer.js';
import { nodeRules } from './authz/bootstrap-policy.js';
import { reconcileBootstrapPolicy } from './authz/reconcile.js';
import { isReview, serveReview } from './authz/review-handler.js';
import { loadSigningKey } from './serviceaccount/keys.js';
import { TokenIssuer } from './serviceaccount/issuer.js';
import { InvalidTokenError, ServiceAccountAuthenticator, storageLookup } from './serviceaccount/authenticator.js';
import { serveOidcDiscovery } from './serviceaccount/oidc-discovery.js';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0+berth' };

export interface ApiServerOptions {
  store: Store;
  pki: Pki;
  host: string;
  port: number;
  log?: Logger;
  /** How often history is compacted (upstream: 5 minutes). */
  compactionIntervalMs?: number;
  /** What slow, idle or too many clients may hold; defaults for anything not given. */
  limits?: ServerLimits;
  /** Cipher suites and minimum version (default: upstream's secure suites, TLS 1.2 and up). */
  tls?: TlsSettings;
  /** The service range, node ports and cluster DNS address (default 10.43.0.0/16, 30000-32767, 10.43.0.10). */
  services?: ClusterServices;
  /** How often the service allocations are repaired (upstream: 3 minutes). */
  serviceRepairIntervalMs?: number;
  /** The join token's secret: accepted as a bootstrap token (kubelet TLS bootstrap). */
  bootstrapSecret?: string;
  /** How often agent tunnels are pinged; one missed interval drops a tunnel (default 10 s). */
  tunnelPingIntervalMs?: number;
  /** --authorization-mode (default Node,RBAC). */
  authorizationModes?: AuthorizationMode[];
  /** The admission plugins (default: all of Berth's, in upstream's order). */
  admission?: AdmissionChain;
  /** Where the data dir's copy of the ServiceAccount token signing key is (the store holds the key). */
  serviceAccountKeyPath?: string;
  /** --service-account-issuer (default https://kubernetes.default.svc.cluster.local). */
  serviceAccountIssuer?: string;
  /** --service-account-max-token-expiration in seconds (default: none). */
  serviceAccountMaxTokenExpirationSeconds?: number;
}

export interface ServerLimits {
  connections?: Partial<ConnectionLimits>;
  inflight?: InflightLimits;
  watchStreams?: WatchStreamLimits;
  /** Bytes of watch event history kept by all resources together. */
  watchHistoryBytes?: number;
}

export class ApiServer {
  readonly storage: RestStorage;
  private server?: Server;
  /** The way to node agents, for the streamed subresources (log, exec, portforward, proxy, ...). */
  private dialer?: NodeDialer;
  /** Agents that only dial out reach this server's node dialer through these. */
  readonly tunnels: AgentTunnels;
  private ready = false;
  private readonly log: Logger;
  private readonly authn: Authenticator;
  /** Signs ServiceAccount tokens (TokenRequest) and checks them (authentication); set at start. */
  tokenIssuer?: TokenIssuer;
  private saAuthn?: ServiceAccountAuthenticator;
  private namespaces?: NamespaceLifecycle;
  private compactionTimer?: NodeJS.Timeout;
  private repairTimer?: NodeJS.Timeout;
  private readonly services: ClusterServices;
  private lastSeenRevision = 0;
  private readonly inflight: InflightLimiter;
  private readonly connectionLimits: ConnectionLimits;
  private readonly tls: TlsSettings;
  connections?: ConnectionCap;
  address = '';
  readonly authorizer: Authorizer;
  private readonly rbacCache: ReturnType<typeof cachedRbacAuthorizer>;
  private readonly nodeGraph: ReturnType<typeof cachedNodeGraph>;

  constructor(private readonly opts: ApiServerOptions) {
    this.log = opts.log ?? componentLogger('apiserver');
    const limits = opts.limits ?? {};
    const network = opts.services?.network ?? serviceNetwork();
    this.services = opts.services ?? { network, clusterDNS: formatIp(network.serviceCidr.base + 10) };
    this.storage = new RestStorage(opts.store, resources, {
      historyBytes: limits.watchHistoryBytes,
      watchStreams: limits.watchStreams,
      log: this.log,
      serviceNetwork: network,
      admission: opts.admission,
    });
    this.tunnels = new AgentTunnels({ log: this.log, pingIntervalMs: opts.tunnelPingIntervalMs });
    this.authn = new Authenticator({ adminToken: opts.pki.adminToken, bootstrapSecret: opts.bootstrapSecret });
    this.inflight = new InflightLimiter(limits.inflight);
    this.connectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...limits.connections };
    validateConnectionLimits(this.connectionLimits);
    this.tls = opts.tls ?? tlsSettings();
    this.rbacCache = cachedRbacAuthorizer(this.storage, this.log);
    this.nodeGraph = cachedNodeGraph(this.storage, this.log);
    this.authorizer = new Authorizer(
      opts.authorizationModes ?? DEFAULT_AUTHORIZATION_MODES,
      this.rbacCache.authorizer,
      new NodeAuthorizer(this.nodeGraph.graph, nodeRules()),
    );
  }

  async start(): Promise<void> {
    await this.storage.ready();
    // Over etcd each cache's watch connects a moment after its list and catches up from there:
    // serve once that is done, so that /readyz says ready from the first request on (bounded:
    // an etcd that flaps now shows in /readyz instead of holding the start).
    for (const deadline = Date.now() + 10_000; [...this.storage.caches.values()].some((c) => c.behind()) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 10));
    }
    // A first start generates the key off the thread while the caches and bootstrap go on.
    const signingKey = loadSigningKey(this.opts.store, this.opts.serviceAccountKeyPath);
    signingKey.catch(() => {}); // awaited below; not an unhandled rejection meanwhile

    await this.rbacCache.start();
    await this.nodeGraph.start();
    await this.bootstrap();
    this.namespaces = new NamespaceLifecycle(this.storage, this.opts.pki.caCert, this.log);
    await this.namespaces.start();
    this.tokenIssuer = new TokenIssuer({
      key: await signingKey,
      issuer: this.opts.serviceAccountIssuer,
      maxExpirationSeconds: this.opts.serviceAccountMaxTokenExpirationSeconds,
    });
    this.saAuthn = new ServiceAccountAuthenticator(this.tokenIssuer, storageLookup(this.storage));
    this.server = createServer(
      {
        cert: this.opts.pki.serverCert,
        key: this.opts.pki.serverKey,
        // Client certificates are asked for, not required: one the cluster CA signed identifies
        // its holder (agents); without one a bearer token does (kubectl, the embedded parts).
        ca: this.opts.pki.caCert,
        requestCert: true,
        rejectUnauthorized: false,
        ciphers: this.tls.ciphers,
        minVersion: this.tls.minVersion,
        honorCipherOrder: true,
        ...serverTimeoutOptions(this.connectionLimits),
      },
      (req, res) => {
        const seen: { labels?: RequestLabels } = {};
        const started = performance.now();
        res.once('close', () => observeRequest(seen.labels ?? nonResourceLabels(req), res.statusCode, (performance.now() - started) / 1000));
        this.handle(req, res, seen).catch((e) => {
          // The client went away mid-request (or was cut off for being too slow): no one to answer.
          if (req.destroyed && (e as NodeJS.ErrnoException)?.code === 'ECONNRESET') return;
          sendError(res, e, this.log);
        });
      },
    );
    this.server.keepAliveTimeout = this.connectionLimits.keepAliveTimeoutMs;
    this.connections = new ConnectionCap(this.connectionLimits.maxConnections || defaultMaxConnections());
    this.connections.attach(this.server);
    this.dialer = new NodeDialer({
      storage: this.storage,
      tunnels: this.tunnels,
      tls: { ca: this.opts.pki.caCert, cert: this.opts.pki.kubeletClientCert, key: this.opts.pki.kubeletClientKey },
      log: this.log,
    });
    // exec, attach, portforward and WebSockets through a proxy: upgraded connections (SPDY or
    // WebSocket) relayed to a node agent.
    this.server.on('upgrade', (req, socket, head) => {
      this.upgrade(req, socket, head).catch((e: unknown) => {
        if (!socket.writable) return socket.destroy();
        refuseUpgrade(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.address = `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    // After listening: default/kubernetes points at the port this server really has.
    await bootstrapServices(this.storage, this.services, this.port, this.log);
    this.scheduleServiceRepair();
    this.scheduleCompaction();
    this.stopReporting = reportServerGauges({
      storageObjects: () => [...this.storage.caches].map(([key, cache]) => [key, cache.size]),
      inflight: () => this.inflight.inflight,
    });
    this.ready = true;
  }

  /**
   * What keeps the server from serving, or undefined when ready: the store must answer, and
   * every watch cache must hold what the store had when its watch last (re)connected, or a
   * client sent here after an etcd outage would list and watch a stale copy.
   */
  private async readiness(): Promise<string | undefined> {
    if (!this.ready) return 'starting';
    try {
      await Promise.race([
        this.opts.store.currentRevision(),
        new Promise((_, reject) => setTimeout(() => reject(new StoreUnavailableError('store did not answer within 2s')), 2000).unref()),
      ]);
    } catch (e) {
      return `store: ${(e as Error).message}`;
    }
    for (const [key, cache] of this.storage.caches) {
      const behind = cache.behind();
      if (behind) return `watch-cache: ${key}: ${behind}`;
    }
    return undefined;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  private stopReporting?: () => void;

  async stop(): Promise<void> {
    this.ready = false;
    this.stopReporting?.();
    this.tunnels.close();
    clearTimeout(this.compactionTimer);
    clearTimeout(this.repairTimer);
    this.namespaces?.stop();
    this.rbacCache.stop();
    this.nodeGraph.stop();
    for (const c of this.storage.caches.values()) c.stop();
    if (this.server) {
      const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
      this.server.closeAllConnections();
      this.connections?.closeAll();
      await closed;
    }
  }

  /** The namespaces, PriorityClasses and default RBAC policy every cluster has from the start. */
  private async bootstrap(): Promise<void> {
    for (const { key, obj } of bootstrapObjects()) {
      const r = resourceByKey(key);
      if (!this.storage.cache(r).get(objectKey(r, obj.metadata.namespace, obj.metadata.name!))) await this.createIfMissing(key, obj);
    }
    await reconcileBootstrapPolicy(this.storage, this.log);
  }

  private async createIfMissing(key: string, obj: Parameters<RestStorage['create']>[1]): Promise<void> {
    try {
      await this.storage.create(resourceByKey(key), obj);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }

  /**
   * Leaks and lost reservations are put right while the server runs too, as upstream's repair
   * loops, and a deleted default/kubernetes or kube-dns comes back.
   */
  private scheduleServiceRepair(): void {
    const every = this.opts.serviceRepairIntervalMs ?? 3 * 60_000;
    const tick = async () => {
      try {
        await bootstrapServices(this.storage, this.services, this.port, this.log);
      } catch (e) {
        this.log(`service allocations: repair failed: ${(e as Error).message}`);
      }
      this.repairTimer = setTimeout(tick, every);
      this.repairTimer.unref();
    };
    this.repairTimer = setTimeout(tick, every);
    this.repairTimer.unref();
  }

  /** As upstream: every interval, compact at the revision seen one interval ago. */
  private scheduleCompaction(): void {
    const every = this.opts.compactionIntervalMs ?? 5 * 60_000;
    const tick = async () => {
      try {
        const current = await this.opts.store.currentRevision();
        if (this.lastSeenRevision > 0) {
          await this.opts.store.compact(this.lastSeenRevision);
          for (const c of this.storage.caches.values()) c.compact(this.lastSeenRevision);
        }
        this.lastSeenRevision = current;
      } catch (e) {
        this.log.error(`compaction failed: ${(e as Error).message}`);
      }
      this.compactionTimer = setTimeout(tick, every);
      this.compactionTimer.unref();
    };
    this.compactionTimer = setTimeout(tick, every);
    this.compactionTimer.unref();
  }

  private streamCtx(req: IncomingMessage, url: URL, r: NonNullable<ReturnType<typeof findResource>>, info: { namespace?: string; name?: string }): StreamCtx {
    return { dialer: this.dialer!, r, namespace: info.namespace, name: info.name!, url, req };
  }

  /**
   * Who sent the request: a client certificate of the cluster CA, the admin token or the join
   * token's bootstrap secret (authn.ts), or anonymous without credentials; a credential no
   * authenticator accepts is refused (401), as upstream's union of authenticators.
   */
  private async authenticate(req: IncomingMessage): Promise<UserInfo> {
    const user = this.authn.authenticate(req);
    if (user) return user;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && this.saAuthn) {
      try {
        const sa = await this.saAuthn.authenticate(header.slice(7).trim());
        if (sa) return sa;
      } catch (e) {
        if (!(e instanceof InvalidTokenError)) throw e;
        this.log.debug(`service account token refused: ${e.message}`);
      }
    }
    if (header) throw unauthorized();
    return ANONYMOUS;
  }

  /** The authenticated user, or whom it impersonates (allowed by the authorizer), and the request authorized. */
  private async requestUser(req: IncomingMessage, url: URL, parsed = parseRequestPath(url)): Promise<UserInfo> {
    const user = impersonatedUser(req, await this.authenticate(req), (a) => this.authorizer.check(a));
    this.authorizer.check(requestAttributes(user, req.method ?? 'GET', url.pathname, parsed, url.searchParams));
    return user;
  }

  /** An upgrade request: served by the streamed subresource it names, if that takes upgrades. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const user = await this.requestUser(req, url);
    // Streams into pods are for no bootstrap caller (its only business is its CSR).
    if (isBootstrapper(user)) throw forbiddenPath(user, 'create', req.url ?? '/');
    if (AgentTunnels.serves(req.url)) return this.tunnels.accept(req, socket, head, user);
    const parsed = parseApiPath(url.pathname.replace(/\/+$/, '') || '/', (g, v, plural) => findResource(g, v, plural)?.namespaced);
    if (parsed.type !== 'resource') throw notFoundPath();
    const info = parsed.req;
    const r = findResource(info.group, info.version, info.resource);
    if (!r || !info.name || !r.subresources.some((s) => s.name === info.subresource)) throw notFoundPath();
    const stream = streamRest(r.key, info.subresource);
    if (!stream?.upgrade || (info.hasSubpath && !stream.takesPath) || r.namespaced !== !!info.namespace) throw notFoundPath();
    await stream.upgrade(this.streamCtx(req, url, r, info), socket, head);
  }

  /** Serves one request; `seen.labels` says what it was about, for the request metrics. */
  private async handle(req: IncomingMessage, res: ServerResponse, seen: { labels?: RequestLabels }): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/livez') return sendText(res, 200, 'ok');
    if (path === '/readyz') {
      const problem = await this.readiness();
      return sendText(res, problem ? 503 : 200, problem ? `[-]${problem}\nreadyz check failed` : 'ok');
    }
    if (path === '/version') return sendJson(res, 200, versionInfo());
    // The CA bundle, for joining agents to check against their token's hash (k3s's /cacerts).
    if (path === '/cacerts') return sendText(res, 200, this.opts.pki.caCert);
    const parsed = parseRequestPath(url);
    const user = await this.requestUser(req, url, parsed);
    if (AgentTunnels.serves(path)) throw badRequest('the agent tunnel is a WebSocket: Upgrade: websocket required');

    const watch = parsed.type === 'resource' && (parsed.req.legacyWatch || isWatchParam(url.searchParams.get('watch')));
    // Only served resources and subresources become label values: a client making up paths
    // must not grow the metrics without bound.
    if (parsed.type === 'resource') {
      const served = findResource(parsed.req.group, parsed.req.version, parsed.req.resource);
      if (served && (!parsed.req.subresource || served.subresources.some((s) => s.name === parsed.req.subresource)))
        seen.labels = resourceLabels(req, parsed, url.searchParams, watch);
    }
    if (!isLongRunning({ watch, subresource: parsed.type === 'resource' ? parsed.req.subresource : undefined })) this.inflight.admit(req.method, res);
    else if (seen.labels) res.once('close', trackLongRunning(seen.labels));

    if (path === '/metrics') {
      if (req.method !== 'GET') throw methodNotAllowed();
      const { contentType, body } = await exposition();
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
      return endWithBody(res, Buffer.from(body));
    }

    if (path === '/openapi/v2') return sendOpenApiV2(req, res);
    if (this.tokenIssuer && serveOidcDiscovery(path, req, res, this.tokenIssuer)) return;
    if (path === '/openapi/v3') {
      return sendJson(
        res,
        200,
        openapiV3Index(
          groupVersions().map((gv) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`)),
          openapiResources,
        ),
      );
    }
    if (path.startsWith('/openapi/v3/')) {
      const gvPath = path.slice('/openapi/v3/'.length);
      const list = openapiResources(gvPath);
      if (!list.length) throw notFoundPath();
      return sendJson(res, 200, openapiV3Document(gvPath, list));
    }

    switch (parsed.type) {
      case 'root':
        if (req.method !== 'GET') throw methodNotAllowed();
        return sendJson(res, 200, parsed.prefix === 'api' ? apiVersions(this.address) : apiGroupList());
      case 'group': {
        const doc = apiGroupDocument(parsed.group);
        if (!doc) throw notFoundPath();
        return sendJson(res, 200, doc);
      }
      case 'groupVersion': {
        const doc = apiResourceList(parsed.group, parsed.version);
        if (!doc) throw notFoundPath();
        return sendJson(res, 200, doc);
      }
      case 'unknown':
        throw notFoundPath();
    }
    const info = parsed.req;
    const r = findResource(info.group, info.version, info.resource);
    if (!r) throw notFoundPath();
    if (info.subresource && !r.subresources.some((s) => s.name === info.subresource)) throw notFoundPath();
    const q = url.searchParams;
    if (info.legacyWatch) q.set('watch', 'true');
    if (isBootstrapper(user)) await this.authorizeBootstrap(user, req.method, info, watch, q);
    const stream = streamRest(r.key, info.subresource);
    if (info.hasSubpath && !stream?.takesPath) throw notFoundPath();
    if (stream && info.name) {
      if (r.namespaced !== !!info.namespace) throw notFoundPath();
      // Upstream's answer to an exec or attach without the upgrade it needs.
      if (!stream.serve) throw badRequest('Upgrade request required');
      return stream.serve(this.streamCtx(req, url, r, info), res);
    }
    if (watch) res.once('close', trackWatcher(info.group, info.version, r.kind));
    const ctx: Ctx = {
      storage: this.storage,
      req,
      res,
      q,
      r,
      namespace: info.namespace,
      name: info.name,
      subresource: info.subresource,
      output: negotiate(req),
      log: this.log,
      user,
      serviceAccountTokens: this.tokenIssuer,
      authorizer: this.authorizer,
    };
    if (isReview(r.group)) return serveReview(ctx, this.authorizer);
    try {
      switch (req.method) {
        case 'GET':
          return await handleGet(ctx);
        case 'POST':
          return await handleCreate(ctx);
        case 'PUT':
          return await handleUpdate(ctx);
        case 'PATCH':
          return await handlePatch(ctx);
        case 'DELETE':
          return await handleDelete(ctx);
        default:
          throw methodNotAllowed();
      }
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw unavailable(e.message);
      throw e;
    }
  }

  /** Bootstrap callers may only handle their own CertificateSigningRequests (bootstrap-authz.ts). */
  private async authorizeBootstrap(user: UserInfo, method: string | undefined, info: ResourceRequest, watch: boolean, q: URLSearchParams): Promise<void> {
    const attrs = {
      verb: requestVerb(method, !!info.name, watch),
      group: info.group,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
    };
    const r = findResource(info.group, info.version, info.resource);
    const ownerOf = async (name: string) => {
      // From the store, not the watch cache: the request may have been created a moment ago.
      const obj = r ? await this.storage.get(r, undefined, name).catch(() => undefined) : undefined;
      return (obj as { spec?: { username?: string } } | undefined)?.spec?.username;
    };
    if (!(await bootstrapAllows(user, attrs, selectedName(q.get('fieldSelector')), ownerOf))) throw forbiddenResource(user, attrs);
  }
}

function parseRequestPath(url: URL) {
  return parseApiPath(url.pathname.replace(/\/+$/, '') || '/', (g, v, plural) => findResource(g, v, plural)?.namespaced);
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function sendText(res: ServerResponse, code: number, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  endWithBody(res, body);
}

export function versionInfo(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: 'berth',
    gitTreeState: 'clean',
    buildDate: '2026-11-25T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'berth',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

function openapiResources(gvPath: string): OpenApiResource[] {
  return resources
    .filter((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`) === gvPath)
    .map((r) => ({ ...r, subresources: r.subresources.map((s) => s.name) }));
}

/**
 * /openapi/v2 as a document with no definitions. Older kubectl (1.27) insists on fetching it
 * (as gnostic protobuf) before `apply`; without definitions it falls back to its compiled-in
 * patch metadata, and field validation is done server-side through OpenAPI v3.
 */
function sendOpenApiV2(req: IncomingMessage, res: ServerResponse): void {
  if ((req.headers.accept ?? '').includes('application/com.github.proto-openapi.spec.v2')) {
    // Document{swagger: "2.0" (1), info (2): {title (1), version (2)}} in protobuf wire format.
    const str = (field: number, s: string) => Buffer.concat([Buffer.from([(field << 3) | 2, Buffer.byteLength(s)]), Buffer.from(s)]);
    const info = Buffer.concat([str(1, 'Kubernetes'), str(2, 'v1.32.0')]);
    const body = Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
    res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': body.length });
    endWithBody(res, body);
    return;
  }
  sendJson(res, 200, { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} });
}
