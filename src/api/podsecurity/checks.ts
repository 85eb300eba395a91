// The Pod Security Standards' checks, as upstream's k8s.io/pod-security-admission/policy (the
// latest version of each): pure functions of a pod's metadata and spec that say what, if
// anything, the pod does that its level forbids, in upstream's words. Baseline checks come
// first, then restricted ones, each group by check ID, as upstream's registry orders them;
// restricted replaces three baseline checks with stricter ones of its own.
import type { Container, PodSpec, SecurityContext } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface CheckResult {
  reason: string;
  detail: string;
}

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** Baseline checks this (restricted) check replaces. */
  overrides?: string[];
  run(meta: ObjectMeta, spec: PodSpec): CheckResult | undefined;
}

/** `"a", "b"`: each quoted as Go's %q, joined by ", ". */
export const joinQuote = (items: string[]) => items.map((s) => JSON.stringify(s)).join(', ');
const pluralize = (one: string, many: string, n: number) => (n === 1 ? one : many);
const containersPhrase = (names: string[]) => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
const sortedUnique = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Init containers, containers, then ephemeral containers, as upstream's visitContainers. */
function containers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...((spec.ephemeralContainers ?? []) as Container[])];
}

const sc = (c: Container): SecurityContext | undefined => c.securityContext;
const isWindows = (spec: PodSpec) => spec.os?.name === 'windows';

const ALLOWED_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const ALLOWED_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);
const ALLOWED_SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const ALLOWED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret', 'image']);
const KNOWN_VOLUME_TYPES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const validSeccomp = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';

/** "pod and containers "a"" style setters, as several checks name who set a bad value. */
function setters(pod: boolean, bad: string[]): string[] {
  const out = pod ? ['pod'] : [];
  if (bad.length) out.push(containersPhrase(bad));
  return out;
}

