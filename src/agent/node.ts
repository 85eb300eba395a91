// The agent's Node: registered with the machine's real capacity, addresses and nodeInfo; its
// conditions (Ready from the runtime, memory / disk / PID pressure from the machine). The
// registration, the Node's shape and the status loop's cadence are the kubelet core's
// (src/kubelet: node-registration, node-object, node-status); this file brings the facts.
import { readFileSync, statfsSync } from 'node:fs';
import * as os from 'node:os';
import type { Node, NodeStatus, Taint } from 'kubernetes-types/core/v1';
import { isNotFound, rfc3339, type RestClient } from '../client/index.js';
import type { Image, Runtime, RuntimeCondition } from '../runtime/index.js';
import {
  KUBELET_READY,
  NODE_STATUS_UPDATE_FREQUENCY_MS,
  NodeStatusTracker,
  kubeletNodeObject,
  kubeletNodeStatus,
  kubeletNotReady,
  nodeConditionBodies,
  registerNode,
  reportNodeStatus,
  wellKnownNodeLabels,
  type NodeConditionBody,
} from '../kubelet/index.js';
import { NO_POD_CIDR } from './pod-network.js';

/** The kubelet version Berth's agent reports (the API it serves is this version). */
export const AGENT_VERSION = 'v1.32.0+berth';

const MI = 1024 * 1024;
/** kubelet's default hard eviction thresholds: allocatable is capacity minus these. */
const EVICTION_MEMORY = 100 * MI;
const EVICTION_NODEFS_FRACTION = 0.1;

export interface MachineFacts {
  cpus: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  diskBytes: number;
  diskAvailableBytes: number;
  pidMax: number;
  processes: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  hostname: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim() || fallback;
  } catch {
    return fallback;
  }
}

/** The machine as the agent sees it; dir is where pods' data go (its filesystem is ephemeral-storage). */
export function machineFacts(dir: string): MachineFacts {
  const fs = statfsSync(dir);
  const meminfo = readOr('/proc/meminfo', '');
  const available = /MemAvailable:\s+(\d+) kB/.exec(meminfo);
  const osRelease = readOr('/etc/os-release', '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease);
  const machineID = readOr('/etc/machine-id', '') || readOr('/var/lib/dbus/machine-id', '') || os.hostname();
  // /proc/loadavg's fourth field is running/total scheduling entities (processes and threads).
  const processes = Number(readOr('/proc/loadavg', '0 0 0 0/0').split(' ')[3]?.split('/')[1] ?? 0) || 0;
  return {
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    memoryBytes: os.totalmem(),
    memoryAvailableBytes: available ? Number(available[1]) * 1024 : os.freemem(),
    diskBytes: fs.blocks * fs.bsize,
    diskAvailableBytes: fs.bavail * fs.bsize,
    pidMax: Number(readOr('/proc/sys/kernel/pid_max', '32768')),
    processes,
    machineID,
    systemUUID: readOr('/sys/class/dmi/id/product_uuid', readOr('/proc/sys/kernel/random/boot_id', '')),
    bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
    kernelVersion: os.release(),
    osImage: pretty?.[1] ?? `${os.type()} ${os.release()}`,
    hostname: os.hostname().toLowerCase(),
  };
}

export function goArch(arch: string = process.arch): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

export function nodeLabels(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...wellKnownNodeLabels(name, goArch()),
    'node.kubernetes.io/instance-type': 'berth',
    ...extra,
  };
}

export interface NodeStatusInput {
  facts: MachineFacts;
  runtimeConditions: RuntimeCondition[] | Error;
  runtimeVersion: string;
  nodeIP: string;
  externalIP?: string;
  hostname: string;
  port: number;
  images: Image[];
  maxPods: number;
}

type Cond = NodeConditionBody;

/** The four conditions kubelet reports, from the machine and the runtime. */
export function nodeConditions(i: NodeStatusInput): Cond[] {
  const f = i.facts;
  const memoryPressure = f.memoryAvailableBytes < EVICTION_MEMORY;
  const diskPressure = f.diskAvailableBytes < f.diskBytes * EVICTION_NODEFS_FRACTION;
  const pidPressure = f.pidMax > 0 && f.processes > f.pidMax * 0.9;
  let ready: Cond = KUBELET_READY;
  if (i.runtimeConditions instanceof Error) {
    ready = kubeletNotReady(`container runtime is down: ${i.runtimeConditions.message}`);
  } else {
    const bad = i.runtimeConditions.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status);
    const rt = bad.find((c) => c.type === 'RuntimeReady');
    const net = bad.find((c) => c.type === 'NetworkReady');
    if (rt) ready = kubeletNotReady(`container runtime not ready: RuntimeReady=false reason:${rt.reason} message:${rt.message}`);
    else if (net) ready = kubeletNotReady(`container runtime network not ready: NetworkReady=false reason:${net.reason} message:${net.message}`);
  }
  return nodeConditionBodies({ memory: memoryPressure, disk: diskPressure, pid: pidPressure }, ready);
}

