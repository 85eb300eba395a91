// `berth agent` (a node agent against a cluster), the agent `berth server` embeds, and
// `berth image import`. Without --containerd-socket the agent runs its own containerd.
import type { Node } from 'kubernetes-types/core/v1';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, AgentServer, ServingCertManager, defaultNodeIP, type AgentDnsServerOptions, type AgentOptions, type ServingCert } from '../agent/index.js';
import { DEFAULT_CLUSTER_DNS } from '../dns/index.js';
import { RestClient } from '../client/index.js';
import { parseCidr } from '../api/cidr.js';
import { CriRuntime, ManagedContainerd, containerdLayout, importImageArchive, type Runtime } from '../runtime/index.js';
import { defaultDataDir, parseListen } from './flags.js';
import { lockDataDir } from './data-dir-lock.js';
import { claimBridge } from './bridge-owner.js';
import { joinCluster, trustedClusterCa, type Joined } from './agent-join.js';
import { parseJoinToken } from '../api/join-token.js';
import { componentLogger, warnOf } from '../log/logger.js';
import { instrumentRuntime } from '../agent/metrics.js';
import { PROXY_TABLE_FILE, checkTableName, podCidrOutsideWarning, proxyOptions, type ProxyFlags, type ProxyOptions } from './proxy-flags.js';
import { DEFAULT_TABLE, removeProxyTable, startServiceProxy, type ServiceProxy } from '../proxy/index.js';
import { parsePodNetworkMode, podMtu, type PodNetworkMode } from '../network/index.js';
import { ServerTunnels } from '../tunnel/servers.js';
import { parseExternalIP, parseNodeLabels, parseNodeTaints } from '../kubelet/registration-flags.js';
import type { Taint } from 'kubernetes-types/core/v1';

export interface AgentFlags extends ProxyFlags {
  /** Remove the service proxy's table and exit. */
  cleanup?: boolean;
  server?: string;
  token?: string;
  tokenFile?: string;
  caFile?: string;
  kubeconfig?: string;
  dataDir?: string;
  nodeName?: string;
  nodeIp?: string;
  /** --node-label KEY=VALUE, --node-taint KEY[=VALUE]:EFFECT (repeatable), --node-external-ip IP. */
  nodeLabel?: string[];
  nodeTaint?: string[];
  nodeExternalIp?: string;
  containerdSocket?: string;
  podCidr?: string;
  listen?: string;
  clusterDns?: string;
  clusterDomain?: string;
  resolvConf?: string;
  bridge?: string;
  ipMasq?: boolean;
  podNetwork?: string;
  cgroupRoot?: string;
  /** false: the API server dials the agent's endpoint directly (no tunnel). */
  agentTunnel?: boolean;
}

export interface EmbeddedAgentOptions {
  /** The API server's URL, CA and token (the admin token when embedded). */
  url: string;
  caCert?: string;
  token?: string;
  /** A client certificate and key (PEM) to authenticate with instead of the token: the node's own identity. */
  clientCert?: string;
  clientKey?: string;
  /** A client to use instead of url and token: a joined agent's, with its own certificate (agent-join.ts). */
  client?: RestClient;
  /** Stopped with the agent: what keeps that client's certificate renewed. */
  clientRenewal?: { start(): Promise<void>; stop(): void };
  /**
   * A join still under way (agent-join.ts, its CA already checked and given as caCert): its
   * client and renewal replace client and clientRenewal. containerd starts meanwhile, so that
   * the CSR round trip and containerd's start overlap instead of adding up.
   */
  joining?: Promise<Pick<Joined, 'client' | 'renewal'>>;
  /** The agent's own dir (containerd, pod logs, its certificate). */
  dataDir: string;
  nodeName?: string;
  nodeIP?: string;
  /** The HTTPS endpoint for logs and exec (default 0.0.0.0:10250; port 0 picks one). */
  listen?: { host: string; port: number };
  /**
   * The endpoint's serving certificate, signed by the cluster CA for the node's name and address
   * (the embedded agent's, made from the CA directly); otherwise the agent asks for one with a
   * CertificateSigningRequest and serves no logs or exec until it is issued.
   */
  servingCert?: (nodeName: string, nodeIP: string) => Promise<ServingCert>;
  /** Use this CRI socket instead of starting containerd. */
  containerdSocket?: string;
  podCidr?: string;
  bridge?: string;
  ipMasq?: boolean;
  /**
   * vxlan or host-gw: pods reach other nodes' pods (src/network); none: no CNI config of ours,
   * the runtime uses the user's; unset: this node's bridge only.
   */
  podNetwork?: PodNetworkMode;
  cgroupRoot?: string;
  /** The pods' nameserver under dnsPolicy ClusterFirst: kube-dns's ClusterIP (default 10.43.0.10). */
  clusterDns?: string[];
  clusterDomain?: string;
  /** The node's resolv.conf (default /etc/resolv.conf). */
  resolvConf?: string;
  /** The node's cluster DNS server (default: runs, on port 53 or a free one); false: none. */
  dns?: AgentDnsServerOptions | false;
  labels?: Record<string, string>;
  /** Taints the Node is registered with (kubelet's --register-with-taints). */
  taints?: Taint[];
  /** The Node's ExternalIP address; also a name of the endpoint's serving certificate. */
  externalIP?: string;
  /** The service proxy's table and ranges (default: table berth, k3s's ranges); false: no proxy. */
  proxy?: ProxyOptions | false;
  log?: (msg: string) => void;
  /** Aborted: a start waiting for the node's podCIDR returns early (the caller then stops it). */
  signal?: AbortSignal;
}

