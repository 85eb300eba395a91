// The ResourceQuota controller, as upstream's pkg/controller/resourcequota: keeps each quota's
// status.hard (its spec.hard) and status.used (recalculated from what exists in the namespace,
// with api/quota/usage.ts, as admission charges) current. It recalculates a quota when its spec
// changes, when an object it tracks is deleted or stops counting (a pod finished, a service's
// type changed), and every resync period; not on creates, which admission has charged already
// (recalculating from a cache that has not seen them yet would undo the charge).
import type { Pod, ResourceQuota, Service } from 'kubernetes-types/core/v1';
import {
  byNamespace,
  isConflict,
  NAMESPACE_INDEX,
  resources,
  runWorkers,
  WorkQueue,
  type GroupVersionResource,
  type Informer,
  type KubeObject,
  type RestClient,
} from '../../client/index.js';
import { deepEqual, type KObject } from '../../api/object.js';
import { addUsage, podCounts, quotaMatches, toList, tracks, usageOf, type Usage } from '../../api/quota/usage.js';
import { Quantity } from '../../api/quantity.js';
import type { Controller, ControllerContext } from '../context.js';

const RESOURCE_QUOTAS: GroupVersionResource = { group: '', version: 'v1', resource: 'resourcequotas' };

export interface ResourceQuotaControllerOptions {
  /** How often every quota is recalculated (upstream --resource-quota-sync-period: 5 min). */
  resyncMs?: number;
}

/** The kinds whose objects the controller watches; other `count/...` resources are listed when needed. */
const WATCHED = [resources.pods, resources.services, resources.configmaps, resources.secrets] as const;

/** A quota's status as it should be, given the objects of each tracked resource. */
export function quotaStatus(q: ResourceQuota, objectsOf: (plural: string, group: string) => KObject[] | undefined): ResourceQuota['status'] {
  const hardList = { ...(q.spec?.hard ?? {}) };
  const hard = Object.keys(hardList);
  // Matching reads status.hard, which is what the quota is becoming.
  const asSynced: ResourceQuota = { ...q, status: { hard: hardList } };
  const used: Usage = new Map(hard.map((n) => [n, Quantity.fromInt(0)]));
  const kinds = new Map<string, [string, string]>();
  for (const n of hard) {
    const kind = trackingKind(n);
    if (kind) kinds.set(kind.join('/'), kind);
  }
  for (const [plural, group] of kinds.values()) {
    for (const o of objectsOf(plural, group) ?? []) {
      if (!quotaMatches(asSynced, plural, group, o)) continue;
      const u = usageOf(plural, group, o);
      for (const k of [...u.keys()]) if (!hard.includes(k)) u.delete(k);
      addUsage(used, u);
    }
  }
  return { hard: hardList, used: toList(used) };
}

/** Which resource (plural, group) a quota resource name counts. */
export function trackingKind(name: string): [string, string] | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    return dot < 0 ? [rest, ''] : [rest.slice(0, dot), rest.slice(dot + 1)];
  }
  for (const plural of ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas']) {
    if (tracks(plural, '', name)) return [plural, ''];
  }
  return undefined;
}

export function newResourceQuotaController(ctx: ControllerContext, opts: ResourceQuotaControllerOptions = {}): Controller {
  const client: RestClient = ctx.client;
  const log = (m: string) => ctx.log(`resourcequota-controller: ${m}`);
  const byNs = { [NAMESPACE_INDEX]: byNamespace };
  const quotas = ctx.informers.for<ResourceQuota & KubeObject>(RESOURCE_QUOTAS, byNs);
  const informers = new Map<string, Informer<KubeObject>>(WATCHED.map((gvr) => [gvr.resource, ctx.informers.for<KubeObject>(gvr, byNs)]));
  const queue = new WorkQueue<string>({ name: 'resourcequota' });
  const preferredVersions = new Map<string, string>();

  const enqueueNamespace = (ns: string | undefined) => {
    if (!ns) return;
    for (const q of quotas.byIndex(NAMESPACE_INDEX, ns)) queue.add(`${ns}/${q.metadata!.name}`);
  };
  const enqueue = (q: KubeObject) => queue.add(`${q.metadata!.namespace}/${q.metadata!.name}`);
  quotas.addEventHandler({
    onAdd: enqueue,
    // Only a spec change (or a status not yet in step with it): status writes, admission's
    // charges among them, need no recalculation.
    onUpdate: (old, q) => {
      if (!deepEqual(old.spec, q.spec) || !deepEqual(q.spec?.hard ?? {}, q.status?.hard ?? {})) enqueue(q);
    },
  });
  // Replenishment: what releases usage. Creates were charged by admission.
  for (const [plural, inf] of informers) {
    inf.addEventHandler({
      onDelete: (o) => enqueueNamespace(o.metadata?.namespace),
      onUpdate: (old, o) => {
        if (plural === 'pods' && podCounts(old as Pod) !== podCounts(o as Pod)) enqueueNamespace(o.metadata?.namespace);
        if (plural === 'services' && (old as Service).spec?.type !== (o as Service).spec?.type) enqueueNamespace(o.metadata?.namespace);
      },
    });
  }

  const preferredVersion = async (group: string): Promise<string | undefined> => {
    if (!group) return 'v1';
    let v = preferredVersions.get(group);
    if (!v) {
      const g = await client.request<{ preferredVersion?: { version?: string } }>('GET', `/apis/${group}`).catch(() => undefined);
      v = g?.preferredVersion?.version;
      if (v) preferredVersions.set(group, v);
    }
    return v;
  };

  const sync = async (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const q = quotas.get(ns, name) as ResourceQuota | undefined;
    if (!q) return;
    // Objects of kinds the controller does not watch are listed now, as upstream's quota monitor would list them.
    const listed = new Map<string, KObject[]>();
    for (const n of Object.keys(q.spec?.hard ?? {})) {
      const kind = trackingKind(n);
      if (!kind || (!kind[1] && informers.has(kind[0]))) continue;
      const version = await preferredVersion(kind[1]);
      if (!version) continue;
      const list = await client.list<KObject>({ group: kind[1], version, resource: kind[0], namespace: ns }).catch(() => undefined);
      if (list) listed.set(kind.join('/'), list.items);
    }
    const status = quotaStatus(q, (plural, group) => {
      const inf = !group ? informers.get(plural) : undefined;
      return inf ? (inf.byIndex(NAMESPACE_INDEX, ns) as KObject[]) : listed.get(`${plural}/${group}`);
    });
    if (deepEqual(status, q.status)) return;
    try {
      await client.updateStatus(RESOURCE_QUOTAS, { ...(q as KubeObject), status } as KubeObject);
    } catch (e) {
      // Charged by admission meanwhile: recalculate from the new version.
      if (isConflict(e)) queue.addAfter(key, 100);
      else throw e;
    }
  };

  return {
    name: 'resourcequota-controller',
    async run(signal: AbortSignal) {
      if (signal.aborted) return queue.shutDown();
      const resync = setInterval(
        () => {
          for (const q of quotas.list()) enqueue(q);
        },
        opts.resyncMs ?? 5 * 60_000,
      );
      signal.addEventListener('abort', () => clearInterval(resync), { once: true });
      await runWorkers(queue, 2, sync, { signal, onError: (k, e) => log(`syncing ${k} failed: ${(e as Error).message}`) });
    },
  };
}
