// The garbage collector's dependency graph, as upstream's GraphBuilder keeps it: one node per
// object uid, edges from owners to dependents built from ownerReferences. Owners referenced but
// not (yet) seen by an informer are "virtual" nodes whose existence the collector checks with a
// live GET. The graph decides what to look at; the collector (garbage-collector.ts) acts.
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../../client/index.js';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

/** Who an object is: enough to GET it (apiVersion, kind, namespace, name) and to recognize it (uid). */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** "" for cluster-scoped objects (and virtual owners first referenced from one). */
  namespace: string;
}

// The graph has a node for every object of every watched kind (every pod), and most have no
// dependents and no owners: they share one empty set and one empty list instead of a Set (about
// 170 bytes) and an array each (issue #17). A node gets a Set of its own with its first dependent.
const NO_DEPENDENTS: ReadonlySet<GraphNode> = new Set();
const NO_OWNERS: OwnerReference[] = Object.freeze([]) as unknown as OwnerReference[];

export class GraphNode {
  private dependentSet: Set<GraphNode> | undefined;
  /** Being deleted (deletionTimestamp set). */
  beingDeleted = false;
  /** Being deleted with the foregroundDeletion finalizer: its dependents go first. */
  deletingDependents = false;

  constructor(
    public identity: ObjectIdentity,
    public owners: OwnerReference[],
    /** Seen through an informer; false for a virtual node (only known from references to it). */
    public observed: boolean,
  ) {}

  /** The nodes whose owner references name this one. */
  get dependents(): ReadonlySet<GraphNode> {
    return this.dependentSet ?? NO_DEPENDENTS;
  }

  addDependent(d: GraphNode): void {
    (this.dependentSet ??= new Set()).add(d);
  }

  removeDependent(d: GraphNode): void {
    if (this.dependentSet?.delete(d) && this.dependentSet.size === 0) this.dependentSet = undefined;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion=true. */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((d) => d.owners.some((r) => r.uid === this.identity.uid && r.blockOwnerDeletion === true));
  }
}

/** What the graph asks of the collector: look at a node (delete it?) or orphan its dependents. */
export interface GraphQueues {
  attemptToDelete(uid: string): void;
  attemptToOrphan(uid: string): void;
}

/** Identity of an owner reference as seen from a dependent in `namespace`. */
export function ownerIdentity(ref: OwnerReference, namespace: string): ObjectIdentity {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace };
}

export function identityKey(id: ObjectIdentity): string {
  return [id.apiVersion, id.kind, id.namespace, id.name, id.uid].join('\0');
}

function sameCoordinates(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && ref.apiVersion === id.apiVersion;
}

export function hasFinalizer(obj: KubeObject | undefined, finalizer: string): boolean {
  return !!obj?.metadata?.finalizers?.includes(finalizer);
}

function beingDeleted(obj: KubeObject | undefined): boolean {
  return !!obj?.metadata?.deletionTimestamp;
}

/** The object has just entered deletion with this finalizer (or was first seen that way). */
function deletionStartsWith(oldObj: KubeObject | undefined, obj: KubeObject, finalizer: string): boolean {
  if (!beingDeleted(obj) || !hasFinalizer(obj, finalizer)) return false;
  return !oldObj || !beingDeleted(oldObj) || !hasFinalizer(oldObj, finalizer);
}

/** Owner references whose uid is new, gone, or whose content changed. */
export function referenceDiffs(
  old: OwnerReference[],
  now: OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: Array<{ old: OwnerReference; now: OwnerReference }> } {
  const before = new Map(old.map((r) => [r.uid, r]));
  const after = new Map(now.map((r) => [r.uid, r]));
  const added = now.filter((r) => !before.has(r.uid));
  const removed = old.filter((r) => !after.has(r.uid));
  const changed: Array<{ old: OwnerReference; now: OwnerReference }> = [];
  for (const r of now) {
    const o = before.get(r.uid);
    if (o && JSON.stringify(o) !== JSON.stringify(r)) changed.push({ old: o, now: r });
  }
  return { added, removed, changed };
}

/** A small LRU set: owners known to be absent, so their other dependents need no GET. */
export class AbsentOwnerCache {
  private readonly keys = new Map<string, true>();
  constructor(private readonly size = 500) {}

  add(id: ObjectIdentity): void {
    const k = identityKey(id);
    this.keys.delete(k);
    this.keys.set(k, true);
    if (this.keys.size > this.size) this.keys.delete(this.keys.keys().next().value!);
  }

