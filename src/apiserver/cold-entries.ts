// Keeps the watch cache's settled objects delta-encoded (json-delta.ts) against a similar
// object's JSON. At 150 000 pods the pods' JSON was most of the API server's heap (4.8 KB each,
// 720 MB); encoded against a sibling of the same ReplicaSet a pod takes ~300-500 characters.
// An entry is encoded once it has been current for one to two sweep periods: a new pod is read
// and rewritten several times in its first seconds (bound, started, Running), and those reads
// and the watch events of those writes are served from plain JSON. Reads of an encoded entry
// decode it (~4 µs for a pod), which a whole LIST pays once per object.
import type { CacheEntry } from './watch-cache.js';
import { DeltaReference, MAX_REFERENCE_LENGTH } from './json-delta.js';

/** Shorter JSON is left alone: the saving would not pay for the encoding. */
const MIN_LENGTH = 512;
/** An encoding must save at least three quarters, or the object starts a family of its own. */
const MAX_ENCODED_SHARE = 0.25;
/**
 * Families remembered, and the characters of their references: a family's reference outlives its
 * objects while it is remembered (entries keep theirs alive on their own).
 */
const MAX_FAMILIES = 4096;
const MAX_FAMILY_CHARS = 16 * 1024 * 1024;
/** References whose index is kept between encodings (an index is ~4 bytes per character). */
const MAX_INDEXED = 32;
/** Entries encoded per slice of a sweep, between which the event loop serves requests. */
const SLICE = 500;

export const DEFAULT_SWEEP_MS = 10_000;

/**
 * Which entries tend to look alike: those whose key is the same up to the last '-' of the name
 * (the pods of a ReplicaSet, a Job or a StatefulSet, the ReplicaSets of a Deployment, the
 * simulated nodes `sim-*`), else those of one namespace.
 */
export function familyOf(key: string): string {
  const slash = key.lastIndexOf('/');
  const dash = key.lastIndexOf('-');
  return dash > slash ? key.slice(0, dash) : key.slice(0, slash);
}

export class ColdEntries {
  /**
   * The keys of the objects changed since the last sweep, and of those changed between the two
   * before: the next sweep's work. Keys, not entries: holding every version written in a burst
   * until the sweep would keep the superseded ones alive past the watch history's budget.
   */
  private young = new Set<string>();
  private old = new Set<string>();
  /** The newest revision added so far, and as of the last sweep. */
  private newest = 0;
  private newestAtSweep = 0;
  private readonly families = new Map<string, DeltaReference>();
  private familyChars = 0;
  private readonly indexed = new Set<DeltaReference>();
  private lastReference?: DeltaReference;
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private stopped = false;

  constructor(
    /** The current version of the object at a key. */
    private readonly current: (key: string) => CacheEntry | undefined,
    sweepMs = DEFAULT_SWEEP_MS,
  ) {
    if (sweepMs > 0) {
      this.timer = setInterval(() => this.sweep(), sweepMs);
      this.timer.unref();
    }
  }

  /** `e` became its object's current version. */
  added(e: CacheEntry): void {
    this.young.add(e.key);
    if (e.rev > this.newest) this.newest = e.rev;
  }

  /** Forgets every pending entry (the cache re-listed). */
  clear(): void {
    this.young = new Set();
    this.old = new Set();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.clear();
  }

  /**
   * Encodes the objects whose current version was made before the previous sweep, in slices
   * (`sync` does it all at once, for tests). Resolves when done.
   */
  sweep(sync = false): Promise<void> {
    if (this.sweeping) return Promise.resolve();
    const settledAt = this.newestAtSweep;
    const due = Array.from(this.old, (key) => {
      const e = this.current(key);
      return e && e.rev <= settledAt ? e : undefined;
    });
    this.old = this.young;
    this.young = new Set();
    this.newestAtSweep = this.newest;
    if (sync) {
      for (const e of due) if (e) this.encode(e);
      return Promise.resolve();
    }
    this.sweeping = true;
    return new Promise((resolve) => {
      let at = 0;
      const slice = () => {
        const end = Math.min(due.length, at + SLICE);
        for (; at < end && !this.stopped; at++) {
          const e = due[at];
          // Changed since the slice was planned: the new version waits for its own sweep.
          if (e && this.current(e.key) === e) this.encode(e);
        }
        if (at < due.length && !this.stopped) setImmediate(slice);
        else {
          this.sweeping = false;
          resolve();
        }
      };
      slice();
    });
  }

  private encode(e: CacheEntry): void {
    if (e.encoded) return;
    const json = e.json;
    if (json.length < MIN_LENGTH || json.length > MAX_REFERENCE_LENGTH) return;
    const family = familyOf(e.key);
    const candidate = this.families.get(family) ?? this.lastReference;
    if (candidate) {
      const encoded = this.withIndex(candidate).encode(json);
      if (encoded !== undefined && encoded.length <= json.length * MAX_ENCODED_SHARE) {
        e.encodeAgainst(candidate, encoded);
        if (!this.families.has(family)) this.remember(family, candidate);
        return;
      }
    }
    // Nothing alike yet: this object is the reference of its family from now on. Its JSON is
    // the reference's text, so it costs nothing more than it did.
    const reference = new DeltaReference(json);
    this.remember(family, reference);
    this.lastReference = reference;
  }

  private remember(family: string, reference: DeltaReference): void {
    this.forget(family);
    this.families.set(family, reference);
    this.familyChars += reference.text.length;
    while (this.families.size > MAX_FAMILIES || this.familyChars > MAX_FAMILY_CHARS) this.forget(this.families.keys().next().value!);
  }

  private forget(family: string): void {
    const reference = this.families.get(family);
    if (!reference) return;
    this.families.delete(family);
    this.familyChars -= reference.text.length;
  }

  /** The reference, counted among the few whose index is kept (least recently used forgets its). */
  private withIndex(reference: DeltaReference): DeltaReference {
    this.indexed.delete(reference);
    this.indexed.add(reference);
    if (this.indexed.size > MAX_INDEXED) {
      const oldest = this.indexed.values().next().value!;
      this.indexed.delete(oldest);
      oldest.forgetIndex();
    }
    return reference;
  }
}
