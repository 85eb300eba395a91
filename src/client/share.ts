// Structural sharing for informer caches (issue #17). After string interning, a cached pod is
// still ~30 objects and arrays of its own, and most of them are equal to those of the pods
// beside it: the replicas of a ReplicaSet have the same labels, owner references, containers,
// tolerations and security context; the pods of a node the same hostIPs; pods started in the
// same second the same conditions. A SubtreeSharer makes equal parts one object: every cached
// pod made from one template points at the same frozen `containers` list.
//
// A part is keyed by its JSON. To keep the table from filling with parts unique to one pod (a
// pod's IPs, a volume named after the pod, a condition's message), a part is shared only when
// a second object brings it: the first sighting waits in a small, bounded table (a later
// version of the same object, which brings its own parts again, is given the one waiting), and
// only parts of two objects enter the shared one (itself bounded: when full it starts afresh,
// and parts shared so far stay shared). Shared parts are deep-frozen: the cache's objects are read-only, and a
// reader that writes into one fails loudly instead of changing every pod that shares it.

/** Parts whose JSON is longer are rarely repeated (and costly to key): left as they are. */
const MAX_KEY_LENGTH = 2048;

function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return v;
}

export class SubtreeSharer {
  private shared = new Map<string, object>();
  /** Parts seen in one object so far, with that object's uid. */
  private seenOnce = new Map<string, { part: object; owner: string | undefined }>();

  constructor(
    private readonly maxShared = 20_000,
    private readonly maxSeenOnce = 4096,
  ) {}

  /** How many parts are shared (for tests). */
  get size(): number {
    return this.shared.size;
  }

  /**
   * The shared, frozen part equal to v if another object brought it before; v itself otherwise.
   * owner: the uid of the object v is part of (undefined: any two sightings count as two objects).
   */
  share<T>(v: T, owner?: string): T {
    if (v === null || typeof v !== 'object') return v;
    return this.shareKeyed(v, JSON.stringify(v), owner);
  }

  /**
   * A list, shared whole when an equal one is known (one JSON.stringify, the common case: the
   * next pod of a template, the next version of a pod); otherwise its elements are shared
   * first, so that a list of its own (a pod's own volume beside common ones) still shares them.
   */
  shareList<T>(list: T[] | undefined, owner?: string): T[] | undefined {
    if (!Array.isArray(list) || Object.isFrozen(list)) return list;
    const key = JSON.stringify(list);
    // Known: it is answered with the list seen before, whose elements were shared then.
    if (this.shared.has(key) || this.seenOnce.has(key)) return this.shareKeyed(list, key, owner);
    for (let i = 0; i < list.length; i++) list[i] = this.share(list[i]!, owner);
    return this.shareKeyed(list, key, owner);
  }

  private shareKeyed<T>(v: T, key: string, owner: string | undefined): T {
    if (key.length > MAX_KEY_LENGTH) return v;
    const seen = this.shared.get(key);
    if (seen !== undefined) return seen as T;
    const first = this.seenOnce.get(key);
    if (first === undefined) {
      if (this.seenOnce.size >= this.maxSeenOnce) this.seenOnce = new Map();
      this.seenOnce.set(key, { part: v as object, owner });
      return v;
    }
    // The same object again (its next version, or another place in it): the part it had.
    if (owner !== undefined && first.owner === owner) return first.part as T;
    // A second object has it: the first one's (already in a cached object) becomes the shared one.
    this.seenOnce.delete(key);
    if (this.shared.size >= this.maxShared) this.shared = new Map();
    this.shared.set(key, deepFreeze(first.part));
    return first.part as T;
  }
}

/** The process's sharer: every pod informer's transform uses it (the scheduler's, the controllers'). */
export const sharedSubtrees = new SubtreeSharer();

type Obj = Record<string, unknown>;

const METADATA_PARTS = ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const;
const CONTAINER_STATUS_LISTS = ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const;

/**
 * Replaces, in place, the parts of a pod that are commonly equal across pods by shared frozen
 * ones: metadata's labels, annotations, owner references and finalizers; every object or list
 * in spec (lists element by element first, so a pod whose one volume is its own still shares
 * its containers); status's conditions, hostIPs and container statuses (their states first).
 * The pod's own scalars (name, uid, IPs, timestamps) stay its own.
 */
export function sharePodParts<T extends object>(pod: T, sharer: SubtreeSharer = sharedSubtrees): T {
  const p = pod as Obj;
  const metadata = p.metadata as Obj | undefined;
  // A pod's own parts come again with each of its versions: they are not another pod's.
  const uid = typeof metadata?.uid === 'string' ? metadata.uid : undefined;
  const share = (v: unknown) => (Array.isArray(v) ? sharer.shareList(v, uid) : sharer.share(v, uid));
  if (metadata) {
    for (const k of METADATA_PARTS) if (metadata[k] !== undefined) metadata[k] = share(metadata[k]);
  }
  const spec = p.spec as Obj | undefined;
  if (spec) {
    for (const k of Object.keys(spec)) {
      const v = spec[k];
      if (v !== null && typeof v === 'object') spec[k] = share(v);
    }
  }
  const status = p.status as Obj | undefined;
  if (status) {
    if (status.conditions !== undefined) status.conditions = share(status.conditions);
    if (status.hostIPs !== undefined) status.hostIPs = share(status.hostIPs);
    for (const k of CONTAINER_STATUS_LISTS) {
      const list = status[k];
      if (!Array.isArray(list)) continue;
      for (const cs of list as Obj[]) {
        if (cs === null || typeof cs !== 'object' || Object.isFrozen(cs)) continue;
        if (cs.state !== undefined) cs.state = share(cs.state);
        if (cs.lastState !== undefined) cs.lastState = share(cs.lastState);
      }
      status[k] = share(list);
    }
  }
  return pod;
}
