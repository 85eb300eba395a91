// The node agent (Berth's kubelet): registers its Node and keeps its Lease, watches the pods
// bound to it and runs each through a PodWorker; a relist of the runtime every second (kubelet's
// PLEG) wakes the workers of pods whose containers changed, and removes what belongs to no pod.
import { LocalPathProvisioner } from './local-path.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod, Service, Taint } from 'kubernetes-types/core/v1';
import { Quantity } from '../api/quantity.js';
import { EventRecorder, NAMESPACE_INDEX, byNamespace, createInformer, resources, stripManagedFields, type Informer, type RestClient } from '../client/index.js';
import { newestFirst, type Container, type PodSandbox, type Runtime } from '../runtime/index.js';
import { initThenAppContainers } from '../api/containers.js';
import { Backoff, CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS, LeaseRenewer } from '../kubelet/index.js';
import {
  LABEL_CONTAINER_NAME,
  LABEL_MANAGED_BY,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  MANAGED_BY,
  type DnsSettings,
} from './container-config.js';
import { ClusterDns, parseResolvConf } from '../dns/index.js';
import { formatIp, parseCidr } from '../api/cidr.js';
import { ImagePuller } from './image-puller.js';
import { NodeReporter } from './node.js';
import { ServiceAccountTokens } from './sa-token.js';
import { ObjectCache } from './object-cache.js';
import { ServiceEnv } from './service-env.js';
import { removePodFromNode, stopPodNow, type PodCleanupDeps } from './pod-cleanup.js';
import { PodNetwork, PodNetworkStopped } from './pod-network.js';
import { PodWorker, runtimeView } from './pod-worker.js';
import { ProbeManager } from './probes.js';
import { EndpointError, containerNotFound, type ContainerLookup } from './server.js';
import { killMessage } from './lifecycle.js';
import { noLogsMessage } from './logs.js';
import { StartGate, defaultStartConcurrency } from './start-gate.js';
import { StatusManager } from './status-manager.js';
import { PodStartTracker, reportRuntimeCounts, runtimeCounts, type RuntimeCounts } from './metrics.js';
import { componentLogger } from '../log/logger.js';
import { PodOverlay, type OverlayBackend } from '../network/index.js';

/**
 * How old an object no pod's watch covers may be when a running pod's volume is refreshed from it
 * (kubelet: a minute's TTL plus its sync period); pods resync every 10 s. ConfigMaps and Secrets
 * the pods reference are watched (object-cache.ts): their updates show at the next resync.
 */
const VOLUME_SOURCE_TTL_MS = 5000;

/** How long the agent waits for the cluster's Services before it runs pods (they wait for them otherwise). */
const SERVICES_SYNC_WAIT_MS = 10_000;

export interface AgentCniOptions {
  /** Where the runtime reads its CNI config (the managed containerd's conf dir). */
  confDir: string;
  /** host-local's allocation dir. */
  dataDir: string;
  bridge: string;
  ipMasq?: boolean;
  /** The pods' MTU (the overlay's, below the node interface's). */
  mtu?: number;
}

export interface AgentDnsServerOptions {
  /** Default 53 (a free port when taken); the node's kube-dns EndpointSlice carries the real one. */
  port?: number;
  /** Cluster records' TTL in seconds, 5 to 30 (default 5). */
  ttl?: number;
  /** The upstream resolvers' port (53; tests run theirs elsewhere). */
  upstreamPort?: number;
}

