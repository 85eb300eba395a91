// What an object costs against a ResourceQuota, as upstream's quota evaluators
// (pkg/quota/v1/evaluator/core and k8s.io/apiserver/pkg/quota/v1/generic): object counts
// (`pods`, `services`, `count/<resource>.<group>`), pods' compute resources, services' load
// balancers and node ports, claims' storage; and which pods a scoped quota tracks. The
// ResourceQuota admission plugin charges with it, the quota controller recalculates with it.
import type { Pod, ResourceQuota, ScopedResourceSelectorRequirement, Service } from 'kubernetes-types/core/v1';
import type { KObject } from '../object.js';
import { qosClass } from '../defaults/pod.js';
import { podResources } from '../pod-resources.js';
import { Quantity } from '../quantity.js';

export type Usage = Map<string, Quantity>;

const ONE = Quantity.fromInt(1);

/** The quota name counting objects of a resource: `count/pods`, `count/deployments.apps`. */
export const countName = (plural: string, group: string) => `count/${group ? `${plural}.${group}` : plural}`;

/** Resources whose objects also have a bare count name (upstream's legacy object counts). */
const LEGACY_COUNTS = new Set(['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas']);

const POD_COMPUTE = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);
const POD_RESOURCES = new Set(['pods', ...POD_COMPUTE, 'ephemeral-storage', 'requests.ephemeral-storage', 'limits.ephemeral-storage']);

function isExtended(name: string): boolean {
  return name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.') && !name.startsWith('count/');
}

/** Whether the quota resource name `name` is one this resource's usage can have. */
export function tracks(plural: string, group: string, name: string): boolean {
  if (name === countName(plural, group)) return true;
  if (!group && LEGACY_COUNTS.has(plural) && name === plural) return true;
  if (plural === 'pods' && !group)
    return (
      POD_RESOURCES.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || (name.startsWith('requests.') && name.includes('/'))
    );
  if (plural === 'services' && !group) return name === 'services.loadbalancers' || name === 'services.nodeports';
  if (plural === 'persistentvolumeclaims' && !group) return name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/');
  return false;
}

/** Whether a pod is still charged for its compute resources (upstream's QuotaV1Pod). */
export function podCounts(pod: Pod, now = Date.now()): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const meta = pod.metadata;
  if (meta?.deletionTimestamp && meta.deletionGracePeriodSeconds !== undefined) {
    if (now > Date.parse(meta.deletionTimestamp) + meta.deletionGracePeriodSeconds * 1000) return false;
  }
  return true;
}

function podUsage(pod: Pod, now: number): Usage {
  const u: Usage = new Map([['count/pods', ONE]]);
  if (!podCounts(pod, now)) return u;
  u.set('pods', ONE);
  const requests = podResources(pod, 'requests');
  const limits = podResources(pod, 'limits');
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      u.set(r, req);
      u.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) u.set(`limits.${r}`, lim);
  }
  for (const [r, q] of requests) {
    if (r.startsWith('hugepages-')) {
      u.set(r, q);
      u.set(`requests.${r}`, q);
    } else if (isExtended(r)) u.set(`requests.${r}`, q);
  }
  return u;
}

function serviceUsage(svc: Service): Usage {
  const u: Usage = new Map([
    ['services', ONE],
    ['count/services', ONE],
  ]);
  const type = svc.spec?.type;
  if (type === 'LoadBalancer') u.set('services.loadbalancers', ONE);
  if (type === 'NodePort' || type === 'LoadBalancer') u.set('services.nodeports', Quantity.fromInt(svc.spec?.ports?.length ?? 0));
  return u;
}

