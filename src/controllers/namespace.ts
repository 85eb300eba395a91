// The namespace controller, as upstream's (pkg/controller/namespace): a namespace with a
// deletionTimestamp is Terminating; everything in it, of every namespaced kind discovery lists,
// is deleted; its status conditions say what is left and why; once nothing is left, the
// "kubernetes" finalizer is removed through namespaces/NAME/finalize and the namespace goes.
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1';
import {
  StatusError,
  isConflict,
  isNotFound,
  resourcePath,
  resources,
  rfc3339,
  runWorkers,
  WorkQueue,
  type KubeObject,
  type ObjectList,
  type RestClient,
} from '../client/index.js';
import type { Controller, ControllerContext } from './context.js';

export const NAMESPACE_FINALIZER = 'kubernetes';

export interface NamespaceControllerOptions {
  /** Namespaces processed at once (upstream --concurrent-namespace-syncs: 10). */
  workers?: number;
  /** Wait after a namespace event before acting, so other API servers see the deletion (upstream: 5 s). */
  deletionDelayMs?: number;
  /** The time assumed for content held by finalizers to go (upstream: 15 s). */
  finalizerEstimateSeconds?: number;
}

/** A namespaced resource found by discovery. */
export interface DiscoveredResource {
  group: string;
  version: string;
  resource: string;
  verbs: string[];
}

/** What is left of one resource after a deletion pass. */
export interface ResourceRemains {
  /** Seconds to wait before looking again (0: none expected). */
  estimate: number;
  remaining: number;
  finalizers: Map<string, number>;
  error?: string;
}

/** What a deletion pass found, turned into the conditions that are failing. */
export interface ContentReport {
  discoveryError?: string;
  groupVersionError?: string;
  deleteErrors: string[];
  /** "resource.group" → instances remaining. */
  remaining: Map<string, number>;
  /** finalizer → instances held by it. */
  finalizers: Map<string, number>;
}

type ConditionType =
  | 'NamespaceDeletionDiscoveryFailure'
  | 'NamespaceDeletionGroupVersionParsingFailure'
  | 'NamespaceDeletionContentFailure'
  | 'NamespaceContentRemaining'
  | 'NamespaceFinalizersRemaining';

