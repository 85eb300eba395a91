// A Pod's spec in CRI terms, as kubelet's kuberuntime builds it: the sandbox config (metadata,
// hostname, DNS, ports, cgroup parent, namespaces), each container's config (command, args,
// working dir, env, labels, log path, resources as cgroup settings, security context).
import { createHash } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { Quantity } from '../api/quantity.js';
import type { ContainerConfig, LinuxContainerResources, NamespaceOption, PodSandboxConfig, PortMapping } from '../runtime/index.js';
import { effectiveSecurityContext, podSupplementalGroups, type ImageUser } from './security-context.js';
import { initThenAppContainers } from '../api/containers.js';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
/** Marks what this agent created, so that it never touches other users' sandboxes on a shared runtime. */
export const LABEL_MANAGED_BY = 'io.berth.managed-by';
export const MANAGED_BY = 'berth-agent';

/** kubelet's defaults for containers that aren't privileged (pkg/securitycontext). */
const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface DnsSettings {
  /** Cluster DNS servers (none: ClusterFirst falls back to the host's, as kubelet without clusterDNS). */
  clusterDns: string[];
  clusterDomain: string;
  /** The host's resolv.conf, parsed. */
  host: { servers: string[]; searches: string[]; options: string[] };
}

export function parseResolvConf(text: string): DnsSettings['host'] {
  const servers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') searches = rest;
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}

/** The sandbox's DNS config for the pod's dnsPolicy and dnsConfig (upstream's dns.Configurer). */
export function podDnsConfig(pod: Pod, dns: DnsSettings): NonNullable<PodSandboxConfig['dnsConfig']> | undefined {
  const spec = pod.spec!;
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && dns.clusterDns.length === 0) policy = 'Default';
  let cfg: { servers: string[]; searches: string[]; options: string[] };
  if (policy === 'None') cfg = { servers: [], searches: [], options: [] };
  else if (policy === 'Default') cfg = { ...dns.host };
  else {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = dns.clusterDomain;
    cfg = { servers: [...dns.clusterDns], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...dns.host.searches], options: ['ndots:5'] };
  }
  const extra = spec.dnsConfig;
  if (extra) {
    cfg.servers = unique([...cfg.servers, ...(extra.nameservers ?? [])]);
    cfg.searches = unique([...cfg.searches, ...(extra.searches ?? [])]);
    const opts = new Map(cfg.options.map((o) => [o.split(':')[0]!, o]));
    for (const o of extra.options ?? []) opts.set(o.name ?? '', o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? ''));
    cfg.options = [...opts.values()].filter(Boolean);
  }
  // resolv.conf allows 32 search domains (glibc 2.26+).
  cfg.searches = cfg.searches.slice(0, 32);
  return cfg;
}

function unique(a: string[]): string[] {
  return [...new Set(a)];
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function podQos(pod: Pod): QosClass {
  return (pod.status?.qosClass as QosClass | undefined) ?? 'BestEffort';
}

/** The pod's cgroup, under the agent's root by QoS as kubelet's cgroupfs layout (/kubepods/burstable/pod<uid>). */
export function podCgroupParent(pod: Pod, root: string): string {
  const uid = pod.metadata!.uid!;
  const qos = podQos(pod);
  return qos === 'Guaranteed' ? `${root}/pod${uid}` : `${root}/${qos.toLowerCase()}/pod${uid}`;
}

export function podLogDirectory(pod: Pod, logRoot: string): string {
  const m = pod.metadata!;
  return `${logRoot}/${m.namespace}_${m.name}_${m.uid}`;
}

function namespaceOptions(pod: Pod): NamespaceOption {
  const s = pod.spec!;
  return {
    network: s.hostNetwork ? 'NODE' : 'POD',
    pid: s.hostPID ? 'NODE' : s.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s.hostIPC ? 'NODE' : 'POD',
  };
}

export interface SandboxOptions {
  attempt: number;
  logRoot: string;
  cgroupRoot: string;
  dns: DnsSettings;
}

export function sandboxConfig(pod: Pod, o: SandboxOptions): PodSandboxConfig {
  const m = pod.metadata!;
  const s = pod.spec!;
  const portMappings: PortMapping[] = [];
  for (const c of s.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' });
    }
  }
  const sc = s.securityContext ?? {};
  const sysctls: Record<string, string> = {};
  for (const x of sc.sysctls ?? []) sysctls[x.name] = x.value;
  return {
    metadata: { name: m.name!, uid: m.uid!, namespace: m.namespace!, attempt: o.attempt },
    hostname: s.hostNetwork ? '' : (s.hostname ?? m.name!).slice(0, 63).replace(/[.-]+$/, ''),
    logDirectory: podLogDirectory(pod, o.logRoot),
    dnsConfig: podDnsConfig(pod, o.dns),
    portMappings,
    labels: { ...(m.labels ?? {}), [LABEL_POD_NAME]: m.name!, [LABEL_POD_NAMESPACE]: m.namespace!, [LABEL_POD_UID]: m.uid!, [LABEL_MANAGED_BY]: MANAGED_BY },
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      cgroupParent: podCgroupParent(pod, o.cgroupRoot),
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        supplementalGroups: podSupplementalGroups(pod),
        privileged: initThenAppContainers(s).some((c) => c.securityContext?.privileged),
      },
      sysctls,
    },
  };
}