export interface RunningAgent {
  agent: Agent;
  runtime: Runtime;
  containerd?: ManagedContainerd;
  server: AgentServer;
  nodeName: string;
  /** Stops the agent, its endpoint and its containerd; pods keep running unless removePods. */
  stop(opts?: { removePods?: boolean }): Promise<void>;
}

export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

/** Starts a node agent in this process against the API server at url. */
export async function startEmbeddedAgent(o: EmbeddedAgentOptions): Promise<RunningAgent> {
  const log = o.log ?? componentLogger('agent');
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const nodeName = o.nodeName ?? defaultNodeName();
  const nodeIP = o.nodeIP ?? defaultNodeIP();
  // The endpoint trusts clients of the cluster CA only, and its certificate must come from it.
  if (!o.caCert)
    throw new Error('the agent needs the cluster CA (--ca-file, or a kubeconfig with certificate-authority-data) to verify the API server and its clients');
  // Checked before containerd starts: an overlay needs the interface holding the node IP. A node
  // IP on no interface of this machine (a node behind NAT advertising its outside address) gets
  // no overlay: its pods still run and reach each other, and the warning says why nothing more.
  let podNetwork = o.podNetwork;
  let netCni: { ipMasq?: boolean; mtu?: number };
  try {
    netCni = podNetworkCni(o, nodeIP);
  } catch (e) {
    warnOf(log)(`pod network ${podNetwork} is off (${(e as Error).message}): this node's pods reach each other only`);
    podNetwork = undefined;
    netCni = { ipMasq: o.ipMasq };
  }
  // One agent per data dir (its containerd, pod dirs and logs), held until this process exits.
  const lock = lockDataDir(dataDir);
  const bridge = o.bridge ?? 'berth0';
  let containerd: ManagedContainerd | undefined;
  let runtime: CriRuntime | undefined;
  let identity: Pick<Joined, 'client' | 'renewal'> | undefined;
  try {
    const startRuntime = async (): Promise<CriRuntime> => {
      if (o.containerdSocket) {
        const cri = new CriRuntime({ socket: o.containerdSocket });
        await cri.waitReady(10_000);
        return cri;
      }
      containerd = new ManagedContainerd({ dir: join(dataDir, 'containerd'), log });
      return containerd.start();
    };
    // Both settle before anything is cleaned up: a refused join waits for containerd to be up, then stops it.
    const [started, joined] = await Promise.allSettled([startRuntime(), o.joining]);
    if (started.status === 'fulfilled') runtime = started.value;
    else containerd = undefined;
    if (joined.status === 'fulfilled') identity = joined.value;
    if (started.status === 'rejected') throw started.reason;
    if (joined.status === 'rejected') throw joined.reason;
    // The bridge is claimed only by a node that joined: a refused machine leaves no mark.
    if (containerd) claimBridge(bridge, dataDir, log);
  } catch (e) {
    runtime?.close();
    await containerd?.stop();
    identity?.client.close();
    lock.release();
    throw e;
  }
  // Set in the try above, which throws when the runtime did not start.
  const cri: CriRuntime = runtime!;
  const clientRenewal = identity?.renewal ?? o.clientRenewal;
  const credentials = o.clientCert ? { cert: o.clientCert, key: o.clientKey } : { token: o.token };
  const client = identity?.client ?? o.client ?? new RestClient({ server: o.url, ca: o.caCert, ...credentials, userAgent: `berth-agent/${nodeName}` });
  const listen = o.listen ?? { host: '0.0.0.0', port: 10250 };
  let agent: Agent | undefined;
  const server = new AgentServer({
    host: listen.host,
    port: listen.port,
    servingCert: o.servingCert ? await o.servingCert(nodeName, nodeIP) : undefined,
    clientCa: o.caCert,
    lookup: {
      container: (...a) => agent!.lookup.container(...a),
      isRunning: (id) => agent!.lookup.isRunning(id),
      execUrl: (...a) => agent!.lookup.execUrl(...a),
      attachUrl: (...a) => agent!.lookup.attachUrl(...a),
      portForwardUrl: (...a) => agent!.lookup.portForwardUrl(...a),
      podAddress: (...a) => agent!.lookup.podAddress(...a),
    },
    log,
  });
  const layout = containerd?.layout;
  const options: AgentOptions = {
    client,
    // Every CRI call the agent makes is timed (kubelet_runtime_operations_duration_seconds).
    runtime: instrumentRuntime(cri),
    nodeName,
    nodeIP,
    dataDir,
    podCidr: o.podCidr,
    cni: layout && podNetwork !== 'none' ? { confDir: layout.cniConfDir, dataDir: layout.cniDataDir, bridge, ...netCni } : undefined,
    overlay: podNetwork === 'vxlan' || podNetwork === 'host-gw' ? { backend: podNetwork, masquerade: o.ipMasq !== false } : undefined,
    cgroupRoot: o.cgroupRoot,
    clusterDns: o.clusterDns ?? [DEFAULT_CLUSTER_DNS],
    clusterDomain: o.clusterDomain,
    resolvConf: o.resolvConf,
    dnsServer: o.dns === false ? undefined : (o.dns ?? {}),
    labels: o.labels,
    taints: o.taints,
    externalIP: o.externalIP,
    port: () => server.port,
    log,
    signal: o.signal,
  };
  agent = new Agent(options);
  const proxyOpts = o.proxy ?? proxyOptions({});
  let proxy: ServiceProxy | undefined;
  const certs = o.servingCert
    ? undefined
    : new ServingCertManager({
        client,
        nodeName,
        names: [nodeName, nodeIP, ...(o.externalIP ? [o.externalIP] : [])],
        caCert: o.caCert,
        dir: join(dataDir, 'pki'),
        onCert: (c) => server.setServingCert(c),
        log,
      });
  try {
    await server.start();
    await clientRenewal?.start();
    await certs?.start();
    await agent.start();
    if (proxyOpts && !o.signal?.aborted) {
      // Written first: killall must find a table the proxy may create any moment now.
      writeFileSync(join(dataDir, PROXY_TABLE_FILE), `${proxyOpts.table}\n`);
      proxy = await startServiceProxy({
        client,
        table: proxyOpts.table,
        context: { nodeName, nodeIPs: [nodeIP], clusterCIDR: proxyOpts.clusterCidr, serviceCIDR: proxyOpts.serviceCidr },
        log: (m) => log(`proxy: ${m}`),
      });
      void client.get<Node>({ group: '', version: 'v1', resource: 'nodes', name: nodeName }).then(
        (n) => {
          const w = podCidrOutsideWarning(proxyOpts.clusterCidr, n.spec?.podCIDR);
          if (w) warnOf(log)(`proxy: ${w}`);
        },
        () => undefined,
      );
    }
    // The Node is registered now, so an approver can approve the request: give it a moment, so
    // that "ready" means logs and exec work; an agent nobody approves runs on without them.
    if (certs && !(await certs.waitForCert(30_000, o.signal)) && !o.signal?.aborted) {
      log(
        'no serving certificate yet: logs and exec stay unavailable until its CertificateSigningRequest is approved and issued (kubectl get csr; kubectl certificate approve NAME)',
      );
    }
  } catch (e) {
    certs?.stop();
    clientRenewal?.stop();
    await proxy?.stop().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await server.stop().catch(() => undefined);
    cri.close();
    await containerd?.stop();
    client.close();
    lock.release();
    throw e;
  }
  const running = agent;
  return {
    agent: running,
    runtime: cri,
    containerd,
    server,
    nodeName,
    async stop(opts = {}) {
      certs?.stop();
      clientRenewal?.stop();
      // The table stays: Services keep working while the agent restarts.
      await proxy?.stop();
      await running.stop(opts);
      await server.stop();
      cri.close();
      await containerd?.stop();
      client.close();
      lock.release();
    },
  };
}

