// A Pod's spec in CRI terms, as kubelet's kuberuntime builds it: the sandbox config (metadata,
// hostname, DNS, ports, cgroup parent, namespaces), each container's config (command, args,
// working dir, env, labels, log path, resources as cgroup settings, security context).
import { createHash } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { Quantity } from '../api/quantity.js';
import type { ContainerConfig, LinuxContainerResources, NamespaceOption, PodSandboxConfig, PortMapping } from '../runtime/index.js';
import { parseResolvConf } from '../dns/resolv-conf.js';
import { podHostnameAndDomain } from './etc-hosts.js';
import { effectiveSecurityContext, podSupplementalGroups, type ImageUser } from './security-context.js';
import { initThenAppContainers } from '../api/containers.js';

/** Re-exported: the resolv.conf parser lives with the DNS server that also reads it. */
export { parseResolvConf };

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

/** resolv.conf's limits as kubelet enforces them (validation.MaxDNSNameservers and friends). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** A longer search domain makes some resolvers (glibc 2.28) abort: kubelet drops it. */
const MAX_SEARCH_DOMAIN_CHARS = 253;

/**
 * The sandbox's DNS config for the pod's dnsPolicy and dnsConfig, as kubelet's dns.Configurer
 * (pkg/kubelet/network/dns): ClusterFirst (the default; a pod on the host's network gets
 * Default unless it asks for ClusterFirstWithHostNet) → the cluster's nameservers, the search
 * path `<ns>.svc.<domain> svc.<domain> <domain>` then the host's, `ndots:5`; Default → the
 * node's resolv.conf; None → only what dnsConfig gives. ClusterFirst without cluster DNS falls
 * back to Default, as kubelet without --cluster-dns does. dnsConfig is appended (nameservers and
 * searches without duplicates, options merged by name, a later value winning), then the limits
 * are applied: 3 nameservers, 32 search domains of at most 253 characters, 2048 in all.
 */
export function podDnsConfig(pod: Pod, dns: DnsSettings): NonNullable<PodSandboxConfig['dnsConfig']> {
  const spec = pod.spec!;
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && dns.clusterDns.length === 0) policy = 'Default';
  let cfg: { servers: string[]; searches: string[]; options: string[] };
  if (policy === 'None') cfg = { servers: [], searches: [], options: [] };
  else if (policy === 'Default') cfg = { servers: [...dns.host.servers], searches: [...dns.host.searches], options: [...dns.host.options] };
  else {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = dns.clusterDomain;
    const searches = d ? unique([`${ns}.svc.${d}`, `svc.${d}`, d, ...dns.host.searches]) : [...dns.host.searches];
    cfg = { servers: [...dns.clusterDns], searches, options: ['ndots:5'] };
  }
  const extra = spec.dnsConfig;
  if (extra) {
    cfg.servers = unique([...cfg.servers, ...(extra.nameservers ?? [])]);
    cfg.searches = unique([...cfg.searches, ...(extra.searches ?? [])]);
    cfg.options = mergeDnsOptions(cfg.options, extra.options ?? []);
  }
  return { servers: cfg.servers.slice(0, MAX_DNS_NAMESERVERS), searches: searchesWithinLimits(cfg.searches), options: cfg.options };
}

/** Options by name: "ndots:5" is ndots with value 5; the pod's replace the policy's. */
function mergeDnsOptions(base: string[], extra: Array<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string | undefined>();
  for (const o of base) {
    const i = o.indexOf(':');
    byName.set(i < 0 ? o : o.slice(0, i), i < 0 ? undefined : o.slice(i + 1));
  }
  for (const o of extra) if (o.name) byName.set(o.name, o.value);
  return [...byName].map(([name, value]) => (value ? `${name}:${value}` : name));
}

function searchesWithinLimits(searches: string[]): string[] {
  const list = searches.slice(0, MAX_DNS_SEARCH_PATHS).filter((s) => s.length <= MAX_SEARCH_DOMAIN_CHARS);
  // Over 2048 characters on the search line: domains go from the end until it fits.
  let len = list.join(' ').length;
  while (list.length && len > MAX_DNS_SEARCH_LIST_CHARS) len -= list.pop()!.length + 1;
  return list;
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

/** A pod's FQDN as its hostname is longer than Linux allows (kubelet's error for it). */
export class HostnameTooLongError extends Error {
  override readonly name = 'HostnameTooLongError';
}

/** Linux's limit on a host name (HOST_NAME_MAX), which kubelet checks a pod's FQDN against. */
const MAX_FQDN_HOSTNAME = 64;

/**
 * The sandbox's hostname: the pod's (spec.hostname or its name, at most 63 characters), or with
 * setHostnameAsFQDN and a subdomain, `<hostname>.<subdomain>.<ns>.svc.<domain>`.
 */
export function sandboxHostname(pod: Pod, clusterDomain: string): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  if (!pod.spec?.setHostnameAsFQDN || !domain) return hostname;
  const fqdn = `${hostname}.${domain}`;
  if (fqdn.length > MAX_FQDN_HOSTNAME) {
    throw new HostnameTooLongError(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${MAX_FQDN_HOSTNAME} characters is the max, ${fqdn.length} characters requested)`,
    );
  }
  return fqdn;
}

export function sandboxConfig(pod: Pod, o: SandboxOptions): PodSandboxConfig {
  const m = pod.metadata!;
  const s = pod.spec!;
  const portMappings: PortMapping[] = [];
  for (const c of s.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({
        protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'],
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP ?? '',
      });
    }
  }
  const sc = s.securityContext ?? {};
  const sysctls: Record<string, string> = {};
  for (const x of sc.sysctls ?? []) sysctls[x.name] = x.value;
  return {
    metadata: { name: m.name!, uid: m.uid!, namespace: m.namespace!, attempt: o.attempt },
    hostname: s.hostNetwork ? '' : sandboxHostname(pod, o.dns.clusterDomain),
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
    labels: {
      [LABEL_POD_NAME]: m.name!,
      [LABEL_POD_NAMESPACE]: m.namespace!,
      [LABEL_POD_UID]: m.uid!,
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_MANAGED_BY]: MANAGED_BY,
    },
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