/** Condition types the controller owns, in the order upstream writes them, and their healthy form. */
const HEALTHY: Record<ConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** The conditions that are True (failing) for a report; the others are written as their healthy form. */
export function failingConditions(report: ContentReport): Map<ConditionType, { reason: string; message: string }> {
  const out = new Map<ConditionType, { reason: string; message: string }>();
  if (report.discoveryError !== undefined) out.set('NamespaceDeletionDiscoveryFailure', { reason: 'DiscoveryFailed', message: report.discoveryError });
  if (report.groupVersionError !== undefined)
    out.set('NamespaceDeletionGroupVersionParsingFailure', { reason: 'GroupVersionParsingFailed', message: report.groupVersionError });
  if (report.deleteErrors.length) {
    const msgs = [...report.deleteErrors].sort();
    out.set('NamespaceDeletionContentFailure', {
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    });
  }
  const remaining = [...report.remaining]
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${r} has ${n} resource instances`)
    .sort();
  if (remaining.length)
    out.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` });
  const held = [...report.finalizers]
    .filter(([, n]) => n > 0)
    .map(([f, n]) => `${f} in ${n} resource instances`)
    .sort();
  if (held.length)
    out.set('NamespaceFinalizersRemaining', {
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${held.join(', ')}`,
    });
  return out;
}

/** Upstream's updateConditions: every owned type present, transition time moved only when status flips. */
export function updateConditions(existing: NamespaceCondition[], report: ContentReport, now: string): { conditions: NamespaceCondition[]; changed: boolean } {
  const failing = failingConditions(report);
  const conditions = existing.map((c) => ({ ...c }));
  let changed = false;
  for (const type of Object.keys(HEALTHY) as ConditionType[]) {
    const f = failing.get(type);
    const want = { type, status: f ? 'True' : 'False', reason: (f ?? HEALTHY[type]).reason, message: (f ?? HEALTHY[type]).message };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push({ ...want, lastTransitionTime: now });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      const m = old as { -readonly [K in keyof NamespaceCondition]: NamespaceCondition[K] };
      if (old.status !== want.status) m.lastTransitionTime = now;
      m.status = want.status;
      m.reason = want.reason;
      m.message = want.message;
      changed = true;
    }
  }
  return { conditions, changed };
}

/** "group/version" or "version", as upstream's ParseGroupVersion accepts it. */
export function parseGroupVersion(gv: string): { group: string; version: string } {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  throw new Error(`unexpected GroupVersion string: ${gv}`);
}

interface ResourceList {
  groupVersion: string;
  resources: Array<{ name: string; namespaced: boolean; verbs: string[] }>;
}

/** The namespaced, deletable resources of every preferred group version; failures per group. */
export async function discoverNamespacedResources(
  client: RestClient,
): Promise<{ resources: DiscoveredResource[]; discoveryError?: string; groupVersionError?: string }> {
  const lists: ResourceList[] = [];
  const failed: string[] = [];
  const core = await client.request<{ versions: string[] }>('GET', '/api');
  const groups = await client.request<{
    groups: Array<{ name: string; preferredVersion?: { groupVersion: string }; versions: Array<{ groupVersion: string }> }>;
  }>('GET', '/apis');
  const gvs = [
    ...(core.versions.length ? [core.versions[0]!] : []),
    ...groups.groups.map((g) => g.preferredVersion?.groupVersion ?? g.versions[0]?.groupVersion).filter((v): v is string => !!v),
  ];
  await Promise.all(
    gvs.map(async (gv) => {
      try {
        lists.push(await client.request<ResourceList>('GET', gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`));
      } catch (e) {
        failed.push(`${gv}: ${(e as Error).message}`);
      }
    }),
  );
  const out: DiscoveredResource[] = [];
  const parseErrors: string[] = [];
  for (const list of lists) {
    let gv: { group: string; version: string };
    try {
      gv = parseGroupVersion(list.groupVersion);
    } catch (e) {
      parseErrors.push((e as Error).message);
      continue;
    }
    for (const r of list.resources) {
      // Subresources (pods/status) are not content; only what can be deleted counts.
      if (r.name.includes('/') || !r.namespaced || !r.verbs.includes('delete')) continue;
      out.push({ ...gv, resource: r.name, verbs: r.verbs });
    }
  }
  const discoveryError = failed.length
    ? `Discovery failed for some groups, ${failed.length} failing: unable to retrieve the complete list of server APIs: ${failed.sort().join(', ')}`
    : undefined;
  return { resources: out, discoveryError, groupVersionError: parseErrors.length ? parseErrors.join(', ') : undefined };
}

const DELETE_BACKGROUND = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' };

export function newNamespaceController(ctx: ControllerContext, opts: NamespaceControllerOptions = {}): Controller {
  return new NamespaceController(ctx, opts);
}

