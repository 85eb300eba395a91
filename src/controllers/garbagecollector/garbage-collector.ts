// The garbage collector, as upstream's (pkg/controller/garbagecollector): informers on every
// served kind feed the dependency graph; workers then delete objects whose owners are all gone
// (background propagation), delete the dependents of owners deleted in the foreground before
// removing their foregroundDeletion finalizer, and strip the references to owners deleted with
// the orphan finalizer before removing that one. Every decision is made on live objects (GET),
// never on the caches alone.
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { resources as served } from '../../registry/index.js';
import {
  isConflict,
  isNotFound,
  runWorkers,
  WorkQueue,
  type GroupVersionResource,
  type KubeObject,
  type NamedRef,
  type RestClient,
} from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { DependencyGraph, FINALIZER_FOREGROUND, FINALIZER_ORPHAN, hasFinalizer, ownerIdentity, type GraphNode, type ObjectIdentity } from './graph.js';

export interface GarbageCollectorOptions {
  /** Workers per queue (upstream --concurrent-gc-syncs: 20). */
  workers?: number;
  /**
   * Resources (registry keys: "events", "events.events.k8s.io") neither watched nor collected.
   * Upstream's default ignores Events, which expire on their own.
   */
  ignoredResources?: string[];
}

export const DEFAULT_IGNORED_RESOURCES = ['events', 'events.events.k8s.io'];

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** How a served kind is reached: its resource and whether it lives in namespaces. */
export interface KindMapping {
  gvr: GroupVersionResource;
  namespaced: boolean;
}