export interface AgentOptions {
  client: RestClient;
  runtime: Runtime;
  nodeName: string;
  nodeIP: string;
  /** The agent's own dir: pod logs live under it. */
  dataDir: string;
  /**
   * The node's pod range when the control plane assigns none (kubelet's --pod-cidr): set on the
   * Node if it has none. Without it the agent waits for the control plane's.
   */
  podCidr?: string;
  /** Write the pod network's CNI config for the node's podCIDR (a runtime the agent manages). */
  cni?: AgentCniOptions;
  /** Route pods' traffic to other nodes' pods over this backend (with cni; see src/network). */
  overlay?: { backend: OverlayBackend; masquerade: boolean };
  /** Parent of the pods' cgroups (default /berth). */
  cgroupRoot?: string;
  clusterDns?: string[];
  clusterDomain?: string;
  /** The node's resolver configuration: pods with dnsPolicy Default get it, cluster DNS forwards to it (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Run the node's cluster DNS server (src/dns), the backend of kube-system/kube-dns on this node. */
  dnsServer?: AgentDnsServerOptions;
  labels?: Record<string, string>;
  /** Taints the Node is registered with (kubelet's --register-with-taints). */
  taints?: Taint[];
  /** The Node's ExternalIP address. */
  externalIP?: string;
  /** Port of the agent's HTTPS endpoint (reported in the Node's daemonEndpoints). */
  port?: () => number;
  /** How often the runtime is relisted (default 1 s). */
  relistIntervalMs?: number;
  nodeStatusIntervalMs?: number;
  /**
   * Pod start-up steps (sandbox, container create, container start) in the runtime at once, the
   * earliest pods first (default: twice the CPUs, at least 4; 0: no bound).
   */
  startConcurrency?: number;
  log?: (msg: string) => void;
  /** Aborted: a start still waiting for the node's podCIDR ends (resolves) without running anything. */
  signal?: AbortSignal;
}

export class Agent {
  readonly nodeName: string;
  readonly logRoot: string;
  /** Pods' volumes: <dataDir>/pods/<uid>/volumes/<plugin>/<name>, as kubelet's root dir. */
  readonly podsRoot: string;
  private localPath?: LocalPathProvisioner;
  private readonly log: (msg: string) => void;
  private readonly workers = new Map<string, PodWorker>();
  private readonly status: StatusManager;
  private readonly probes: ProbeManager;
  private readonly images: ImagePuller;
  private readonly restartBackoff = new Backoff(CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS);
  private readonly startGate: StartGate;
  private arrivals = 0;
  private readonly recorder: EventRecorder;
  private readonly reporter: NodeReporter;
  private readonly lease: LeaseRenewer;
  private informer?: Informer<Pod>;
  /** The cluster's Services, for containers' Service variables and the cluster DNS server (kubelet's serviceLister). */
  private readonly services: Informer<Service>;
  private readonly volumeSources: ObjectCache;
  private relistTimer?: NodeJS.Timeout;
  private readonly podStarts = new PodStartTracker();
  /** What the last relist saw, for kubelet_running_pods and kubelet_running_containers. */
  private runtimeCounts?: RuntimeCounts;
  private readonly stopReporting = reportRuntimeCounts(() => this.runtimeCounts);
  private lastStates = new Map<string, string>();
  private stopped = false;
  private runtimeName = 'containerd';
  /** Set when the agent manages the runtime's pod network (a CNI config for the node's podCIDR). */
  private readonly network?: PodNetwork;
  /** The node's cluster DNS server, when it runs one. */
  dns?: ClusterDns;
  /** Set when the agent also routes pods' traffic to other nodes (vxlan or host-gw). */
  private readonly overlay?: PodOverlay;