/** With an overlay our own masquerade rule replaces the bridge's (see src/network/masquerade.ts). */
function podNetworkCni(o: EmbeddedAgentOptions, nodeIP: string): { ipMasq?: boolean; mtu?: number } {
  if (o.podNetwork !== 'vxlan' && o.podNetwork !== 'host-gw') return { ipMasq: o.ipMasq };
  return { ipMasq: false, mtu: podMtu(nodeIP, o.podNetwork) };
}

type Connection = { url: string; caCert?: string; token: string } | { url: string; joinToken: string };

function connection(flags: AgentFlags): Connection {
  if (flags.kubeconfig) {
    const c = RestClient.fromKubeconfig(flags.kubeconfig);
    const o = c.options;
    c.close();
    if (!o.token) throw new Error(`${flags.kubeconfig} has no bearer token for the agent to use`);
    if (!o.ca) throw new Error(`${flags.kubeconfig} has no certificate-authority-data: the agent needs the cluster CA`);
    return { url: o.server, caCert: o.ca, token: o.token };
  }
  if (!flags.server) throw new Error('--server (or --kubeconfig) is required');
  const token = flags.token ?? (flags.tokenFile ? readFileSync(flags.tokenFile, 'utf8').trim() : process.env.BERTH_TOKEN);
  if (!token) throw new Error("--token (or --token-file, or $BERTH_TOKEN) is required: the server's join token (its DATA_DIR/token)");
  parseJoinToken(token);
  return { url: flags.server, joinToken: token };
}