const CHECKS: Check[] = [
  {
    id: 'appArmorProfile',
    level: 'baseline',
    run(meta, spec) {
      const validType = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
      const badValues = new Set<string>();
      const podType = spec.securityContext?.appArmorProfile?.type;
      const podBad = spec.securityContext?.appArmorProfile !== undefined && !validType(podType);
      if (podBad) badValues.add(podType ?? '');
      const bad: string[] = [];
      for (const c of containers(spec)) {
        const p = sc(c)?.appArmorProfile;
        if (p && !validType(p.type)) {
          bad.push(c.name);
          badValues.add(p.type ?? '');
        }
      }
      const who = setters(podBad, bad);
      const annotations = Object.entries((meta.annotations ?? {}) as Record<string, string>)
        .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !(v === 'runtime/default' || v.startsWith('localhost/')))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .sort();
      const values = [...sortedUnique(badValues), ...annotations];
      if (annotations.length) who.push(pluralize('annotation', 'annotations', annotations.length));
      if (!who.length) return undefined;
      return { reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length), detail: values.join(', ') };
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run(_meta, spec) {
      const bad: string[] = [];
      const caps = new Set<string>();
      for (const c of containers(spec)) {
        let valid = true;
        for (const cap of sc(c)?.capabilities?.add ?? []) {
          if (!ALLOWED_CAPABILITIES.has(cap)) {
            valid = false;
            caps.add(cap);
          }
        }
        if (!valid) bad.push(c.name);
      }
      if (!bad.length) return undefined;
      return {
        reason: 'non-default capabilities',
        detail: `${containersPhrase(bad)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`,
      };
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run(_meta, spec) {
      const host = [spec.hostNetwork && 'hostNetwork=true', spec.hostPID && 'hostPID=true', spec.hostIPC && 'hostIPC=true'].filter((x): x is string => !!x);
      return host.length ? { reason: 'host namespaces', detail: host.join(', ') } : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run(_meta, spec) {
      const bad = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
      return bad.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}` } : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run(_meta, spec) {
      const bad: string[] = [];
      const ports = new Set<string>();
      for (const c of containers(spec)) {
        const hostPorts = (c.ports ?? []).filter((p) => p.hostPort);
        for (const p of hostPorts) ports.add(String(p.hostPort));
        if (hostPorts.length) bad.push(c.name);
      }
      if (!bad.length) return undefined;
      return {
        reason: 'hostPort',
        detail: `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} ${sortedUnique(ports).join(', ')}`,
      };
    },
  },
  {
    id: 'hostProcess',
    level: 'baseline',
    run(_meta, spec) {
      const podBad = spec.securityContext?.windowsOptions?.hostProcess === true;
      const bad = containers(spec)
        .filter((c) => sc(c)?.windowsOptions?.hostProcess === true)
        .map((c) => c.name);
      const who = setters(podBad, bad);
      return who.length ? { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run(_meta, spec) {
      const bad = containers(spec)
        .filter((c) => sc(c)?.privileged === true)
        .map((c) => c.name);
      return bad.length ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run(_meta, spec) {
      const bad: string[] = [];
      const types = new Set<string>();
      for (const c of containers(spec)) {
        const pm = sc(c)?.procMount;
        if (pm !== undefined && pm !== 'Default') {
          bad.push(c.name);
          types.add(pm);
        }
      }
      return bad.length
        ? { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedUnique(types))}` }
        : undefined;
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run(_meta, spec) {
      const badTypes = new Set<string>();
      let user = false;
      let role = false;
      const valid = (o: { type?: string; user?: string; role?: string }) => {
        let ok = true;
        if (!ALLOWED_SELINUX_TYPES.has(o.type ?? '')) {
          ok = false;
          badTypes.add(o.type ?? '');
        }
        if (o.user) {
          ok = false;
          user = true;
        }
        if (o.role) {
          ok = false;
          role = true;
        }
        return ok;
      };
      const podOpts = spec.securityContext?.seLinuxOptions;
      const podBad = !!podOpts && !valid(podOpts);
      const bad = containers(spec)
        .filter((c) => {
          const o = sc(c)?.seLinuxOptions;
          return !!o && !valid(o);
        })
        .map((c) => c.name);
      const who = setters(podBad, bad);
      if (!who.length) return undefined;
      const data: string[] = [];
      if (badTypes.size) data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sortedUnique(badTypes))}`);
      if (user) data.push('user may not be set');
      if (role) data.push('role may not be set');
      return { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run(_meta, spec) {
      const values = new Set<string>();
      const podType = spec.securityContext?.seccompProfile?.type;
      const podBad = !!spec.securityContext?.seccompProfile && podType === 'Unconfined';
      if (podBad) values.add(podType!);
      const bad: string[] = [];
      for (const c of containers(spec)) {
        const t = sc(c)?.seccompProfile?.type;
        if (sc(c)?.seccompProfile && t === 'Unconfined') {
          bad.push(c.name);
          values.add(t);
        }
      }
      const who = setters(podBad, bad);
      return who.length
        ? { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}` }
        : undefined;
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run(_meta, spec) {
      const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !ALLOWED_SYSCTLS.has(n));
      return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run(_meta, spec) {
      if (isWindows(spec)) return undefined;
      const bad = containers(spec)
        .filter((c) => sc(c)?.allowPrivilegeEscalation !== false)
        .map((c) => c.name);
      return bad.length
        ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` }
        : undefined;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: ['capabilities_baseline'],
    run(_meta, spec) {
      if (isWindows(spec)) return undefined;
      const missingDrop: string[] = [];
      const adding: string[] = [];
      const caps = new Set<string>();
      for (const c of containers(spec)) {
        const k = sc(c)?.capabilities;
        if (!k) {
          missingDrop.push(c.name);
          continue;
        }
        if (!(k.drop ?? []).includes('ALL')) missingDrop.push(c.name);
        const forbidden = (k.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
        for (const cap of forbidden) caps.add(cap);
        if (forbidden.length) adding.push(c.name);
      }
      const details: string[] = [];
      if (missingDrop.length) details.push(`${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (adding.length) details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`);
      return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    overrides: ['hostPathVolumes'],
    run(_meta, spec) {
      const bad: string[] = [];
      const types = new Set<string>();
      for (const v of spec.volumes ?? []) {
        const keys = Object.keys(v).filter((k) => k !== 'name' && (v as unknown as Record<string, unknown>)[k] != null);
        if (keys.some((k) => ALLOWED_VOLUME_TYPES.has(k))) continue;
        bad.push(v.name);
        types.add(KNOWN_VOLUME_TYPES.find((t) => keys.includes(t)) ?? 'unknown');
      }
      if (!bad.length) return undefined;
      return {
        reason: 'restricted volume types',
        detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote(sortedUnique(types))}`,
      };
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run(_meta, spec) {
      const podValue = spec.securityContext?.runAsNonRoot;
      const podBad = podValue === false;
      const podSet = podValue === true;
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of containers(spec)) {
        const v = sc(c)?.runAsNonRoot;
        if (v !== undefined && v !== null) {
          if (!v) explicit.push(c.name);
        } else if (!podSet) implicit.push(c.name);
      }
      const who = setters(podBad, explicit);
      if (who.length) return { reason: 'runAsNonRoot != true', detail: `${who.join(' and ')} must not set securityContext.runAsNonRoot=false` };
      if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
      return undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run(_meta, spec) {
      const podBad = spec.securityContext?.runAsUser === 0;
      const bad = containers(spec)
        .filter((c) => sc(c)?.runAsUser === 0)
        .map((c) => c.name);
      const who = setters(podBad, bad);
      return who.length ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: ['seccompProfile_baseline'],
    run(_meta, spec) {
      if (isWindows(spec)) return undefined;
      const values = new Set<string>();
      const podProfile = spec.securityContext?.seccompProfile;
      const podBad = !!podProfile && !validSeccomp(podProfile.type);
      if (podBad) values.add(podProfile!.type ?? '');
      const podSet = !!podProfile && !podBad;
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of containers(spec)) {
        const p = sc(c)?.seccompProfile;
        if (p) {
          if (!validSeccomp(p.type)) {
            explicit.push(c.name);
            values.add(p.type ?? '');
          }
        } else if (!podSet) implicit.push(c.name);
      }
      const who = setters(podBad, explicit);
      if (who.length)
        return {
          reason: 'seccompProfile',
          detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}`,
        };
      if (implicit.length)
        return {
          reason: 'seccompProfile',
          detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
        };
      return undefined;
    },
  },
];

const byId = (a: Check, b: Check) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const BASELINE = CHECKS.filter((c) => c.level === 'baseline').sort(byId);
const RESTRICTED_ONLY = CHECKS.filter((c) => c.level === 'restricted').sort(byId);
const OVERRIDDEN = new Set(RESTRICTED_ONLY.flatMap((c) => c.overrides ?? []));
const RESTRICTED = [...BASELINE.filter((c) => !OVERRIDDEN.has(c.id)), ...RESTRICTED_ONLY];

/** What the pod does that the level forbids, in upstream's order; empty when allowed. */
export function evaluatePod(level: Level, meta: ObjectMeta, spec: PodSpec): CheckResult[] {
  if (level === 'privileged') return [];
  const checks = level === 'baseline' ? BASELINE : RESTRICTED;
  return checks.map((c) => c.run(meta, spec)).filter((r): r is CheckResult => !!r);
}

/** Upstream's aggregate: `reason (detail), reason (detail)`. */
export function forbiddenDetail(results: CheckResult[]): string {
  return results.map((r) => (r.detail ? `${r.reason} (${r.detail})` : r.reason)).join(', ');
}

/** Only the reasons: `privileged, runAsNonRoot != true`. */
export function forbiddenReasons(results: CheckResult[]): string {
  return results.map((r) => r.reason).join(', ');
}
