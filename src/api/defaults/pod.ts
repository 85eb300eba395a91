// Pod defaulting as upstream's SetDefaults_* for core/v1, the service account name (upstream's
// ServiceAccount admission; the token volume is the plugin's), and the QoS class.
import type { Container, PodSpec, Probe, Volume } from 'kubernetes-types/core/v1';
import { Quantity } from '../quantity.js';

type Any = Record<string, any>;

/** Always for `:latest` or an untagged image, IfNotPresent for anything else (digests too). */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ||= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(c: Container): void {
  const m = c as Any;
  m.imagePullPolicy ??= defaultPullPolicy(c.image);
  m.terminationMessagePath ??= '/dev/termination-log';
  m.terminationMessagePolicy ??= 'File';
  m.resources ??= {};
  // Requests default to limits for every resource that has a limit but no request.
  const limits = m.resources.limits as Record<string, string> | undefined;
  if (limits && Object.keys(limits).length) {
    m.resources.requests ??= {};
    for (const [k, v] of Object.entries(limits)) m.resources.requests[k] ??= v;
  }
  for (const port of c.ports ?? []) (port as Any).protocol ??= 'TCP';
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) (e.valueFrom.fieldRef as Any).apiVersion ??= 'v1';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

function defaultVolume(v: Volume): void {
  const m = v as Any;
  const sources = Object.keys(m).filter((k) => k !== 'name');
  if (sources.length === 0) m.emptyDir = {};
  if (m.configMap) m.configMap.defaultMode ??= 420;
  if (m.secret) m.secret.defaultMode ??= 420;
  if (m.downwardAPI) {
    m.downwardAPI.defaultMode ??= 420;
    for (const item of m.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ??= 'v1';
  }
  if (m.projected) m.projected.defaultMode ??= 420;
  if (m.hostPath) m.hostPath.type ??= '';
}

/** Defaults of a PodSpec, shared by pods and the templates of workloads. */
export function defaultPodSpec(spec: PodSpec): void {
  const s = spec as Any;
  s.restartPolicy ??= 'Always';
  s.terminationGracePeriodSeconds ??= 30;
  s.dnsPolicy ??= 'ClusterFirst';
  s.securityContext ??= {};
  s.schedulerName ??= 'default-scheduler';
  s.enableServiceLinks ??= true;
  if (s.hostNetwork) for (const c of s.containers ?? []) for (const p of c.ports ?? []) p.hostPort ??= p.containerPort;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/** A workload's pod template gets the pod spec's defaults (ReplicaSet, Deployment, ...). */
export function defaultPodTemplate(spec: Any): void {
  spec.template ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

/** Upstream's QoS classes: Guaranteed, Burstable or BestEffort from requests and limits. */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const supported = ['cpu', 'memory'];
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const [k, v] of Object.entries(req)) {
      const q = Quantity.tryParse(String(v));
      if (!supported.includes(k) || !q || q.isZero()) continue;
      requests.set(k, (requests.get(k) ?? Quantity.fromInt(0)).add(q));
    }
    const seen = new Set<string>();
    for (const [k, v] of Object.entries(lim)) {
      const q = Quantity.tryParse(String(v));
      if (!supported.includes(k) || !q || q.isZero()) continue;
      seen.add(k);
      limits.set(k, (limits.get(k) ?? Quantity.fromInt(0)).add(q));
    }
    if (!supported.every((k) => seen.has(k))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, r] of requests) {
      const l = limits.get(k);
      if (!l || l.cmp(r) !== 0) return 'Burstable';
    }
    return 'Guaranteed';
  }
  return 'Burstable';
}

export function defaultPod(obj: Any): void {
  const spec = (obj.spec ??= {}) as PodSpec;
  defaultPodSpec(spec);
  const s = spec as Any;
  // The ServiceAccount admission plugin: every pod runs as a service account, except a node's
  // mirror pods, which may reference no object at all (upstream's plugin skips them).
  if (!(obj.metadata?.annotations && 'kubernetes.io/config.mirror' in obj.metadata.annotations)) {
    s.serviceAccountName ??= s.serviceAccount ?? 'default';
    s.serviceAccount = s.serviceAccountName;
  }
  const status = (obj.status ??= {});
  status.phase ??= 'Pending';
  status.qosClass ??= qosClass(spec);
}