function checkPodCidr(cidr: string): void {
  if (cidr.includes(':')) throw new Error(`--pod-cidr ${cidr}: only IPv4 ranges are supported`);
  try {
    if (parseCidr(cidr).prefix > 30) throw new Error(`${cidr} has no room for pods`);
  } catch (e) {
    throw new Error(`--pod-cidr: ${(e as Error).message}`);
  }
}

/** --cluster-dns: IP addresses, at most 3 (a resolv.conf holds no more nameservers); --cluster-domain: a DNS name. */
export function checkClusterDns(flags: Pick<AgentFlags, 'clusterDns' | 'clusterDomain'>): void {
  if (flags.clusterDns !== undefined) {
    const ips = flags.clusterDns.split(',').map((s) => s.trim());
    const bad = ips.find((ip) => !isIP(ip));
    if (bad !== undefined) throw new Error(`--cluster-dns: ${JSON.stringify(bad)} is not an IP address`);
    if (ips.length > 3) throw new Error(`--cluster-dns: at most 3 nameservers, not ${ips.length}`);
  }
  const d = flags.clusterDomain;
  if (d !== undefined && !/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(d)) {
    throw new Error(`--cluster-domain: ${JSON.stringify(d)} is not a DNS name (lower-case labels of letters, digits and '-', separated by dots)`);
  }
}