  has(id: ObjectIdentity): boolean {
    const k = identityKey(id);
    if (!this.keys.has(k)) return false;
    this.keys.delete(k);
    this.keys.set(k, true);
    return true;
  }
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();
  readonly absentOwners = new AbsentOwnerCache();

  constructor(private readonly queues: GraphQueues) {}

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** An informer saw obj (of the given apiVersion/kind) added or changed. */
  observe(apiVersion: string, kind: string, obj: KubeObject, oldObj?: KubeObject): void {
    const m = obj.metadata ?? {};
    if (!m.uid) return;
    const identity: ObjectIdentity = { apiVersion, kind, name: m.name ?? '', uid: m.uid, namespace: m.namespace ?? '' };
    const owners = m.ownerReferences ?? NO_OWNERS;
    let node = this.nodes.get(m.uid);
    if (!node) {
      node = new GraphNode(identity, owners, true);
      node.beingDeleted = beingDeleted(obj);
      node.deletingDependents = node.beingDeleted && hasFinalizer(obj, FINALIZER_FOREGROUND);
      this.nodes.set(m.uid, node);
      this.addDependentToOwners(node, owners);
      this.processTransitions(oldObj, obj, node);
      return;
    }
    if (!node.observed) this.observeVirtual(node, identity);
    const { added, removed, changed } = referenceDiffs(node.owners, owners);
    if (added.length || removed.length || changed.length) {
      // Owners waiting on this dependent's deletion may be free once it stops blocking them.
      for (const r of removed) if (r.blockOwnerDeletion === true) this.enqueueDeleteIfPresent(r.uid);
      for (const c of changed) if (c.old.blockOwnerDeletion === true && c.now.blockOwnerDeletion !== true) this.enqueueDeleteIfPresent(c.now.uid);
      this.addDependentToOwners(node, added);
      this.removeDependentFromOwners(node, removed);
    }
    // The current object's references, even when unchanged: holding on to the first version's
    // would keep a second copy of them beside the informer's (one per pod).
    node.owners = owners;
    if (beingDeleted(obj)) node.beingDeleted = true;
    this.processTransitions(oldObj, obj, node);
  }

  /** An informer saw the object with this uid deleted. */
  observeDeleted(apiVersion: string, kind: string, obj: KubeObject): void {
    const m = obj.metadata ?? {};
    const node = m.uid ? this.nodes.get(m.uid) : undefined;
    if (!node) return;
    this.removeAndPropagate(node, { apiVersion, kind, name: m.name ?? '', uid: m.uid!, namespace: m.namespace ?? '' });
  }

  /**
   * The collector found no live object with this identity (404, or another uid under the name).
   * Dependents that refer to the owner by exactly these coordinates lose it; a node that others
   * know by other coordinates (or that an informer has seen as something else) stays.
   */
  virtualDelete(deleted: ObjectIdentity): void {
    const node = this.nodes.get(deleted.uid);
    if (!node) return;
    let remove = true;
    if (!node.observed) {
      const { matching, nonMatching } = partitionDependents([...node.dependents], deleted);
      if (nonMatching.length) {
        remove = false;
        if (matching.length) {
          this.absentOwners.add(deleted);
          for (const d of matching) this.queues.attemptToDelete(d.identity.uid);
        }
        if (identityKey(node.identity) === identityKey(deleted)) {
          // Check the node again under another identity its dependents give it.
          const alternate = alternateOwnerIdentity(nonMatching, deleted);
          if (alternate) {
            node.identity = alternate;
            this.queues.attemptToDelete(node.identity.uid);
          }
        }
      }
    } else if (identityKey(node.identity) !== identityKey(deleted)) {
      // A real object exists under this uid: only dependents naming it wrongly lose their owner.
      remove = false;
      const { matching } = partitionDependents([...node.dependents], deleted);
      if (matching.length) {
        this.absentOwners.add(deleted);
        for (const d of matching) this.queues.attemptToDelete(d.identity.uid);
      }
    }
    if (remove) this.removeAndPropagate(node, deleted);
  }

  private removeAndPropagate(node: GraphNode, deleted: ObjectIdentity): void {
    this.removeNode(node);
    if (node.dependents.size) this.absentOwners.add(deleted);
    for (const d of node.dependents) this.queues.attemptToDelete(d.identity.uid);
    // An owner deleting its dependents in the foreground may be done now.
    for (const r of node.owners) {
      const owner = this.nodes.get(r.uid);
      if (owner?.deletingDependents) this.queues.attemptToDelete(owner.identity.uid);
    }
  }

