// String interning for informer caches (issue #17). JSON.parse makes a new string for every
// string value, so 150 000 cached pods hold 150 000 copies of "Running", of their namespace, of
// their node's name, of every label, image, condition type and timestamp second. Passing each
// cached object through one interner makes equal values share one string: a simulated Running
// pod's heap drops by about a third (measured: 2.5 KB to 1.6 KB per pod).
//
// The table is bounded: values that are unique per object (names, uids, resourceVersions, pod
// IPs, container ids) are not interned at all, and when the table still grows past its limit
// (label values unique per pod, churn over days) it starts afresh. Strings already shared stay
// shared; only later objects pay for one copy each again.

/** Keys whose values are unique per object: interning them would only grow the table. */
const UNIQUE_IN_METADATA = new Set(['name', 'uid', 'resourceVersion']);
const UNIQUE_ANYWHERE = new Set(['podIP', 'ip', 'containerID']);
/** Longer strings are rarely repeated (messages, embedded documents): left as they are. */
const MAX_INTERNED_LENGTH = 256;

export class StringInterner {
  private table = new Map<string, string>();

  constructor(private readonly maxEntries = 200_000) {}

  /** The one shared string equal to s. */
  intern(s: string): string {
    const seen = this.table.get(s);
    if (seen !== undefined) return seen;
    if (s.length > MAX_INTERNED_LENGTH) return s;
    if (this.table.size >= this.maxEntries) this.table = new Map();
    this.table.set(s, s);
    return s;
  }

  get size(): number {
    return this.table.size;
  }

  /** Replaces, in place, every string value of obj (at any depth) by its interned equal. */
  internObject<T>(obj: T): T {
    this.walk(obj as unknown, false);
    return obj;
  }

  private walk(v: unknown, inMetadata: boolean): void {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (typeof e === 'string') v[i] = this.intern(e);
        else if (e !== null && typeof e === 'object') this.walk(e, false);
      }
      return;
    }
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const e = o[k];
      if (typeof e === 'string') {
        if (UNIQUE_ANYWHERE.has(k) || (inMetadata && UNIQUE_IN_METADATA.has(k))) continue;
        o[k] = this.intern(e);
      } else if (e !== null && typeof e === 'object') this.walk(e, k === 'metadata');
    }
  }
}

/** The process's interner: every pod informer's transform shares it (the scheduler's, the controllers'). */
export const sharedInterner = new StringInterner();