/** `berth agent`: runs until SIGTERM or SIGINT; pods keep running across restarts. */
export async function runAgentCommand(flags: AgentFlags): Promise<void> {
  if (flags.podCidr !== undefined) checkPodCidr(flags.podCidr);
  checkClusterDns(flags);
  const proxy = proxyOptions(flags);
  const registration = {
    labels: parseNodeLabels(flags.nodeLabel),
    taints: parseNodeTaints(flags.nodeTaint),
    externalIP: parseExternalIP(flags.nodeExternalIp),
  };
  if (flags.cleanup) {
    // What `berth agent` with the same flags programs (k3s's `kube-proxy --cleanup`).
    const table = checkTableName(flags.proxyTable ?? DEFAULT_TABLE);
    const had = await removeProxyTable(table);
    process.stdout.write(had ? `berth: removed nftables table ip ${table}\n` : `berth: no nftables table ip ${table}: nothing to remove\n`);
    return;
  }
  const podNetwork = parsePodNetworkMode(flags.podNetwork ?? 'vxlan');
  const conn = connection(flags);
  const dataDir = resolve(flags.dataDir ?? join(defaultDataDir(), 'agent'));
  const nodeName = flags.nodeName ?? defaultNodeName();
  const log = (m: string) => process.stderr.write(`berth: agent: ${m}\n`);
  const listen = parseListen(flags.listen ?? '0.0.0.0:10250');
  // The start may wait long for the node's podCIDR: a signal meanwhile must still stop cleanly.
  const starting = new AbortController();
  let running: RunningAgent | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    componentLogger('agent')(`${signal} received, stopping the agent (pods keep running)`);
    if (!running) return starting.abort();
    try {
      await running.stop();
      process.exit(0);
    } catch (e) {
      componentLogger('agent').error(`agent shutdown failed: ${(e as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // With a join token the agent gets an identity of its own (agent-join.ts) and uses nothing else:
  // the CA is checked first, then the certificate is asked for while containerd starts.
  const joinOptions =
    'joinToken' in conn
      ? {
          server: conn.url,
          token: conn.joinToken,
          caFile: flags.caFile,
          dataDir,
          nodeName,
          log,
          warn: (m: string) => process.stderr.write(`berth: WARNING: ${m}\n`),
          signal: starting.signal,
        }
      : undefined;
  const caCert = joinOptions ? await trustedClusterCa(joinOptions) : undefined;
  if (stopping) process.exit(0);
  const joining = joinOptions ? joinCluster({ ...joinOptions, caCert }) : undefined;
  // Awaited in startEmbeddedAgent; this keeps a join failing while containerd starts from being an unhandled rejection.
  joining?.catch(() => undefined);
  // A signal during the join aborts it: the start fails once it has stopped the containerd it started, then we exit.
  running = await startEmbeddedAgent({
    ...(joining && caCert ? { url: conn.url, caCert, joining } : (conn as Exclude<Connection, { joinToken: string }>)),
    signal: starting.signal,
    dataDir,
    nodeName,
    nodeIP: flags.nodeIp,
    ...registration,
    listen,
    containerdSocket: flags.containerdSocket,
    podCidr: flags.podCidr?.trim(),
    bridge: flags.bridge,
    ipMasq: flags.ipMasq,
    podNetwork,
    cgroupRoot: flags.cgroupRoot,
    clusterDns: flags.clusterDns ? flags.clusterDns.split(',').map((s) => s.trim()) : undefined,
    clusterDomain: flags.clusterDomain,
    proxy,
    resolvConf: flags.resolvConf,
  }).catch((e) => {
    if (stopping) process.exit(0);
    throw e;
  });
  if (stopping) {
    await running.stop();
    process.exit(0);
  }
  const joined = await joining;
  if (joined && flags.agentTunnel !== false) startTunnels(running, joined.client, conn.url, listen.host, log);
  componentLogger('agent')(`agent for node ${running.nodeName} running (endpoint port ${running.server.port})`);
}

/**
 * A joined agent dials out to every API server and serves its endpoint through those tunnels
 * (src/tunnel/), so the servers never need to reach this machine. Stopped with the agent.
 */
function startTunnels(running: RunningAgent, client: RestClient, server: string, listenHost: string, log: (m: string) => void): void {
  const host = listenHost === '0.0.0.0' || listenHost === '' ? '127.0.0.1' : listenHost === '::' ? '::1' : listenHost;
  const tunnels = new ServerTunnels({
    server,
    client,
    endpoint: { host, port: running.server.port },
    credentials: () => {
      const c = client.credentials;
      return { ca: c.ca!, cert: c.cert!, key: c.key! };
    },
    log,
  });
  void tunnels.start();
  const stop = running.stop.bind(running);
  running.stop = async (opts) => {
    tunnels.stop();
    await stop(opts);
  };
}

export interface ImageImportFlags {
  /** The server's (or agent's parent) data dir: the agent's containerd is under DIR/agent. */
  dataDir?: string;
  containerdSocket?: string;
  snapshotter?: string;
}

/** Loads an OCI or docker archive into the node's containerd; returns the names imported. */
export async function importImageFile(file: string, flags: ImageImportFlags): Promise<string[]> {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  let socket = flags.containerdSocket;
  let snapshotter = flags.snapshotter;
  if (!socket) {
    const layout = containerdLayout(join(resolve(flags.dataDir ?? defaultDataDir()), 'agent', 'containerd'));
    if (!existsSync(layout.socket)) throw new Error(`no containerd socket at ${layout.socket}: is the agent running? (or give --containerd-socket)`);
    socket = layout.socket;
    // The snapshotter the CRI plugin unpacks for, from the config the agent generated.
    snapshotter ??= /snapshotter = "([^"]+)"/.exec(readFileSync(layout.config, 'utf8'))?.[1];
  }
  return importImageArchive(resolve(file), { socket, snapshotter: snapshotter ?? 'overlayfs' });
}

/** `berth image import FILE.tar`: an OCI or docker archive into the node's containerd. */
export async function runImageImport(file: string, flags: ImageImportFlags): Promise<void> {
  const names = await importImageFile(file, flags);
  for (const n of names) process.stdout.write(`imported ${n}\n`);
  if (!names.length) process.stdout.write(`imported ${file}\n`);
}