function claimUsage(claim: KObject): Usage {
  const u: Usage = new Map([
    ['persistentvolumeclaims', ONE],
    ['count/persistentvolumeclaims', ONE],
  ]);
  const spec = claim.spec as { storageClassName?: string; resources?: { requests?: Record<string, string> } } | undefined;
  const storage = Quantity.tryParse(String(spec?.resources?.requests?.storage ?? ''));
  if (storage) u.set('requests.storage', storage);
  if (spec?.storageClassName) {
    u.set(`${spec.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
    if (storage) u.set(`${spec.storageClassName}.storageclass.storage.k8s.io/requests.storage`, storage);
  }
  return u;
}

/** The usage of one object of a resource (plural, group). */
export function usageOf(plural: string, group: string, obj: KObject, now = Date.now()): Usage {
  if (!group && plural === 'pods') return podUsage(obj as unknown as Pod, now);
  if (!group && plural === 'services') return serviceUsage(obj as unknown as Service);
  if (!group && plural === 'persistentvolumeclaims') return claimUsage(obj);
  const u: Usage = new Map([[countName(plural, group), ONE]]);
  if (!group && LEGACY_COUNTS.has(plural)) u.set(plural, ONE);
  return u;
}

/** A quota's scopes as selector requirements: spec.scopes (Exists) and spec.scopeSelector. */
export function scopeSelectors(q: ResourceQuota): ScopedResourceSelectorRequirement[] {
  return [...(q.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })), ...(q.spec?.scopeSelector?.matchExpressions ?? [])];
}

function podMatchesScope(pod: Pod, s: ScopedResourceSelectorRequirement): boolean {
  const terminating = pod.spec?.activeDeadlineSeconds !== undefined && pod.spec.activeDeadlineSeconds >= 0;
  switch (s.scopeName) {
    case 'Terminating':
      return terminating;
    case 'NotTerminating':
      return !terminating;
    case 'BestEffort':
      return qosClass(pod.spec ?? { containers: [] }) === 'BestEffort';
    case 'NotBestEffort':
      return qosClass(pod.spec ?? { containers: [] }) !== 'BestEffort';
    case 'PriorityClass': {
      const pc = pod.spec?.priorityClassName ?? '';
      if (s.operator === 'Exists') return pc !== '';
      if (s.operator === 'DoesNotExist') return pc === '';
      if (s.operator === 'In') return (s.values ?? []).includes(pc);
      if (s.operator === 'NotIn') return !(s.values ?? []).includes(pc);
      return false;
    }
    default:
      return false;
  }
}

/**
 * Whether a quota tracks an object: it limits some resource the object's kind has, and every
 * scope matches (only pods match scopes, as upstream's object count evaluators match none).
 */
export function quotaMatches(q: ResourceQuota, plural: string, group: string, obj: KObject): boolean {
  const hard = Object.keys(q.status?.hard ?? {});
  if (!hard.some((n) => tracks(plural, group, n))) return false;
  const scopes = scopeSelectors(q);
  if (!scopes.length) return true;
  if (plural !== 'pods' || group) return false;
  return scopes.every((s) => podMatchesScope(obj as unknown as Pod, s));
}

/** Upstream's pod Constraints: with compute resources quota'd, each container must state them. */
export function podConstraintError(pod: Pod, hard: string[]): string | undefined {
  const required = hard.filter((n) => POD_COMPUTE.has(n));
  if (!required.length) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const has = new Set<string>();
    for (const r of Object.keys(c.resources?.requests ?? {})) if (r === 'cpu' || r === 'memory') has.add(r).add(`requests.${r}`);
    for (const r of Object.keys(c.resources?.limits ?? {})) if (r === 'cpu' || r === 'memory') has.add(`limits.${r}`);
    for (const r of required) if (!has.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name);
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/** Upstream's prettyPrint of a resource list: `pods=1,requests.cpu=500m`, sorted. */
export function prettyPrint(u: Usage): string {
  return [...u.keys()]
    .sort()
    .map((k) => `${k}=${u.get(k)}`)
    .join(',');
}

export function parseList(l: Record<string, unknown> | undefined): Usage {
  const u: Usage = new Map();
  for (const [k, v] of Object.entries(l ?? {})) {
    const q = Quantity.tryParse(String(v));
    if (q) u.set(k, q);
  }
  return u;
}

export function toList(u: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...u.keys()].sort()) out[k] = u.get(k)!.toString();
  return out;
}

export function addUsage(into: Usage, more: Usage): void {
  for (const [k, q] of more) into.set(k, into.get(k)?.add(q) ?? q);
}
