// ResourceQuota (upstream's k8s.io/apiserver/pkg/admission/plugin/resourcequota): a create (or
// a service's or claim's update that costs more) in a namespace with quotas is measured (api/quota/usage.ts)
// against each quota that tracks it; over any quota it is refused with upstream's message,
// otherwise the usage is charged to the quotas' status.used at once, by compare-and-swap on the
// stored quota, so two concurrent creates cannot both take the last unit: the loser re-reads
// and is measured again. (The quota controller later recalculates status.used from what exists.)
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1';
import { podConstraintError, parseList, prettyPrint, quotaMatches, toList, tracks, usageOf, type Usage } from '../../../api/quota/usage.js';
import { Quantity } from '../../../api/quantity.js';
import { ConflictError } from '../../../storage/store.js';
import { forbidden } from '../../errors.js';
import { collectionPrefix } from '../../storage-keys.js';
import { decodeObject, encode } from '../../stored-form.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';
import { resourceByKey } from '../../../registry/index.js';

const MAX_ATTEMPTS = 10;
const UPDATE_CHARGED = new Set(['services', 'persistentvolumeclaims']);

interface StoredQuota {
  key: string;
  quota: ResourceQuota;
  modRevision: number;
}

async function readQuotas(a: AdmissionAttributes): Promise<StoredQuota[]> {
  const { items } = await a.env.store.list(collectionPrefix(resourceByKey('resourcequotas'), a.namespace));
  return items.map((kv) => ({ key: kv.key, quota: decodeObject(kv.value, kv.modRevision) as unknown as ResourceQuota, modRevision: kv.modRevision }));
}

/** The request's usage: the object's, less the old object's on update; zeros dropped. */
function requestUsage(a: AdmissionAttributes): Usage {
  const { plural, group } = a.resource;
  const usage = usageOf(plural, group, a.object!);
  if (a.operation === 'UPDATE' && a.oldObject?.metadata.resourceVersion) {
    const before = usageOf(plural, group, a.oldObject);
    for (const [k, q] of usage) {
      const prev = before.get(k);
      const delta = prev ? q.sub(prev) : q;
      usage.set(k, delta.sign() > 0 ? delta : Quantity.fromInt(0));
    }
  }
  for (const [k, q] of usage) if (q.isZero()) usage.delete(k);
  return usage;
}

function mask(u: Usage, names: Iterable<string>): Usage {
  const out: Usage = new Map();
  for (const n of names) {
    const q = u.get(n);
    if (q) out.set(n, q);
  }
  return out;
}

/**
 * Checks the request against the quotas; returns each matching quota's new status.used
 * (those in `charged` already hold this request's usage and are left out). Throws Forbidden.
 */
function evaluate(a: AdmissionAttributes, quotas: StoredQuota[], charged: Set<string>): Array<{ q: StoredQuota; used: Usage }> {
  const { plural, group } = a.resource;
  const obj = a.object!;
  const matching: StoredQuota[] = [];
  for (const sq of quotas) {
    const q = sq.quota;
    if (!quotaMatches(q, plural, group, obj)) continue;
    const hard = Object.keys(q.status?.hard ?? {});
    const restricted = hard.filter((n) => tracks(plural, group, n));
    if (plural === 'pods' && !group) {
      const err = podConstraintError(obj as unknown as Pod, restricted);
      if (err) throw forbidden(a.resource, a.name, `failed quota: ${q.metadata!.name}: ${err}`);
    }
    const unknown = restricted.filter((n) => !(n in (q.status?.used ?? {})));
    if (unknown.length) throw forbidden(a.resource, a.name, `status unknown for quota: ${q.metadata!.name}, resources: ${unknown.sort().join(',')}`);
    matching.push(sq);
  }
  if (!matching.length) return [];
  const delta = requestUsage(a);
  if (!delta.size) return [];
  const out: Array<{ q: StoredQuota; used: Usage }> = [];
  for (const sq of matching) {
    if (charged.has(sq.key)) continue;
    const hard = parseList(sq.quota.status?.hard);
    const used = parseList(sq.quota.status?.used);
    const requested = mask(delta, hard.keys());
    if (!requested.size) continue;
    const exceeded: string[] = [];
    const next = new Map(used);
    for (const [k, q] of requested) {
      const total = used.get(k)?.add(q) ?? q;
      next.set(k, total);
      if (total.cmp(hard.get(k)!) > 0) exceeded.push(k);
    }
    if (exceeded.length) {
      throw forbidden(
        a.resource,
        a.name,
        `exceeded quota: ${sq.quota.metadata!.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
      );
    }
    out.push({ q: sq, used: next });
  }
  return out;
}

/** Writes the quota's new usage unless it changed since it was read (then ConflictError). */
async function charge(a: AdmissionAttributes, sq: StoredQuota, used: Usage): Promise<void> {
  const q = structuredClone(sq.quota) as ResourceQuota & { metadata: { resourceVersion?: string } };
  q.status = { ...q.status, used: toList(used) };
  await a.env.store.update(sq.key, encode(q as never), sq.modRevision);
}

export const resourceQuota: AdmissionPlugin = {
  name: 'ResourceQuota',
  // Updates cost more only for services (type, ports) and claims (size), as upstream's
  // evaluators handle them; other kinds are charged on create alone.
  handles: (a) =>
    a.subresource === '' &&
    a.resource.namespaced &&
    !!a.object &&
    (a.operation === 'CREATE' || (a.operation === 'UPDATE' && UPDATE_CHARGED.has(a.resource.key))),
  async validate(a) {
    // The common case costs one cache look-up: no quota in the namespace tracks this resource.
    const { plural, group } = a.resource;
    const cached = a.lookups.list('resourcequotas', a.namespace) as unknown as ResourceQuota[];
    if (!cached.some((q) => Object.keys({ ...q.spec?.hard, ...q.status?.hard }).some((n) => tracks(plural, group, n)))) return;
    const charged = new Set<string>();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const updates = evaluate(a, await readQuotas(a), charged);
      if (a.dryRun || !updates.length) return;
      try {
        for (const { q, used } of updates) {
          await charge(a, q, used);
          charged.add(q.key);
        }
        return;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    throw forbidden(a.resource, a.name, "unable to charge the namespace's quotas: too many concurrent changes; try again");
  },
};