  /** A virtual node's object showed up in an informer: it becomes real, under its true identity. */
  private observeVirtual(node: GraphNode, observedIdentity: ObjectIdentity): void {
    node.observed = true;
    if (identityKey(node.identity) !== identityKey(observedIdentity)) {
      // Dependents that named the owner differently must be re-checked against the live object.
      const { nonMatching } = partitionDependents([...node.dependents], observedIdentity);
      for (const d of nonMatching) this.queues.attemptToDelete(d.identity.uid);
    }
    node.identity = observedIdentity;
  }

  private processTransitions(oldObj: KubeObject | undefined, obj: KubeObject, node: GraphNode): void {
    if (deletionStartsWith(oldObj, obj, FINALIZER_ORPHAN)) {
      this.queues.attemptToOrphan(node.identity.uid);
      return;
    }
    if (deletionStartsWith(oldObj, obj, FINALIZER_FOREGROUND)) {
      node.deletingDependents = true;
      for (const d of node.dependents) this.queues.attemptToDelete(d.identity.uid);
      this.queues.attemptToDelete(node.identity.uid);
    }
  }

  private addDependentToOwners(node: GraphNode, owners: OwnerReference[]): void {
    let suspicious = false;
    for (const ref of owners) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        // Known only by reference: a virtual node, checked with a live GET.
        owner = new GraphNode(ownerIdentity(ref, node.identity.namespace), NO_OWNERS, false);
        this.nodes.set(ref.uid, owner);
        owner.addDependent(node);
        this.queues.attemptToDelete(ref.uid);
        continue;
      }
      owner.addDependent(node);
      const ownerNamespaced = owner.identity.namespace !== '';
      if (ownerNamespaced && owner.identity.namespace !== node.identity.namespace) suspicious = true;
      else if (!sameCoordinates(ref, owner.identity)) suspicious = true;
      else if (!ownerNamespaced && owner.identity.namespace !== node.identity.namespace && !owner.observed) suspicious = true;
    }
    // A reference that disagrees with what the graph knows of its owner: verify the dependent.
    if (suspicious) this.queues.attemptToDelete(node.identity.uid);
  }

  private removeDependentFromOwners(node: GraphNode, owners: OwnerReference[]): void {
    for (const ref of owners) {
      const owner = this.nodes.get(ref.uid);
      if (!owner) continue;
      owner.removeDependent(node);
      // A virtual node nobody refers to any more is forgotten.
      if (!owner.observed && owner.dependents.size === 0) this.nodes.delete(ref.uid);
    }
  }

  private removeNode(node: GraphNode): void {
    this.nodes.delete(node.identity.uid);
    this.removeDependentFromOwners(node, node.owners);
  }

  private enqueueDeleteIfPresent(uid: string): void {
    if (this.nodes.has(uid)) this.queues.attemptToDelete(uid);
  }
}

/** Dependents whose reference to the owner uid names exactly this identity, and the others. */
export function partitionDependents(dependents: GraphNode[], owner: ObjectIdentity): { matching: GraphNode[]; nonMatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonMatching: GraphNode[] = [];
  const ownerNamespaced = owner.namespace !== '';
  for (const d of dependents) {
    const match = d.owners.some((r) => r.uid === owner.uid && sameCoordinates(r, owner) && (!ownerNamespaced || owner.namespace === d.identity.namespace));
    (match ? matching : nonMatching).push(d);
  }
  return { matching, nonMatching };
}

/** Another identity the dependents give the owner uid, other than the one found absent. */
function alternateOwnerIdentity(dependents: GraphNode[], absent: ObjectIdentity): ObjectIdentity | undefined {
  const absentKey = identityKey(absent);
  const candidates: ObjectIdentity[] = [];
  for (const d of dependents) {
    for (const r of d.owners) {
      if (r.uid !== absent.uid) continue;
      const id = ownerIdentity(r, d.identity.namespace);
      if (identityKey(id) !== absentKey) candidates.push(id);
    }
  }
  // A stable order, so that repeated checks walk through every candidate.
  candidates.sort((a, b) => identityKey(a).localeCompare(identityKey(b)));
  return candidates.find((c) => identityKey(c) > absentKey) ?? candidates[0];
}