/** A hash of the container's spec: a container whose spec changed (e.g. its image) is restarted. */
export function containerHash(c: Container): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 16);
}

const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1000;

function milli(q: string | number | undefined): number | undefined {
  if (q === undefined || q === null) return undefined;
  return Quantity.parse(String(q)).milliValue();
}

function bytes(q: string | number | undefined): number | undefined {
  if (q === undefined || q === null) return undefined;
  return Quantity.parse(String(q)).value();
}

/** kubelet's oom_score_adj by QoS (pkg/kubelet/qos/policy.go). */
export function oomScoreAdj(c: Container, qos: QosClass, memoryCapacity: number): number {
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const request = bytes(c.resources?.requests?.memory) ?? 0;
  let adj = 1000 - Math.floor((1000 * request) / memoryCapacity);
  if (adj < 3) adj = 3; // upstream keeps burstable above guaranteed and system components
  if (adj === 1000) adj = 999;
  return adj;
}

/** requests.cpu → shares, limits.cpu → quota/period, limits.memory → memory limit (kubelet's calculateLinuxResources). */
export function linuxResources(c: Container, qos: QosClass, memoryCapacity: number): LinuxContainerResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuRequest = milli(req.cpu) ?? milli(lim.cpu);
  const cpuLimit = milli(lim.cpu);
  const memLimit = bytes(lim.memory);
  const r: LinuxContainerResources = {
    cpuShares: cpuRequest === undefined || cpuRequest === 0 ? MIN_SHARES : Math.max(MIN_SHARES, Math.floor((cpuRequest * SHARES_PER_CPU) / 1000)),
    oomScoreAdj: oomScoreAdj(c, qos, memoryCapacity),
  };
  if (cpuLimit !== undefined && cpuLimit > 0) {
    r.cpuPeriod = QUOTA_PERIOD;
    r.cpuQuota = Math.max(MIN_QUOTA, Math.floor((cpuLimit * QUOTA_PERIOD) / 1000));
  }
  if (memLimit !== undefined && memLimit > 0) r.memoryLimitInBytes = memLimit;
  return r;
}

export interface ContainerOptions {
  attempt: number;
  image: string;
  envs: Array<{ key: string; value: string }>;
  memoryCapacity: number;
  mounts?: ContainerConfig['mounts'];
  /** The image's own user: the container runs as it unless runAsUser says otherwise. */
  imageUser?: ImageUser;
}

/** $(VAR) references to variables defined earlier; $$(VAR) is a literal $(VAR) (upstream's expansion). */
export function expandVars(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return vars.has(name!) ? vars.get(name!)! : m;
  });
}

export function containerConfig(pod: Pod, c: Container, o: ContainerOptions): ContainerConfig {
  const m = pod.metadata!;
  const sc = effectiveSecurityContext(pod, c);
  const vars = new Map(o.envs.map((e) => [e.key, e.value]));
  // Without runAsUser the image's user is passed on explicitly, as kubelet does: the runtime
  // refuses a runAsGroup that comes without a user.
  const runAsUser = sc.runAsUser ?? o.imageUser?.uid;
  const runAsUsername = sc.runAsUser === undefined || sc.runAsUser === null ? o.imageUser?.username : undefined;
  const runAsGroup = sc.runAsGroup;
  const privileged = !!sc.privileged;
  return {
    metadata: { name: c.name, attempt: o.attempt },
    image: { image: o.image },
    command: (c.command ?? []).map((s) => expandVars(s, vars)),
    args: (c.args ?? []).map((s) => expandVars(s, vars)),
    workingDir: c.workingDir ?? '',
    envs: o.envs,
    mounts: o.mounts ?? [],
    labels: { [LABEL_POD_NAME]: m.name!, [LABEL_POD_NAMESPACE]: m.namespace!, [LABEL_POD_UID]: m.uid!, [LABEL_CONTAINER_NAME]: c.name, [LABEL_MANAGED_BY]: MANAGED_BY },
    annotations: {
      [ANNOTATION_CONTAINER_HASH]: containerHash(c),
      [ANNOTATION_RESTART_COUNT]: String(o.attempt),
      [ANNOTATION_GRACE_PERIOD]: String(pod.spec!.terminationGracePeriodSeconds ?? 30),
    },
    logPath: `${c.name}/${o.attempt}.log`,
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    tty: !!c.tty,
    linux: {
      resources: linuxResources(c, podQos(pod), o.memoryCapacity),
      securityContext: {
        privileged,
        namespaceOptions: namespaceOptions(pod),
        ...(runAsUser !== undefined && runAsUser !== null ? { runAsUser: { value: runAsUser } } : {}),
        ...(runAsUsername ? { runAsUsername } : {}),
        ...(runAsGroup !== undefined && runAsGroup !== null ? { runAsGroup: { value: runAsGroup } } : {}),
        readonlyRootfs: !!sc.readOnlyRootFilesystem,
        supplementalGroups: podSupplementalGroups(pod),
        noNewPrivs: sc.allowPrivilegeEscalation === false,
        capabilities: { addCapabilities: sc.capabilities?.add ?? [], dropCapabilities: sc.capabilities?.drop ?? [] },
        maskedPaths: privileged ? [] : DEFAULT_MASKED_PATHS,
        readonlyPaths: privileged ? [] : DEFAULT_READONLY_PATHS,
      },
    },
  };
}
