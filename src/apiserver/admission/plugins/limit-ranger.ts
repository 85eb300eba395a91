// LimitRanger (upstream's plugin/pkg/admission/limitranger): the namespace's LimitRanges give
// containers their default requests and limits (mutating), then bound what pods, containers
// and claims ask for: min, max and maxLimitRequestRatio (validating), with upstream's messages.
// Pod updates are left alone as upstream's: containers' resources cannot change on update.
import type { Container, LimitRange, LimitRangeItem, Pod } from 'kubernetes-types/core/v1';
import { containerResources, podResources, type ResourceTotals } from '../../../api/pod-resources.js';
import { Quantity } from '../../../api/quantity.js';
import { forbidden } from '../../errors.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

const ANNOTATION = 'kubernetes.io/limit-ranger';
type List = Record<string, string>;

const limitRangesOf = (a: AdmissionAttributes) => a.lookups.list('limitranges', a.namespace) as unknown as LimitRange[];
const items = (lr: LimitRange, type: string): LimitRangeItem[] => (lr.spec?.limits ?? []).filter((i) => i.type === type);
const sortedEntries = (l: Record<string, unknown> | undefined) => Object.entries(l ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

/** Sets what the container lacks from the defaults; returns the annotation parts, as upstream's mergeContainerResources. */
function mergeDefaults(c: Container, limits: List, requests: List, what: string): string[] {
  const res = (c.resources ??= {});
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(limits)) {
    const l = (res.limits ??= {}) as List;
    if (!(k in l)) {
      l[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(requests)) {
    const r = (res.requests ??= {}) as List;
    if (!(k in r)) {
      r[k] = v;
      setRequests.push(k);
    }
  }
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name}`);
  return out;
}

function mutatePod(pod: Pod, lr: LimitRange): void {
  const limits: List = {};
  const requests: List = {};
  for (const item of items(lr, 'Container')) {
    Object.assign(limits, item.default);
    Object.assign(requests, item.defaultRequest);
  }
  if (!Object.keys(limits).length && !Object.keys(requests).length) return;
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) notes.push(...mergeDefaults(c, limits, requests, 'container'));
  for (const c of pod.spec?.initContainers ?? []) notes.push(...mergeDefaults(c, limits, requests, 'init container'));
  if (notes.length) (pod.metadata!.annotations ??= {})[ANNOTATION] = 'LimitRanger plugin set: ' + notes.join('; ');
}

// The constraints, each upstream's function of the same name and its message.
function minConstraint(type: string, name: string, enforced: Quantity, req: ResourceTotals, lim: ResourceTotals): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  if (!r) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (r.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${r}`;
  if (l && l.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${l}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, req: ResourceTotals, lim: ResourceTotals): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  if (!l) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (l.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${l}`;
  if (r && r.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${r}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: Quantity, req: ResourceTotals): string | undefined {
  const r = req.get(name);
  if (!r) return `maximum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (r.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${r}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Quantity, req: ResourceTotals, lim: ResourceTotals): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const prefix = `${name} max limit to request ratio per ${type} is ${enforced}`;
  if (!r || r.isZero()) return `${prefix}, but no request is specified or request is 0`;
  if (!l || l.isZero()) return `${prefix}, but no limit is specified or limit is 0`;
  const ratio = l.milliValue() / r.milliValue();
  if (ratio * 1000 > enforced.milliValue()) return `${prefix}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

/** Checks requests and limits against one item's min, max and ratio. */
function checkItem(item: LimitRangeItem, req: ResourceTotals, lim: ResourceTotals, out: string[]): void {
  const type = item.type;
  const each = (l: Record<string, unknown> | undefined, f: (name: string, q: Quantity) => string | undefined) => {
    for (const [k, v] of sortedEntries(l)) {
      const q = Quantity.tryParse(String(v));
      const err = q && f(k, q);
      if (err) out.push(err);
    }
  };
  each(item.min, (k, q) => minConstraint(type, k, q, req, lim));
  each(item.max, (k, q) => maxConstraint(type, k, q, req, lim));
  each(item.maxLimitRequestRatio, (k, q) => ratioConstraint(type, k, q, req, lim));
}

export function podLimitErrors(pod: Pod, lr: LimitRange): string[] {
  const out: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkItem(item, containerResources(c, 'requests'), containerResources(c, 'limits'), out);
      }
    } else if (item.type === 'Pod') {
      checkItem(item, podResources(pod, 'requests'), podResources(pod, 'limits'), out);
    }
  }
  return out;
}

/** A claim's requests against the PersistentVolumeClaim items (its limits are not user input). */
export function claimLimitErrors(claim: { spec?: { resources?: { requests?: Record<string, unknown> } } }, lr: LimitRange): string[] {
  const out: string[] = [];
  const req: ResourceTotals = new Map();
  for (const [k, v] of Object.entries(claim.spec?.resources?.requests ?? {})) {
    const q = Quantity.tryParse(String(v));
    if (q) req.set(k, q);
  }
  for (const item of items(lr, 'PersistentVolumeClaim')) {
    for (const [k, v] of sortedEntries(item.min)) {
      const err = minConstraint(item.type, k, Quantity.parse(String(v)), req, new Map());
      if (err) out.push(err);
    }
    for (const [k, v] of sortedEntries(item.max)) {
      const err = maxRequestConstraint(item.type, k, Quantity.parse(String(v)), req);
      if (err) out.push(err);
    }
  }
  return out;
}

/** Upstream's utilerrors aggregate: one message as is, several deduplicated in brackets. */
export function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

const isPod = (a: AdmissionAttributes) => a.resource.key === 'pods';

export const limitRanger: AdmissionPlugin = {
  name: 'LimitRanger',
  handles: (a) =>
    a.subresource === '' &&
    (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
    ((isPod(a) && a.operation === 'CREATE') || a.resource.key === 'persistentvolumeclaims'),
  admit(a) {
    if (!isPod(a)) return;
    for (const lr of limitRangesOf(a)) mutatePod(a.object as unknown as Pod, lr);
  },
  validate(a) {
    for (const lr of limitRangesOf(a)) {
      const errs = isPod(a) ? podLimitErrors(a.object as unknown as Pod, lr) : claimLimitErrors(a.object as never, lr);
      if (errs.length) throw forbidden(a.resource, a.name, aggregate(errs));
    }
  },
};
