// `berth server`: the control plane on this machine (k3s-style): the API server, and the scheduler
// and the controller manager in processes of their own (or all in this one: --single-process).
import { mkdirSync, statSync } from 'node:fs';
import { limitHeapGrowth } from './heap-growth.js';
import { join as joinPath, resolve } from 'node:path';
import { availableParallelism, hostname } from 'node:os';
import { ensureJoinToken } from './join-token-file.js';
import { openStore, parseDatastore } from './datastore.js';
import { ApiServer } from '../apiserver/server.js';
import { ensurePki, issueNodeClientCertificate, issueNodeServingCertificate } from '../apiserver/pki.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { RestClient, SharedInformerFactory, resources } from '../client/index.js';
import { loadSchedulerConfig } from './scheduler-config.js';
import type { RunningScheduler } from './scheduler.js';
import { defaultNodeName, startEmbeddedAgent, type RunningAgent } from './agent.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { RuntimeUnavailableError } from '../runtime/index.js';
import { controllerClients, controllerOptions, startControllerManager, type RunningControllerManager } from './controller-manager.js';
import { ComponentClients } from './component-clients.js';
import { APISERVER_ENDPOINTS, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER } from '../api/component-identities.js';
import { podCidrForEmbeddedAgent } from './embedded-pod-cidr.js';
import { nodeIpamOptions, type NodeIpamFlags } from './node-ipam-flags.js';
import { defaultDataDir, parseListen } from './flags.js';
import { lockDataDir } from './data-dir-lock.js';
import { superviseeHooks } from './supervisor.js';
import { serverLimits, type ServerLimitFlags } from './server-limits-flags.js';
import { parseAuthorizationModes } from '../apiserver/authz/authorizer.js';
import { maxTokenExpirationSeconds } from '../apiserver/serviceaccount/issuer.js';
import { parseGoDuration } from '../sim/duration.js';
import { raiseOpenFileLimit } from './file-limit.js';
import { parsePodNetworkMode } from '../network/peers.js';
import { encryptingStore, givenEncryptionConfig, serverEncryption, type EncryptionFlags } from './secrets-encrypt.js';
import { proxyOptions, type ProxyFlags } from './proxy-flags.js';
import { serviceNetworkOptions, type ServiceNetworkFlags } from './service-network-flags.js';
import { advertiseAddress } from './advertise-address.js';
import { ApiServerEndpointsReconciler } from '../controllers/apiserver-endpoints.js';
import { componentLogger } from '../log/logger.js';
import { InstrumentedStore } from '../storage/metrics.js';
import { startComponentProcesses, type ComponentProcesses, type LogFlags } from './component-processes.js';

const log = componentLogger('server');
import { formatServiceCidr } from '../registry/services/network.js';
import { controllerTransformFor } from '../controllers/pod-transform.js';
import { admissionChainFromFlags } from '../apiserver/admission/index.js';

/** The role label the server gives its own node (kubeadm's and k3s's; a node may not set it on itself). */
const CONTROL_PLANE_ROLE_LABEL = 'node-role.kubernetes.io/control-plane';

export interface ServerFlags
  extends NodeIpamFlags, ServerLimitFlags, EncryptionFlags, ServiceNetworkFlags, LogFlags, Pick<ProxyFlags, 'proxyTable' | 'disableProxy'> {
  dataDir?: string;
  listen: string;
  agent: boolean;
  compactionInterval?: string;
  datastore?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  disableScheduler?: boolean;
  schedulerConfig?: string;
  disableControllerManager?: boolean;
  nodeMonitorGracePeriod?: string;
  maxEndpointsPerSlice?: string;
  advertiseAddress?: string;
  /** The join token's secret (or a whole token of this cluster); default: DIR/token's, else a new one. */
  token?: string;
  podNetwork?: string;
  authorizationMode?: string;
  enableAdmissionPlugins?: string;
  disableAdmissionPlugins?: string;
  serviceAccountMaxTokenExpiration?: string;
  /** The scheduler and the controllers in the server's own process, on its one thread. */
  singleProcess?: boolean;
  /** Where the scheduler process serves its /metrics (not in --single-process: the API server's /metrics has them). */
  schedulerMetricsBindAddress?: string;
}

/** Waits for a component to stop, but no longer than ms: shutdown must finish. */
async function withDeadline(what: string, p: Promise<unknown> | undefined, ms = 5000): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => {
    timer = setTimeout(() => {
      log.warn(`${what} did not stop within ${ms / 1000} s; going on with the shutdown`);
      r();
    }, ms);
  });
  await Promise.race([p.catch((e) => log.error(`stopping ${what}: ${(e as Error).message}`)), late]);
  clearTimeout(timer);
}