class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private readonly client: RestClient;
  private readonly log: (m: string) => void;
  private readonly queue = new WorkQueue<string>({ name: 'namespace' });

  constructor(
    ctx: ControllerContext,
    private readonly opts: NamespaceControllerOptions,
  ) {
    this.client = ctx.client;
    this.log = (m) => ctx.log(`namespace-controller: ${m}`);
    const enqueue = (ns: KubeObject) => {
      if (!ns.metadata?.deletionTimestamp) return;
      this.queue.addAfter(ns.metadata.name!, opts.deletionDelayMs ?? 5000);
    };
    ctx.informers.for(resources.namespaces).addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 10, (name) => this.syncAndRequeue(name), {
      signal,
      onError: (name, e) => this.log(`deletion of namespace ${name} failed: ${(e as Error).message}`),
    });
  }

  private async syncAndRequeue(name: string): Promise<void> {
    const estimate = await this.sync(name);
    // Content remains (pods terminating, finalizers): look again in about half the estimate.
    if (estimate > 0) this.queue.addAfter(name, (Math.floor(estimate / 2) + 1) * 1000);
  }

  /** One pass of upstream's namespacedResourcesDeleter.Delete; returns seconds until the next look (0: done). */
  private async sync(name: string): Promise<number> {
    let ns = await this.getNamespace(name);
    if (!ns?.metadata?.deletionTimestamp) return 0;
    ns = await this.ensureTerminating(ns);
    if (!ns?.metadata?.deletionTimestamp) return 0;
    if (finalized(ns)) {
      await this.deleteNamespace(ns);
      return 0;
    }
    const estimate = await this.deleteAllContent(ns);
    if (estimate > 0) return estimate;
    ns = await this.finalize(ns);
    if (ns && finalized(ns)) await this.deleteNamespace(ns);
    return 0;
  }

  private async getNamespace(name: string): Promise<Namespace | undefined> {
    try {
      return await this.client.get<Namespace>({ ...resources.namespaces, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Writes a namespace change made by fn on the latest copy, retrying on conflict. */
  private async retryOnConflict(ns: Namespace, fn: (ns: Namespace) => Promise<Namespace | undefined>): Promise<Namespace | undefined> {
    let latest: Namespace | undefined = ns;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(latest);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (!isConflict(e) || attempt >= 5) throw e;
      }
      const uid = latest.metadata?.uid;
      latest = await this.getNamespace(ns.metadata!.name!);
      if (!latest) return undefined;
      if (latest.metadata?.uid !== uid) throw new Error('namespace uid has changed across retries');
    }
  }

  private ensureTerminating(ns: Namespace): Promise<Namespace | undefined> {
    return this.retryOnConflict(ns, async (cur) => {
      if (!cur.metadata?.deletionTimestamp || cur.status?.phase === 'Terminating') return cur;
      const next = { ...cur, status: { ...cur.status, phase: 'Terminating' } };
      return this.client.updateStatus(resources.namespaces, next);
    });
  }

  /** PUT namespaces/NAME/finalize without our finalizer (the API server deletes it when none is left). */
  private finalize(ns: Namespace): Promise<Namespace | undefined> {
    return this.retryOnConflict(ns, async (cur) => {
      const finalizers = [...new Set((cur.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER))].sort();
      const body = { ...cur, spec: { ...cur.spec, finalizers } };
      const path = resourcePath({ ...resources.namespaces, name: cur.metadata!.name!, subresource: 'finalize' });
      return this.client.request<Namespace>('PUT', path, body);
    });
  }

  private async deleteNamespace(ns: Namespace): Promise<void> {
    try {
      await this.client.delete({ ...resources.namespaces, name: ns.metadata!.name! }, { preconditions: { uid: ns.metadata!.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Deletes every namespaced resource; returns the seconds to wait for what remains. */
  private async deleteAllContent(ns: Namespace): Promise<number> {
    const name = ns.metadata!.name!;
    const deletedAt = Date.parse(ns.metadata!.deletionTimestamp!);
    const errors: string[] = [];
    const report: ContentReport = { deleteErrors: [], remaining: new Map(), finalizers: new Map() };
    let found: DiscoveredResource[] = [];
    try {
      const d = await discoverNamespacedResources(this.client);
      found = d.resources;
      report.discoveryError = d.discoveryError;
      report.groupVersionError = d.groupVersionError;
      // Discovery failures are not fatal: what was found is still deleted.
      if (d.discoveryError) errors.push(d.discoveryError);
      if (d.groupVersionError) errors.push(d.groupVersionError);
    } catch (e) {
      report.discoveryError = (e as Error).message;
      errors.push(report.discoveryError);
    }
    let estimate = 0;
    for (const r of found) {
      const out = await this.deleteAllContentFor(r, name, deletedAt);
      if (out.error) {
        errors.push(out.error);
        report.deleteErrors.push(out.error);
      }
      estimate = Math.max(estimate, out.estimate);
      if (out.remaining > 0) {
        const key = `${r.resource}.${r.group}`;
        report.remaining.set(key, (report.remaining.get(key) ?? 0) + out.remaining);
        for (const [f, n] of out.finalizers) report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + n);
      }
    }
    // Always written: a condition that was failing and is fine now must say so.
    await this.writeConditions(ns, report);
    if (errors.length) throw new Error(errors.join('; '));
    return estimate;
  }

  private async writeConditions(ns: Namespace, report: ContentReport): Promise<void> {
    try {
      await this.retryOnConflict(ns, async (cur) => {
        const { conditions, changed } = updateConditions([...(cur.status?.conditions ?? [])], report, rfc3339());
        if (!changed) return cur;
        return this.client.updateStatus(resources.namespaces, { ...cur, status: { ...cur.status, conditions } });
      });
    } catch (e) {
      this.log(`couldn't update status condition for namespace "${ns.metadata?.name}": ${(e as Error).message}`);
    }
  }

  private async deleteAllContentFor(r: DiscoveredResource, namespace: string, deletedAt: number): Promise<ResourceRemains> {
    const ref = { group: r.group, version: r.version, resource: r.resource, namespace };
    const gvr = `${r.group}/${r.version}, Resource=${r.resource}`;
    const out: ResourceRemains = { estimate: 0, remaining: 0, finalizers: new Map() };
    try {
      if (r.group === '' && r.resource === 'pods') out.estimate = await this.estimatePodTermination(namespace, deletedAt);
      let deleted = false;
      if (r.verbs.includes('deletecollection')) {
        try {
          await this.client.request('DELETE', resourcePath(ref), DELETE_BACKGROUND);
          deleted = true;
        } catch (e) {
          if (!(e instanceof StatusError && (e.code === 405 || e.code === 404))) throw e;
        }
      }
      if (!deleted && r.verbs.includes('list')) {
        const list = await this.client.list<KubeObject>(ref);
        for (const item of list.items) {
          try {
            await this.client.delete({ ...ref, name: item.metadata!.name! }, { propagationPolicy: 'Background' });
          } catch (e) {
            if (!(e instanceof StatusError && (e.code === 405 || e.code === 404))) throw e;
          }
        }
      }
      if (!r.verbs.includes('list')) return out;
      const left: ObjectList<KubeObject> = await this.client.list<KubeObject>(ref);
      if (!left.items.length) return { estimate: 0, remaining: 0, finalizers: new Map() };
      out.remaining = left.items.length;
      for (const item of left.items) for (const f of item.metadata?.finalizers ?? []) out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + 1);
      if (out.estimate > 0) return out;
      // Finalizers are normal: give whoever owns them time.
      if (out.finalizers.size) return { ...out, estimate: this.opts.finalizerEstimateSeconds ?? 15 };
      return { ...out, error: `unexpected items still remain in namespace: ${namespace} for gvr: ${gvr}` };
    } catch (e) {
      return { ...out, error: (e as Error).message };
    }
  }

  /** The longest grace period of the pods still running, unless the namespace is older than that. */
  private async estimatePodTermination(namespace: string, deletedAt: number): Promise<number> {
    const pods = await this.client.list<{ spec?: { terminationGracePeriodSeconds?: number }; status?: { phase?: string } } & KubeObject>({
      ...resources.pods,
      namespace,
    });
    let estimate = 0;
    for (const p of pods.items) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      estimate = Math.max(estimate, p.spec?.terminationGracePeriodSeconds ?? 0);
    }
    return (Date.now() - deletedAt) / 1000 >= estimate ? 0 : estimate;
  }
}

function finalized(ns: Namespace): boolean {
  return !ns.spec?.finalizers?.length;
}
