// `berth sim` as a library: plans the nodes, registers them and their Leases, keeps both fresh,
// and runs the pods bound to them. Everything goes through the API, as a kubelet's would. The
// nodes' kubelet endpoint (logs, exec...) is one listener of the simulator's own on loopback.
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Node } from 'kubernetes-types/core/v1';
import { EventRecorder, resources, rfc3339, type RestClient } from '../client/index.js';

import { LeaseRenewer } from './lease-renewer.js';
import type { NodeShape } from './node-object.js';
import { planNodes, type SimNode } from './node-plan.js';
import { NodeRegistrar } from './node-registrar.js';
import { SimKubeletEndpoint } from './kubelet-endpoint.js';
import {
  NODE_LEASE_DURATION_SECONDS,
  NODE_LEASE_NAMESPACE,
  ensureNodeLeaseNamespace,
  NODE_LEASE_RENEW_INTERVAL_MS,
  NODE_STATUS_UPDATE_FREQUENCY_MS,
  ServingCertManager,
  type ServingCert,
} from '../kubelet/index.js';
import { NodeStatusReporter } from './node-status-reporter.js';
import type { LifecycleOptions } from './pod-lifecycle.js';
import { PodWorker } from './pod-worker.js';
import { LocalPathProvisioner } from '../agent/local-path.js';
/** Where a simulated node's local-path volumes would be (their objects name it; nothing is made there). */
const SIMULATED_DATA_DIR = '/var/lib/berth-sim';

export interface SimulatorOptions {
  nodes: number;
  namePrefix: string;
  zones: string[];
  region: string;
  cpu: string;
  memory: string;
  pods: string;
  ephemeralStorage: string;
  /** The cluster's pod range; each node gets a /nodeCidrMaskSize of it as spec.podCIDR. */
  podCidr: string;
  nodeCidrMaskSize: number;
  /**
   * Where the nodes' kubelet endpoint listens, and so every node's InternalIP and kubelet port:
   * a loopback address (others are refused); port 0 picks a free one.
   */
  kubeletHost: string;
  kubeletPort: number;
  /**
   * Signs the endpoint's serving certificate for names with the cluster CA (a server with the CA
   * at hand). Without it the simulator asks for one with a CertificateSigningRequest of
   * kubernetes.io/kubelet-serving for its first node, as an agent does.
   */
  servingCert?: (names: string[]) => Promise<ServingCert>;
  /** kubeletVersion the nodes report (default: the API server's version). */
  kubeletVersion?: string;
  startDelayMs: number;
  backoffScale: number;
  leaseDurationSeconds: number;
  leaseRenewIntervalMs: number;
  nodeStatusIntervalMs: number;
  /** Requests in flight for registration and heartbeats. */
  concurrency: number;
  podWorkers: number;
  log: (msg: string) => void;
}

export const DEFAULT_SIMULATOR_OPTIONS: Omit<SimulatorOptions, 'nodes' | 'log'> = {
  namePrefix: 'sim-',
  zones: ['sim-region-a'],
  region: 'sim-region',
  cpu: '32',
  memory: '256Gi',
  pods: '110',
  ephemeralStorage: '100Gi',
  podCidr: '10.244.0.0/16',
  nodeCidrMaskSize: 24,
  kubeletHost: '127.0.0.1',
  kubeletPort: 0,
  startDelayMs: 0,
  backoffScale: 1,
  leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
  leaseRenewIntervalMs: NODE_LEASE_RENEW_INTERVAL_MS,
  nodeStatusIntervalMs: NODE_STATUS_UPDATE_FREQUENCY_MS,
  concurrency: 64,
  podWorkers: 32,
};

export interface Simulator {
  readonly nodes: readonly SimNode[];
  /** How long registering every node (and its Lease) took. */
  readonly registrationMs: number;
  /** The nodes' kubelet endpoint (every node's InternalIP and kubeletEndpoint port). */
  readonly endpoint: { host: string; port: number };
  stats(): {
    nodes: number;
    leases: ReturnType<LeaseRenewer['stats']>;
    nodeStatus: ReturnType<NodeStatusReporter['stats']>;
    pods: ReturnType<PodWorker['stats']>;
  };
  /** Stops renewing and running pods; the Nodes stay registered, as a stopped kubelet leaves its Node. */
  stop(): Promise<void>;
}