  constructor(private readonly o: AgentOptions) {
    this.nodeName = o.nodeName;
    o.signal?.addEventListener('abort', () => void this.network?.stop(), { once: true });
    this.log = o.log ?? componentLogger('agent');
    this.logRoot = join(o.dataDir, 'pod-logs');
    this.podsRoot = join(o.dataDir, 'pods');
    this.startGate = new StartGate(o.startConcurrency ?? defaultStartConcurrency());
    this.status = new StatusManager(o.client, this.log, (uid, status) => this.podStarts.statusWritten(uid, status));
    this.images = new ImagePuller(o.runtime);
    this.recorder = new EventRecorder({ client: o.client, component: 'kubelet', host: o.nodeName, log: this.log });
    this.probes = new ProbeManager({
      runtime: o.runtime,
      onChange: (uid) => this.workers.get(uid)?.queue(),
      onFailure: (uid, containerId, name, kind, output) => {
        this.log(`pod ${uid}: ${killMessage({ kind: 'probeFailed', probe: kind }, name)}: ${output}`);
        this.workers.get(uid)?.killForProbe(containerId, kind);
      },
      onProbeFailed: (uid, name, kind, output) => {
        const pod = this.workers.get(uid) && this.podByUid(uid);
        if (!pod) return;
        const ref = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name, namespace: pod.metadata!.namespace, uid, fieldPath: `spec.containers{${name}}` };
        this.recorder.event(ref, 'Warning', 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${output}`);
      },
    });
    this.reporter = new NodeReporter({
      client: o.client,
      runtime: o.runtime,
      nodeName: o.nodeName,
      nodeIP: o.nodeIP,
      dataDir: o.dataDir,
      port: o.port ?? (() => 0),
      labels: o.labels,
      taints: o.taints,
      externalIP: o.externalIP,
      podCidr: () => o.podCidr,
      podCidrPending: () => this.network?.pending ?? false,
      checkIntervalMs: o.nodeStatusIntervalMs,
      log: this.log,
    });
    if (o.cni) {
      this.network = new PodNetwork({
        client: o.client,
        runtime: o.runtime,
        nodeName: o.nodeName,
        cni: o.cni,
        onChange: () => void this.reporter.tick(true).catch(() => undefined),
        log: this.log,
      });
      if (o.overlay) this.overlay = new PodOverlay({ client: o.client, nodeName: o.nodeName, nodeIP: o.nodeIP, ...o.overlay, log: this.log });
    }
    this.services = createInformer<Service>(o.client, resources.services, {
      indexers: { [NAMESPACE_INDEX]: byNamespace },
      transform: stripManagedFields,
      name: 'services',
      log: this.log,
    });
    this.volumeSources = new ObjectCache(o.client, { ttlMs: VOLUME_SOURCE_TTL_MS, log: this.log });
    this.lease = new LeaseRenewer({ client: o.client, nodeName: o.nodeName, nodeUid: () => this.reporter.node?.metadata?.uid, log: this.log });
  }

  private podByUid(uid: string): Pod | undefined {
    return this.informer?.list().find((p) => p.metadata?.uid === uid);
  }

  /**
   * Registers the node and keeps it reported; once it has a podCIDR (from the control plane,
   * waited for, or --pod-cidr) sets up the pod network, then runs the pods bound to it.
   * Resolves early, running nothing, when stopped while waiting for the podCIDR.
   */
  async start(): Promise<void> {
    const v = await this.o.runtime.version();
    this.runtimeName = v.runtimeName;
    const node = await this.reporter.register();
    // Heartbeats first: a node waiting for its range must not look dead to the control plane.
    this.reporter.start();
    this.lease.start();
    // A runtime someone else runs (--containerd-socket) has a pod network of its own.
    if (this.network) {
      try {
        await this.network.start(node);
      } catch (e) {
        if (e instanceof PodNetworkStopped) return;
        throw e;
      }
      const cidr = this.network.podCidr;
      if (this.o.podCidr && this.o.podCidr !== cidr) this.log(`node ${this.nodeName} has podCIDR ${cidr}; --pod-cidr ${this.o.podCidr} is not used`);
      // Without it (no vxlan module, no nft) this node's pods still run and reach each other.
      await this.overlay?.start(cidr).catch((e: Error) => this.log(`pod network across nodes NOT set up: ${e.message}; pods reach this node's pods only`));
      // Ready now: post it rather than wait for the next check.
      await this.reporter.tick(true);
    }

    this.services.start();
    this.startDnsServer();
    const dns = this.dnsSettings();
    const alloc = node.status?.allocatable ?? {};
    const allocatable = {
      cpuMilli: Quantity.parse(String(alloc.cpu ?? '1')).milliValue(),
      memory: Quantity.parse(String(alloc.memory ?? '0')).value(),
    };
    const memoryCapacity = Quantity.parse(String(node.status?.capacity?.memory ?? '1Gi')).value();
    this.informer = createInformer<Pod>(this.o.client, resources.pods, {
      fieldSelector: `spec.nodeName=${this.nodeName}`,
      name: `pods on ${this.nodeName}`,
      log: this.log,
    });
    const serviceAccountTokens = new ServiceAccountTokens(this.o.client);
    const deps = {
      runtime: this.o.runtime,
      runtimeName: this.runtimeName,
      client: this.o.client,
      recorder: this.recorder,
      images: this.images,
      probes: this.probes,
      status: this.status,
      restartBackoff: this.restartBackoff,
      startGate: this.startGate,
      hostIPs: () => [this.o.nodeIP],
      logRoot: this.logRoot,
      podsRoot: this.podsRoot,
      volumeSources: this.volumeSources,
      serviceEnv: new ServiceEnv(this.services),
      serviceAccountTokens,
      cgroupRoot: this.o.cgroupRoot ?? '/berth',
      dns,
      allocatable,
      memoryCapacity,
      log: this.log,
      done: (uid: string) => {
        this.workers.delete(uid);
        this.podStarts.forget(uid);
        serviceAccountTokens.forget(uid);
        this.volumeSources.unregister(uid);
      },
    };
    const upsert = (pod: Pod) => {
      const uid = pod.metadata?.uid;
      if (!uid || this.stopped) return;
      const w = this.workers.get(uid);
      if (w) w.update(pod);
      else {
        this.podStarts.seen(uid, pod.status);
        this.volumeSources.register(uid, pod);
        const nw = new PodWorker(pod, deps, this.arrivals++);
        this.workers.set(uid, nw);
        nw.queue();
      }
    };
    this.informer.addEventHandler({
      onAdd: upsert,
      onUpdate: (_old, pod) => upsert(pod),
      onDelete: (pod) => this.workers.get(pod.metadata?.uid ?? '')?.podDeleted(),
    });
    // A container started before the Services are listed would wait (CreateContainerConfigError)
    // and be retried seconds later: the pods wait for them instead, a bounded while.
    await this.services.waitForSync(SERVICES_SYNC_WAIT_MS).catch((e: Error) => this.log(`${e.message}: pods start without waiting for them`));
    this.informer.start();
    await this.informer.waitForSync();
    // The local-path volumes of this node are made and removed here, where their directories are.
    this.localPath = new LocalPathProvisioner({
      client: this.o.client,
      nodeName: this.nodeName,
      dataDir: this.o.dataDir,
      recorder: this.recorder,
      log: this.log,
    });
    await this.localPath.start();
    await this.relist();
    this.scheduleRelist();
    const net = this.network ? `podCIDR ${this.network.podCidr}` : 'pod network of the runtime';
    this.log(`node ${this.nodeName} ready: ${net}, runtime ${this.runtimeName} ${v.runtimeVersion}`);
  }

  /**
   * The DNS server listens where the node's pods reach it: the pod bridge's gateway (the first
   * address of the podCIDR) when the agent runs the pod network, the node's address otherwise.
   */
  private startDnsServer(): void {
    const d = this.o.dnsServer;
    if (!d) return;
    const host = () => (this.network?.podCidr ? formatIp(parseCidr(this.network.podCidr).base + 1) : this.o.nodeIP);
    this.dns = new ClusterDns({
      client: this.o.client,
      nodeName: this.nodeName,
      host,
      port: d.port,
      ttl: d.ttl,
      upstreamPort: d.upstreamPort,
      clusterDomain: this.o.clusterDomain,
      resolvConf: this.o.resolvConf,
      services: this.services,
      log: (m) => this.log(`dns: ${m}`),
    });
    this.dns.start();
  }

  private dnsSettings(): DnsSettings {
    let host: DnsSettings['host'] = { servers: [], searches: [], options: [] };
    try {
      host = parseResolvConf(readFileSync(this.o.resolvConf ?? '/etc/resolv.conf', 'utf8'));
    } catch {
      // no resolv.conf: pods get no DNS servers unless the cluster has some
    }
    return { clusterDns: this.o.clusterDns ?? [], clusterDomain: this.o.clusterDomain ?? 'cluster.local', host };
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    this.relistTimer = setTimeout(async () => {
      try {
        await this.relist();
      } catch (e) {
        this.log(`relisting the runtime failed: ${(e as Error).message}`);
      }
      this.scheduleRelist();
    }, this.o.relistIntervalMs ?? 1000);
    this.relistTimer.unref();
  }

  /** Wakes the workers of pods whose containers or sandboxes changed state; removes orphans. */
  private async relist(): Promise<void> {
    const rt = this.o.runtime;
    const selector = { labelSelector: { [LABEL_MANAGED_BY]: MANAGED_BY } };
    const [sandboxes, containers] = await Promise.all([rt.listPodSandbox(selector), rt.listContainers(selector)]);
    this.runtimeCounts = runtimeCounts(sandboxes, containers);
    const states = new Map<string, string>();
    const changed = new Set<string>();
    for (const s of sandboxes) states.set(s.id, `${s.labels[LABEL_POD_UID]}:${s.state}`);
    for (const c of containers) states.set(c.id, `${c.labels[LABEL_POD_UID]}:${c.state}`);
    for (const [id, st] of states) if (this.lastStates.get(id) !== st) changed.add(st.split(':')[0]!);
    for (const [id, st] of this.lastStates) if (!states.has(id)) changed.add(st.split(':')[0]!);
    this.lastStates = states;
    // A change the pod's worker made itself and saw at the end of its pass (its new sandbox and
    // containers) wakes it for nothing: it is woken only when the runtime differs from that.
    for (const uid of changed) {
      const w = this.workers.get(uid);
      if (!w) continue;
      const sel = (x: PodSandbox | Container) => x.labels[LABEL_POD_UID] === uid;
      if (!w.sawRuntime(runtimeView(containers.filter(sel), sandboxes.filter(sel)))) w.queue();
    }
    // Sandboxes of pods this node no longer has (deleted while the agent was down).
    const known = new Set((this.informer?.list() ?? []).map((p) => p.metadata?.uid));
    for (const s of sandboxes) {
      const uid = s.labels[LABEL_POD_UID];
      if (!uid || known.has(uid) || this.workers.has(uid)) continue;
      await this.removePod(uid, s.labels[LABEL_POD_NAMESPACE] ?? '', s.labels[LABEL_POD_NAME] ?? '', 'it is no longer bound to this node');
    }
  }

  /** Stops and removes everything of a pod without a worker (the worker's own clean-up path, after a quick stop). */
  private async removePod(uid: string, namespace: string, name: string, why: string): Promise<void> {
    this.log(`removing pod ${namespace}/${name} (${uid}): ${why}`);
    await stopPodNow(this.o.runtime, uid);
    await removePodFromNode(this.cleanupDeps(), { uid, namespace, name }).catch((e) =>
      this.log(`pod ${namespace}/${name} not removed completely: ${(e as Error).message}`),
    );
  }

  private cleanupDeps(): PodCleanupDeps {
    return { runtime: this.o.runtime, logRoot: this.logRoot, cgroupRoot: this.o.cgroupRoot ?? '/berth', podsRoot: this.podsRoot, log: this.log };
  }

  /** How the HTTPS endpoint finds the container a logs or exec request names. */
  readonly lookup: ContainerLookup = {
    container: async (namespace, name, container, purpose) => {
      const previous = purpose === 'previous';
      const pod = this.informer?.get(namespace, name);
      if (!pod) throw new EndpointError(404, 'NotFound', `pods "${name}" not found`);
      const all = initThenAppContainers(pod.spec).map((c) => c.name);
      if (!container) {
        const dflt = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
        if (dflt) container = dflt;
        else if (pod.spec?.containers.length === 1) container = pod.spec.containers[0]!.name;
        else throw new EndpointError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
      }
      if (!all.includes(container)) throw new EndpointError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
      const list = (await this.o.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: pod.metadata!.uid!, [LABEL_CONTAINER_NAME]: container } })).sort(
        newestFirst,
      );
      const c = list[previous ? 1 : 0];
      if (!c) {
        if (previous) throw new EndpointError(400, 'BadRequest', `previous terminated container "${container}" in pod "${name}" not found`);
        if (purpose === 'exec') throw containerNotFound(container);
        throw new EndpointError(400, 'BadRequest', noLogsMessage(this.status.current(pod), container, name));
      }
      const st = await this.o.runtime.containerStatus(c.id);
      if (!st) throw new EndpointError(404, 'NotFound', `container "${container}" in pod "${name}" not found`);
      return { id: c.id, name: container, logPath: st.logPath, running: st.state === 'CONTAINER_RUNNING' };
    },
    isRunning: async (id) => (await this.o.runtime.containerStatus(id))?.state === 'CONTAINER_RUNNING',
    execUrl: (id, cmd, o) => this.o.runtime.exec({ containerId: id, cmd, ...o }),
    attachUrl: (id, o) => {
      if (!this.o.runtime.attach) throw new EndpointError(400, 'BadRequest', 'this runtime cannot attach to a container');
      return this.o.runtime.attach({ containerId: id, ...o });
    },
    portForwardUrl: async (namespace, name, ports) => {
      if (!this.o.runtime.portForward) throw new EndpointError(400, 'BadRequest', 'this runtime cannot forward ports');
      return this.o.runtime.portForward((await this.readySandbox(namespace, name)).sandbox.id, ports);
    },
    podAddress: async (namespace, name) => {
      const { pod, sandbox } = await this.readySandbox(namespace, name);
      if (pod.spec?.hostNetwork) return this.o.nodeIP;
      const ip = (await this.o.runtime.podSandboxStatus(sandbox.id))?.ips[0];
      if (!ip) throw new EndpointError(400, 'BadRequest', `pod ${name} has no IP address yet`);
      return ip;
    },
  };

  /** The pod's running sandbox, for streams into its network namespace; a 400 naming why there is none. */
  private async readySandbox(namespace: string, name: string): Promise<{ pod: Pod; sandbox: PodSandbox }> {
    const pod = this.informer?.get(namespace, name);
    if (!pod) throw new EndpointError(404, 'NotFound', `pods "${name}" not found`);
    const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: pod.metadata!.uid! }, state: 'SANDBOX_READY' });
    const sandbox = sandboxes.sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
    if (!sandbox) throw new EndpointError(400, 'BadRequest', `pod ${name} is not running (it has no ready sandbox)`);
    return { pod, sandbox };
  }

  /** The pods this agent runs now (for tests and the log endpoint). */
  pods(): Pod[] {
    return this.informer?.list() ?? [];
  }

  /**
   * Stops watching and reporting. Pods keep running in the runtime (a restarted agent adopts
   * them), unless removePods: then everything of every pod is stopped and removed first.
   */
  async stop(opts: { removePods?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.stopReporting();
    await this.network?.stop();
    await this.dns?.stop();
    await this.overlay?.stop();
    clearTimeout(this.relistTimer);
    await this.informer?.stop();
    await this.services.stop();
    await this.volumeSources.stop();
    await this.localPath?.stop();
    // Syncs under way get a moment to finish; one waiting in the runtime (a kill in its grace
    // period, a pull) is left to it: the pod's next sync, after a restart, picks it up again.
    const syncs = Promise.all([...this.workers.values()].map((w) => w.stop()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([syncs, new Promise((r) => (timer = setTimeout(r, opts.removePods ? 5000 : 1000)))]);
    clearTimeout(timer);
    this.probes.stopAll();
    this.reporter.stop();
    this.lease.stop();
    if (opts.removePods) {
      const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { [LABEL_MANAGED_BY]: MANAGED_BY } });
      const seen = new Set<string>();
      for (const s of sandboxes) {
        const uid = s.labels[LABEL_POD_UID];
        if (!uid || seen.has(uid)) continue;
        seen.add(uid);
        await this.removePod(uid, s.labels[LABEL_POD_NAMESPACE] ?? '', s.labels[LABEL_POD_NAME] ?? '', 'the agent is stopping with removePods');
      }
    }
  }
}