/** The data dir holds keys and secrets: say so when other users may look into it. */
function warnIfOpen(dir: string): void {
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    log.warn(`data dir ${dir} has mode 0${mode.toString(8)}: other local users can enter it; its secret files are 0600, but run chmod 700 ${dir}`);
  }
}

/** A kubeconfig with the certificate of a component's client. */
function writeComponentKubeconfig(path: string, url: string, caCert: string, client: RestClient, user: string): void {
  const { cert, key } = client.credentials;
  writeKubeconfig(path, url, caCert, { cert: cert!, key: key!, user });
}

/** The host other machines reach this server by: the listen address, or this machine's name. */
function joinHost(listenHost: string): string {
  if (listenHost === '0.0.0.0' || listenHost === '::') return hostname();
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

export async function runServer(flags: ServerFlags): Promise<void> {
  limitHeapGrowth();
  const supervisor = superviseeHooks();
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const { host, port } = parseListen(flags.listen);
  // Bad flags stop the start before anything is written.
  const cmOptions = controllerOptions(flags);
  const nodeIpam = nodeIpamOptions(flags);
  const services = serviceNetworkOptions(flags);
  // The embedded agent's service proxy masquerades what reaches ClusterIPs from outside the pod
  // range, and drops what goes to unallocated addresses of the Service range.
  const proxy = proxyOptions({
    proxyTable: flags.proxyTable,
    disableProxy: flags.disableProxy,
    clusterCidr: nodeIpam.clusterCidr,
    serviceCidr: formatServiceCidr(services.network),
  });
  const { limits, tls } = serverLimits(flags);
  const authorizationModes = flags.authorizationMode === undefined ? undefined : parseAuthorizationModes(flags.authorizationMode);
  const admission = admissionChainFromFlags(flags.enableAdmissionPlugins, flags.disableAdmissionPlugins);
  const maxTokenExpiration = flags.serviceAccountMaxTokenExpiration;
  const serviceAccountMaxTokenExpirationSeconds =
    maxTokenExpiration === undefined ? undefined : maxTokenExpirationSeconds(parseGoDuration(maxTokenExpiration), maxTokenExpiration);
  const givenEncryption = givenEncryptionConfig(flags);
  const podNetwork = parsePodNetworkMode(flags.podNetwork ?? 'vxlan');
  const advertise = advertiseAddress(flags.advertiseAddress, host);
  for (const w of tls.warnings) log.warn(`--tls-cipher-suites: ${w}`);
  for (const n of admission.notes) log.info(n);
  raiseOpenFileLimit(log);
  // Nothing in this process hands out node ranges: the embedded agent would wait forever.
  const assignsRanges = !flags.disableControllerManager && nodeIpam.allocateNodeCidrs !== false;
  // One thread for the API server, one for the scheduler, one for the controllers: on a single
  // core the processes would only contend, and each would hold its own caches.
  const ownProcesses = !flags.singleProcess && availableParallelism() >= 2;
  const schedulerMetricsAt = flags.schedulerMetricsBindAddress ?? '127.0.0.1:10259';
  parseListen(schedulerMetricsAt, '--scheduler-metrics-bind-address');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // One server per data dir, for the whole life of this process.
  lockDataDir(dataDir, supervisor ? process.ppid : process.pid);
  warnIfOpen(dataDir);
  const pki = await ensurePki(dataDir, host);
  const join = ensureJoinToken(dataDir, pki.caCert, flags.token);
  // A bad scheduler configuration stops the start before anything listens.
  const schedulerConfig = flags.disableScheduler ? undefined : loadSchedulerConfig(flags.schedulerConfig);
  const encryption = serverEncryption(flags, givenEncryption, dataDir, log);
  // Timed below the encryption, as upstream times its etcd calls: the metric is the store's latency.
  const store = encryptingStore(new InstrumentedStore(await openStore(parseDatastore(flags.datastore, dataDir), flags)), encryption);
  const server = new ApiServer({
    store,
    pki,
    host,
    port,
    compactionIntervalMs: flags.compactionInterval ? Number(flags.compactionInterval) * 1000 : undefined,
    limits,
    tls,
    services,
    bootstrapSecret: join.secret,
    authorizationModes,
    admission: admission.chain,
    serviceAccountKeyPath: joinPath(dataDir, 'pki', 'service-account.key'),
    serviceAccountMaxTokenExpirationSeconds,
  });
  let stopping = false;
  const startingNode = new AbortController();
  let nodeStarted: Promise<void> | undefined;
  let scheduler: RunningScheduler | undefined;
  let controllers: RunningControllerManager | undefined;
  let componentProcesses: ComponentProcesses | undefined;
  let agent: RunningAgent | undefined;
  let simulated: Simulator | undefined;
  /** The admin's client, for the node started below (the simulated node, an embedded agent's pod range). */
  let client: RestClient | undefined;
  let components: ComponentClients | undefined;
  let informers: SharedInformerFactory | undefined;
  let kubernetesEndpoints: ApiServerEndpointsReconciler | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, shutting down`);
    try {
      // Pods keep running; the next start adopts them. Components get a few seconds each to
      // hand back their leases; the store is closed cleanly regardless. The scheduler and the
      // controller manager in processes of their own stop first, while the API still answers
      // them (their leases are handed back through it).
      await componentProcesses?.stop();
      // The agent stops its loops, then its containerd (the containers' shims stay): give it
      // containerd's own stop time.
      // A node still starting is told to give up, and stopped below once its start has ended
      // (its containerd must not outlive the server).
      startingNode.abort();
      await withDeadline(
        'node start',
        nodeStarted?.catch(() => undefined),
        15_000,
      );
      await withDeadline('node agent', agent?.stop(), 15_000);
      await withDeadline('simulated node', simulated?.stop());
      await withDeadline('scheduler and controllers', Promise.all([scheduler?.stop(), controllers?.stop()]));
      await withDeadline('shared informers', informers?.shutdown());
      // This server leaves default/kubernetes before it stops answering.
      await withDeadline('kubernetes endpoints', kubernetesEndpoints?.stop());
      client?.close();
      await components?.close();
      await server.stop();
      await store.close();
      process.exit(0);
    } catch (e) {
      log.error(`shutdown failed: ${(e as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (ownProcesses) {
    // Forked before the API listens, they load their code while this process starts, and begin
    // once it has written their kubeconfigs (go(), below).
    componentProcesses = startComponentProcesses({
      script: process.argv[1]!,
      dataDir,
      log,
      logFlags: flags,
      scheduler: schedulerConfig ? { configFile: flags.schedulerConfig, metricsBindAddress: schedulerMetricsAt } : undefined,
      controllerManager: flags.disableControllerManager ? undefined : flags,
    });
  }
  await server.start();
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `https://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${server.port}`;
  const kubeconfig = joinPath(dataDir, 'kubeconfig.yaml');
  writeKubeconfig(kubeconfig, url, pki.caCert, pki.adminToken);
  // The embedded components talk to the API over loopback HTTPS like any other client, each as
  // its own least-privileged identity (never the admin's token, which is the user's).
  components = new ComponentClients({ connection: { server: url, ca: pki.caCert }, signer: { cert: pki.caCert, key: pki.caKey } });
  // A controller manager in a process of its own issues its controllers' clients itself.
  const [schedulerClient, managerClient, clientFor] = await Promise.all([
    components.clientFor(KUBE_SCHEDULER, 'berth-scheduler'),
    components.clientFor(KUBE_CONTROLLER_MANAGER, 'berth-controller-manager'),
    ownProcesses || flags.disableControllerManager ? undefined : controllerClients(components),
  ]);
  // As k3s's per-component kubeconfigs: for a `berth scheduler` or `berth controller-manager` run apart.
  writeComponentKubeconfig(joinPath(dataDir, 'scheduler.kubeconfig'), url, pki.caCert, schedulerClient, KUBE_SCHEDULER.user);
  writeComponentKubeconfig(joinPath(dataDir, 'controller-manager.kubeconfig'), url, pki.caCert, managerClient, KUBE_CONTROLLER_MANAGER.user);
  if (advertise.address) {
    const endpointsClient = await components.clientFor(APISERVER_ENDPOINTS, 'berth-apiserver');
    kubernetesEndpoints = new ApiServerEndpointsReconciler({ client: endpointsClient, address: advertise.address, port: server.port });
    kubernetesEndpoints.start();
  } else {
    process.stderr.write(`berth: WARNING: default/kubernetes gets no endpoints: ${advertise.why}; give --advertise-address\n`);
  }
  if (ownProcesses) {
    // Their kubeconfigs are written: they begin (they were forked before the API listened).
    componentProcesses?.go();
    // Said once the start has succeeded: a failed start's error stays the command's one line.
    const pids = componentProcesses?.pids() ?? {};
    if (pids.scheduler) log(`scheduler running in process ${pids.scheduler}`);
    if (pids.controllerManager) log(`controller manager running in process ${pids.controllerManager}`);
  } else {
    // The scheduler and the controllers read one set of informers: pods, nodes, namespaces... are
    // each listed and watched once by this process, and cached once. They read as the controller
    // manager (which may list and watch everything, as upstream's informer factory's root client)
    // and write as themselves.
    informers = new SharedInformerFactory(managerClient, { name: 'server', log: componentLogger('client'), transformFor: controllerTransformFor });
    // Loaded only here: with the scheduler in its own process, its code and metrics stay there.
    if (schedulerConfig) scheduler = (await import('./scheduler.js')).startScheduler(schedulerClient, schedulerConfig, { informers });
    // The controller manager in the server holds the CA: it signs approved kubelet CSRs.
    if (!flags.disableControllerManager) {
      controllers = startControllerManager(managerClient, {
        ...cmOptions,
        csrSigning: { ca: { cert: pki.caCert, key: pki.caKey } },
        clientFor,
        informers,
      });
    }
  }
  // The join line first: whoever has read the ready line has read how to join.
  log(`to add a node, run on it: berth agent --server https://${joinHost(host)}:${server.port} --token-file ${join.path} (a copy of this file)`);
  log(`API server ready at ${url} (kubeconfig: ${kubeconfig})`);
  supervisor?.ready(`${host.includes(':') ? `[${host}]` : host}:${server.port}`);
  if (flags.agent) {
    nodeStarted = startNode();
    try {
      await nodeStarted;
    } catch (e) {
      // A shutdown during the start ends it; the shutdown reports and exits.
      if (!stopping) throw e;
    }
  }

  async function startNode(): Promise<void> {
    // The embedded node agent (k3s-style): this machine becomes a node running real containers
    // through its own containerd. Without containerd, runc, the CNI plugins or root, the control
    // plane keeps running, says why loudly, and runs one simulated node instead.
    const nodeName = defaultNodeName();
    client ??= new RestClient({ server: url, ca: pki.caCert, token: pki.adminToken, userAgent: 'berth-server' });
    try {
      // The agent is a node like any other (the Node authorizer and NodeRestriction judge it):
      // its own certificate, signed here where the CA is, instead of the admin token.
      const identity = await issueNodeClientCertificate({ cert: pki.caCert, key: pki.caKey }, nodeName);
      agent = await startEmbeddedAgent({
        url,
        caCert: pki.caCert,
        clientCert: identity.cert,
        clientKey: identity.key,
        dataDir: joinPath(dataDir, 'agent'),
        nodeName,
        // Otherwise the embedded controller manager assigns it, as to any other node.
        podCidr: assignsRanges ? undefined : await podCidrForEmbeddedAgent(client, nodeName, nodeIpam),
        clusterDns: [services.clusterDNS],
        clusterDomain: services.clusterDomain,
        proxy,
        podNetwork,
        signal: startingNode.signal,
        // The CA is at hand: the embedded agent's serving certificate is signed directly.
        servingCert: (name, ip) => issueNodeServingCertificate({ cert: pki.caCert, key: pki.caKey }, name, [ip]),
      });
      // A node may not give itself node-role labels (NodeRestriction): the server does, as k3s's.
      await client
        .patch({ ...resources.nodes, name: agent.nodeName }, { metadata: { labels: { [CONTROL_PLANE_ROLE_LABEL]: 'true' } } }, 'merge')
        .catch((e: Error) => log.warn(`node ${agent!.nodeName}: the ${CONTROL_PLANE_ROLE_LABEL} label was not set: ${e.message}`));
      log(`node agent ready: node ${agent.nodeName}`);
    } catch (e) {
      if (!(e instanceof RuntimeUnavailableError)) throw e;
      // Never silently without a node: a simulated one runs the pods' lifecycle instead.
      simulated = await startSimulator(client, {
        nodes: 1,
        namePrefix: 'simulated-',
        servingCert: (names) => issueNodeServingCertificate({ cert: pki.caCert, key: pki.caKey }, 'simulated-0', names),
        // Its pod addresses look like the cluster's: the node takes a free range of it itself.
        podCidr: nodeIpam.clusterCidr,
        nodeCidrMaskSize: nodeIpam.nodeCidrMaskSize,
      });
      log.warn(
        `no real node agent: ${(e as Error).message}. Started ONE SIMULATED node (simulated-0): pods get scheduled and report Running, but no container runs. Install containerd, runc and the CNI plugins (as root) for real pods; --no-agent skips the node.`,
      );
    }
  }
}