export async function startSimulator(client: RestClient, options: Partial<SimulatorOptions> & Pick<SimulatorOptions, 'nodes'>): Promise<Simulator> {
  const opts: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, log: () => {}, ...options };
  const { log } = opts;
  const started = performance.now();

  const byName = new Map<string, SimNode>();
  const pods = new PodWorker(client, byName, {
    lifecycle: { startDelayMs: opts.startDelayMs, backoffScale: opts.backoffScale } satisfies LifecycleOptions,
    workers: opts.podWorkers,
    log,
  });
  // The endpoint listens before any node names its port. As an agent's, it lets in only the API
  // server's client certificate (of the cluster CA the simulator's kubeconfig trusts).
  const endpoint = new SimKubeletEndpoint({
    host: opts.kubeletHost,
    port: opts.kubeletPort,
    clientCa: client.options.ca,
    pods: { get: (ns, name) => pods.pod(ns, name), watch: (ns, name, fn) => pods.watchPod(ns, name, fn) },
    log,
  });
  if (!client.options.ca) log("the kubeconfig holds no cluster CA: the nodes' kubelet endpoint refuses every request (kubectl logs on their pods fails)");
  // A signed certificate is made while the cluster is listed, not before.
  const listening = Promise.all([endpoint.start(), opts.servingCert?.([endpoint.host, 'localhost']).then((c) => endpoint.setServingCert(c))]);
  let kubeletVersion: string, existingNodes: { items: Node[] }, existingLeases: { items: Lease[] };
  try {
    [kubeletVersion, existingNodes, existingLeases] = await Promise.all([
      opts.kubeletVersion ?? serverVersion(client),
      client.listAll<Node>(resources.nodes, { pageSize: 1000 }),
      ensureNodeLeaseNamespace(client).then(() => client.listAll<Lease>({ ...resources.leases, namespace: NODE_LEASE_NAMESPACE }, { pageSize: 1000 })),
      listening,
    ]);
  } catch (e) {
    await listening.then(() => endpoint.stop()).catch(() => {});
    throw e;
  }
  let nodes: SimNode[];
  try {
    nodes = planNodes({ ...opts, count: opts.nodes, nodeIP: endpoint.host }, existingNodes.items, rfc3339());
  } catch (e) {
    await endpoint.stop();
    throw e;
  }
  for (const n of nodes) byName.set(n.name, n);
  const shape: NodeShape = {
    cpu: opts.cpu,
    memory: opts.memory,
    pods: opts.pods,
    ephemeralStorage: opts.ephemeralStorage,
    kubeletVersion,
    kubeletPort: endpoint.port,
  };

  const leases = new LeaseRenewer(client, {
    durationSeconds: opts.leaseDurationSeconds,
    renewIntervalMs: opts.leaseRenewIntervalMs,
    concurrency: opts.concurrency,
    log,
  });
  leases.remember(existingLeases.items.filter((l) => byName.has(l.metadata?.name ?? '')));
  // Each registration posts the node's status: the status loop counts its report period from it.
  const registrar = new NodeRegistrar(client, leases, { shape, concurrency: opts.concurrency, log, onRegistered: (n) => statusReporter.registered(n) });
  const statusReporter: NodeStatusReporter = new NodeStatusReporter(client, {
    intervalMs: opts.nodeStatusIntervalMs,
    shape,
    concurrency: Math.max(1, Math.floor(opts.concurrency / 4)),
    onNodeGone: (n) => registrar.register(n),
    log,
  });
  // Pods are listed while the nodes register; heartbeats start at once and cover each node as
  // soon as it is registered, so that the first nodes' Leases are not left waiting for the last.
  const podsStarted = pods.start();
  leases.start(nodes);
  statusReporter.start(nodes);
  const existing = new Map(existingNodes.items.map((n) => [n.metadata?.name ?? '', n]));
  const step = Math.max(1000, Math.ceil(nodes.length / 5 / 1000) * 1000);
  try {
    await registrar.registerAll(nodes, existing, (done) => {
      if (done % step === 0 && done < nodes.length) log(`${done}/${nodes.length} nodes registered (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    });
  } catch (e) {
    await Promise.all([leases.stop(), statusReporter.stop(), pods.stop().catch(() => {}), endpoint.stop()]);
    throw e;
  }
  const registrationMs = performance.now() - started;
  await podsStarted;
  // Asked for once the nodes are registered: the approver checks the names against its Node.
  const certs =
    opts.servingCert || !client.options.ca || !nodes.length
      ? undefined
      : new ServingCertManager({
          client,
          nodeName: nodes[0]!.name,
          names: [nodes[0]!.name, endpoint.host],
          caCert: client.options.ca,
          onCert: (c) => endpoint.setServingCert(c),
          log,
        });
  // Claims of the default local-path class whose pods land here get their volumes (objects only).
  const volumes = new LocalPathProvisioner({
    client,
    nodeName: (n) => byName.has(n),
    dataDir: SIMULATED_DATA_DIR,
    directories: false,
    recorder: new EventRecorder({ client, component: 'kubelet', log }),
    log,
  });
  await volumes.start();
  await certs?.start();
  if (certs && !(await certs.waitForCert(15_000)))
    log('no serving certificate yet: kubectl logs on simulated pods fails until its CertificateSigningRequest is approved and issued (kubectl get csr)');

  return {
    nodes,
    registrationMs,
    endpoint: { host: endpoint.host, port: endpoint.port },
    stats: () => ({ nodes: nodes.length, leases: leases.stats(), nodeStatus: statusReporter.stats(), pods: pods.stats() }),
    async stop() {
      certs?.stop();
      await Promise.all([leases.stop(), statusReporter.stop(), pods.stop(), endpoint.stop(), volumes.stop()]);
    },
  };
}

async function serverVersion(client: RestClient): Promise<string> {
  try {
    const v = await client.request<{ gitVersion?: string }>('GET', '/version');
    if (v?.gitVersion) return v.gitVersion;
  } catch {
    // An old or odd server: fall through.
  }
  return 'v1.32.0';
}