/** The served kinds by group and kind (any version of a group maps to the served one). */
export function servedKinds(): Map<string, KindMapping> {
  const m = new Map<string, KindMapping>();
  for (const r of served) {
    const key = `${r.group}/${r.kind}`;
    if (!m.has(key)) m.set(key, { gvr: { group: r.group, version: r.version, resource: r.plural }, namespaced: r.namespaced });
  }
  return m;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The reference's kind is not served: retried later, as upstream does with a REST mapping error. */
export class RestMappingError extends Error {}
/** A cluster-scoped object cannot be owned by a namespaced one; retrying won't change that. */
export class NamespacedOwnerOfClusterScopedError extends Error {}
/** Not an error: the item is to be looked at again later (a virtual node not yet observed). */
class Requeue extends Error {}

export interface Classification {
  /** Owners that exist and are not deleting their dependents. */
  solid: OwnerReference[];
  /** Owners that do not exist (or exist under another uid). */
  dangling: OwnerReference[];
  /** Owners being deleted in the foreground, waiting for their dependents to go. */
  waiting: OwnerReference[];
}

export interface OwnerLookup {
  /** The live owner (undefined when absent, or present under another uid). */
  get(ref: OwnerReference, mapping: KindMapping, namespace: string | undefined): Promise<KubeObject | undefined>;
  mapping(ref: OwnerReference): KindMapping | undefined;
  /** Owners already known to be absent. */
  isKnownAbsent(id: ObjectIdentity): boolean;
  markAbsent(id: ObjectIdentity): void;
}

/** Upstream's classifyReferences: each owner reference of a dependent in `namespace` is solid, dangling or waiting. */
export async function classifyReferences(refs: OwnerReference[], namespace: string, lookup: OwnerLookup): Promise<Classification> {
  const out: Classification = { solid: [], dangling: [], waiting: [] };
  for (const ref of refs) {
    const clusterId = ownerIdentity(ref, '');
    const namespacedId = ownerIdentity(ref, namespace);
    if (lookup.isKnownAbsent(clusterId) || lookup.isKnownAbsent(namespacedId)) {
      out.dangling.push(ref);
      continue;
    }
    const mapping = lookup.mapping(ref);
    if (!mapping) throw new RestMappingError(`unable to map ${ref.apiVersion}, Kind=${ref.kind} to a served resource`);
    if (mapping.namespaced && !namespace) throw new NamespacedOwnerOfClusterScopedError('cluster-scoped objects cannot refer to namespaced owners');
    const owner = await lookup.get(ref, mapping, mapping.namespaced ? namespace : undefined);
    if (!owner || owner.metadata?.uid !== ref.uid) {
      lookup.markAbsent(mapping.namespaced ? namespacedId : clusterId);
      out.dangling.push(ref);
      continue;
    }
    if (owner.metadata?.deletionTimestamp && hasFinalizer(owner, FINALIZER_FOREGROUND)) out.waiting.push(ref);
    else out.solid.push(ref);
  }
  return out;
}

export type Decision =
  | { action: 'keep' }
  /** Some owners exist: drop the references to the absent ones and to those waiting on us. */
  | { action: 'removeReferences'; uids: string[] }
  /** Delete; unblockFirst when an owner and a dependent both wait on each other (a cycle). */
  | { action: 'delete'; policy: PropagationPolicy; unblockFirst?: boolean };

/** What to do with a dependent given its classified references (upstream's attemptToDeleteItem). */
export function decide(c: Classification, latest: KubeObject, node: Pick<GraphNode, 'dependents'>): Decision {
  if (c.solid.length) {
    if (!c.dangling.length && !c.waiting.length) return { action: 'keep' };
    return { action: 'removeReferences', uids: [...c.dangling, ...c.waiting].map((r) => r.uid) };
  }
  if (c.waiting.length && node.dependents.size) {
    const unblockFirst = [...node.dependents].some((d) => d.deletingDependents);
    return { action: 'delete', policy: 'Foreground', unblockFirst };
  }
  // No owner left and none waiting: collect it, honouring the finalizer it already carries.
  if (hasFinalizer(latest, FINALIZER_ORPHAN)) return { action: 'delete', policy: 'Orphan' };
  if (hasFinalizer(latest, FINALIZER_FOREGROUND)) return { action: 'delete', policy: 'Foreground' };
  return { action: 'delete', policy: 'Background' };
}

export function newGarbageCollector(ctx: ControllerContext, opts: GarbageCollectorOptions = {}): Controller {
  return new GarbageCollector(ctx, opts);
}

class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly client: RestClient;
  private readonly log: (m: string) => void;
  private readonly kinds = servedKinds();
  private readonly deleteQueue = new WorkQueue<string>({ name: 'garbage_collector_attempt_to_delete' });
  private readonly orphanQueue = new WorkQueue<string>({ name: 'garbage_collector_attempt_to_orphan' });
  private readonly graph: DependencyGraph;
  private readonly workers: number;

  constructor(ctx: ControllerContext, opts: GarbageCollectorOptions) {
    this.client = ctx.client;
    this.log = (m) => ctx.log(`garbage-collector: ${m}`);
    this.workers = opts.workers ?? 20;
    this.graph = new DependencyGraph({
      attemptToDelete: (uid) => this.deleteQueue.add(uid),
      attemptToOrphan: (uid) => this.orphanQueue.add(uid),
    });
    const ignored = new Set(opts.ignoredResources ?? DEFAULT_IGNORED_RESOURCES);
    // Upstream's monitors: every resource that can be listed, watched and deleted.
    for (const r of served) {
      if (ignored.has(r.key) || !['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))) continue;
      const informer = ctx.informers.for({ group: r.group, version: r.version, resource: r.plural });
      informer.addEventHandler({
        onAdd: (obj) => this.graph.observe(r.apiVersion, r.kind, obj),
        onUpdate: (old, obj) => this.graph.observe(r.apiVersion, r.kind, obj, old),
        onDelete: (obj) => this.graph.observeDeleted(r.apiVersion, r.kind, obj),
      });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const stop = () => {
      this.deleteQueue.shutDown();
      this.orphanQueue.shutDown();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const onError = (uid: string, e: unknown) => {
      if (!(e instanceof Requeue) && !(e instanceof RestMappingError)) this.log(`${this.describe(uid)}: ${(e as Error).message}`);
    };
    await Promise.all([
      runWorkers(this.deleteQueue, this.workers, (uid) => this.processAttemptToDelete(uid), { onError }),
      runWorkers(this.orphanQueue, this.workers, (uid) => this.attemptToOrphan(uid), { onError }),
    ]);
  }

  private describe(uid: string): string {
    const id = this.graph.get(uid)?.identity;
    return id ? `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name} (${uid})` : uid;
  }

  private mappingOf(apiVersion: string, kind: string): KindMapping | undefined {
    return this.kinds.get(`${groupOf(apiVersion)}/${kind}`);
  }

  private ref(id: ObjectIdentity): NamedRef {
    const mapping = this.mappingOf(id.apiVersion, id.kind);
    if (!mapping) throw new RestMappingError(`unable to map ${id.apiVersion}, Kind=${id.kind} to a served resource`);
    return { ...mapping.gvr, namespace: mapping.namespaced ? id.namespace || undefined : undefined, name: id.name };
  }

  /** The live object of an identity, or undefined when there is none by that name. */
  private async getLive(id: ObjectIdentity): Promise<KubeObject | undefined> {
    const mapping = this.mappingOf(id.apiVersion, id.kind);
    if (!mapping) throw new RestMappingError(`unable to map ${id.apiVersion}, Kind=${id.kind} to a served resource`);
    // A namespaced kind referenced from a cluster-scoped object has no namespace to look in.
    if (mapping.namespaced && !id.namespace) return undefined;
    try {
      return await this.client.get<KubeObject>(this.ref(id));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async processAttemptToDelete(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    // Gone from the graph meanwhile (deleted, or a virtual node nobody refers to any more).
    if (!node) return;
    try {
      await this.attemptToDeleteItem(node);
    } catch (e) {
      if (e instanceof NamespacedOwnerOfClusterScopedError) {
        this.log(`${this.describe(uid)}: ${e.message}`);
        return;
      }
      throw e;
    }
    // A virtual node whose object exists but no informer has shown yet: look again later.
    if (!node.observed && this.graph.get(uid) === node) throw new Requeue('not observed yet');
  }

  private async attemptToDeleteItem(node: GraphNode): Promise<void> {
    // Being deleted is a one-way trip: wait for the deletion, then handle the dependents.
    if (node.beingDeleted && !node.deletingDependents) return;
    const latest = await this.getLive(node.identity);
    if (!latest || latest.metadata?.uid !== node.identity.uid) {
      this.graph.virtualDelete(node.identity);
      return;
    }
    if (node.deletingDependents) return this.processDeletingDependents(node);
    const refs = latest.metadata?.ownerReferences ?? [];
    if (!refs.length) return;
    const classification = await classifyReferences(refs, node.identity.namespace, {
      get: async (ref, mapping, namespace) => {
        try {
          return await this.client.get<KubeObject>({ ...mapping.gvr, namespace, name: ref.name });
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
      mapping: (ref) => this.mappingOf(ref.apiVersion, ref.kind),
      isKnownAbsent: (id) => this.graph.absentOwners.has(id),
      markAbsent: (id) => this.graph.absentOwners.add(id),
    });
    const decision = decide(classification, latest, node);
    switch (decision.action) {
      case 'keep':
        return;
      case 'removeReferences': {
        const uids = new Set(decision.uids);
        await this.patchLatest(node.identity, (obj) => {
          const before = obj.metadata?.ownerReferences ?? [];
          const after = before.filter((r) => !uids.has(r.uid));
          return after.length === before.length ? undefined : { ownerReferences: after.length ? after : null };
        });
        return;
      }
      case 'delete':
        if (decision.unblockFirst) {
          // Owner and dependent wait on each other: stop blocking, then go in the foreground.
          await this.patchLatest(node.identity, (obj) => {
            const refs = obj.metadata?.ownerReferences ?? [];
            if (!refs.some((r) => r.blockOwnerDeletion === true)) return undefined;
            return { ownerReferences: refs.map((r) => (r.blockOwnerDeletion === true ? { ...r, blockOwnerDeletion: false } : r)) };
          });
        }
        await this.deleteObject(node.identity, decision.policy);
        return;
    }
  }

  /** An owner deleted in the foreground: its blocking dependents go first, then its finalizer. */
  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = node.blockingDependents();
    if (!blocking.length) {
      await this.removeFinalizer(node.identity, FINALIZER_FOREGROUND);
      return;
    }
    for (const d of blocking) if (!d.deletingDependents) this.deleteQueue.add(d.identity.uid);
  }

  /** An owner deleted with the orphan finalizer: its dependents lose the reference, then it goes. */
  private async attemptToOrphan(uid: string): Promise<void> {
    const owner = this.graph.get(uid);
    if (!owner) return;
    const results = await Promise.allSettled(
      [...owner.dependents].map((d) =>
        this.patchLatest(d.identity, (obj) => {
          const before = obj.metadata?.ownerReferences ?? [];
          const after = before.filter((r) => r.uid !== uid);
          return after.length === before.length ? undefined : { ownerReferences: after.length ? after : null };
        }),
      ),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
    if (failed.length) throw new Error(`failed to orphan dependents of ${this.describe(uid)}: ${failed.join('; ')}`);
    await this.removeFinalizer(owner.identity, FINALIZER_ORPHAN);
  }

  private async deleteObject(id: ObjectIdentity, policy: PropagationPolicy): Promise<void> {
    try {
      await this.client.delete(this.ref(id), { propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (e) {
      // Already gone: the informer's delete event carries on from here.
      if (!isNotFound(e)) throw e;
    }
  }

  private removeFinalizer(id: ObjectIdentity, finalizer: string): Promise<void> {
    return this.patchLatest(id, (obj) => {
      const finalizers = obj.metadata?.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return undefined;
      return { finalizers: finalizers.filter((f) => f !== finalizer) };
    });
  }

  /**
   * A JSON merge patch of metadata built from the live object, sent with its uid and
   * resourceVersion as preconditions; retried on conflict. Nothing to do when build says so or
   * the object is gone (or is another object now).
   */
  private async patchLatest(id: ObjectIdentity, build: (latest: KubeObject) => Record<string, unknown> | undefined): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.getLive(id);
      if (!latest || latest.metadata?.uid !== id.uid) return;
      const meta = build(latest);
      if (!meta) return;
      try {
        await this.client.patch(this.ref(id), { metadata: { ...meta, uid: id.uid, resourceVersion: latest.metadata?.resourceVersion } }, 'merge');
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e)) throw e;
      }
    }
    throw new Error(`${id.kind} ${id.name}: still conflicting after 5 attempts`);
  }
}