/** The status from the machine and the runtime, its conditions not yet stamped with times. */
export function nodeStatus(i: NodeStatusInput): Omit<NodeStatus, 'conditions'> & { conditions: Cond[] } {
  const f = i.facts;
  const capacity = {
    cpu: String(f.cpus),
    ephemeralStorage: `${Math.floor(f.diskBytes / 1024)}Ki`,
    memory: `${Math.floor(f.memoryBytes / 1024)}Ki`,
    pods: String(i.maxPods),
  };
  const status = kubeletNodeStatus({
    capacity,
    allocatable: {
      ephemeralStorage: String(Math.floor(f.diskBytes * (1 - EVICTION_NODEFS_FRACTION))),
      memory: `${Math.floor((f.memoryBytes - EVICTION_MEMORY) / 1024)}Ki`,
    },
    conditions: [],
    internalIP: i.nodeIP,
    externalIP: i.externalIP,
    hostname: i.hostname,
    kubeletPort: i.port,
    nodeInfo: {
      machineID: f.machineID,
      systemUUID: f.systemUUID,
      bootID: f.bootID,
      kernelVersion: f.kernelVersion,
      osImage: f.osImage,
      containerRuntimeVersion: i.runtimeVersion,
      kubeletVersion: AGENT_VERSION,
      architecture: goArch(),
    },
    // Up to 50 images, largest first, as kubelet reports them.
    images: [...i.images]
      .sort((a, b) => b.size - a.size)
      .slice(0, 50)
      .map((img) => ({ names: [...img.repoDigests, ...img.repoTags], sizeBytes: img.size })),
  });
  return { ...status, conditions: nodeConditions(i) };
}

/** The first non-internal IPv4 address of the machine (what kubelet picks without --node-ip). */
export function defaultNodeIP(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface NodeReporterOptions {
  client: RestClient;
  runtime: Runtime;
  nodeName: string;
  nodeIP: string;
  /** The node's ExternalIP address (--node-external-ip). */
  externalIP?: string;
  dataDir: string;
  port: () => number;
  labels?: Record<string, string>;
  /** Taints the Node is created with (--node-taint); an existing Node keeps its own. */
  taints?: Taint[];
  /** --pod-cidr: a range to set on the Node when it has none, for a control plane that assigns none. */
  podCidr?: () => string | undefined;
  /** True while the agent waits for the control plane to assign a podCIDR: the network is not ready. */
  podCidrPending?: () => boolean;
  maxPods?: number;
  /** How often the status is computed (kubelet's nodeStatusUpdateFrequency, 10 s). */
  checkIntervalMs?: number;
  /** How often an unchanged status is posted anyway (kubelet's nodeStatusReportFrequency, 5 min). */
  reportIntervalMs?: number;
  log: (msg: string) => void;
}

/** The agent's side of the node status loop: one node, its status from the machine and the runtime. */
export class NodeReporter {
  private timer?: NodeJS.Timeout;
  private readonly tracker: NodeStatusTracker;
  private runtimeVersion = '';
  node?: Node;

  constructor(private readonly o: NodeReporterOptions) {
    this.tracker = new NodeStatusTracker(o.reportIntervalMs);
  }

  private async status(): Promise<NodeStatus> {
    const rt = this.o.runtime;
    if (!this.runtimeVersion) {
      const v = await rt.version();
      this.runtimeVersion = `${v.runtimeName}://${v.runtimeVersion}`;
    }
    const [fromRuntime, images] = await Promise.all([rt.status().catch((e: Error) => e), rt.listImages().catch(() => [] as Image[])]);
    // Until the node has a range no CNI config is written for it: say so in kubelet's words.
    const runtimeConditions =
      this.o.podCidrPending?.() && !(fromRuntime instanceof Error)
        ? [...fromRuntime.filter((c) => c.type !== 'NetworkReady'), { type: 'NetworkReady', status: false, ...NO_POD_CIDR }]
        : fromRuntime;
    const facts = machineFacts(this.o.dataDir);
    const s = nodeStatus({
      facts,
      runtimeConditions,
      runtimeVersion: this.runtimeVersion,
      nodeIP: this.o.nodeIP,
      externalIP: this.o.externalIP,
      hostname: facts.hostname,
      port: this.o.port(),
      images,
      maxPods: this.o.maxPods ?? 110,
    });
    return { ...s, conditions: this.tracker.stamp(s.conditions, rfc3339()) };
  }

  /**
   * Creates the Node, or takes over an existing one of that name. Without a podCIDR of our own
   * to set, the Node is registered without one: the control plane assigns it.
   */
  async register(): Promise<Node> {
    const name = this.o.nodeName;
    const status = await this.status();
    const node = kubeletNodeObject({ name, labels: nodeLabels(name, this.o.labels), podCidr: this.o.podCidr?.(), taints: this.o.taints, status });
    this.node = await registerNode({ client: this.o.client, node, log: this.o.log });
    this.tracker.posted(status);
    return this.node;
  }

  /** Recomputes the status every checkInterval; posts it when it changed or the report interval passed. */
  start(): void {
    const every = this.o.checkIntervalMs ?? NODE_STATUS_UPDATE_FREQUENCY_MS;
    const tick = async () => {
      try {
        await this.tick();
      } catch (e) {
        this.o.log(`node status not updated: ${(e as Error).message}`);
        if (isNotFound(e)) await this.register().catch(() => undefined);
      }
      this.timer = setTimeout(() => void tick(), every);
      this.timer.unref();
    };
    this.timer = setTimeout(() => void tick(), every);
    this.timer.unref();
  }

  /** Posts now if anything but heartbeat times changed, or the report interval passed (or force); whether it posted. */
  async tick(force = false): Promise<boolean> {
    const node = await reportNodeStatus(this.o.client, this.o.nodeName, await this.status(), this.tracker, force);
    if (node) this.node = node;
    return !!node;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
