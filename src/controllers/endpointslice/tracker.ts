// What the controller last wrote, so it never reconciles from a cache that has not seen its own
// writes yet (upstream EndpointSliceTracker): syncing from a cache without a slice it just
// created would create the same endpoints twice.
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';

const DELETED = 'deleted';

export class SliceTracker {
  /** service key -> slice name -> the resourceVersion written, or "deleted". */
  private readonly written = new Map<string, Map<string, string>>();

  wrote(serviceKey: string, slice: EndpointSlice): void {
    this.slices(serviceKey).set(slice.metadata!.name!, slice.metadata!.resourceVersion ?? '');
  }

  deleted(serviceKey: string, name: string): void {
    this.slices(serviceKey).set(name, DELETED);
  }

  /**
   * A delete event of a slice: whatever was expected of it, it is gone now (deleted by someone
   * else, it would otherwise be waited for forever instead of being made again).
   */
  sawDeleted(serviceKey: string, name: string): void {
    const mine = this.written.get(serviceKey);
    mine?.delete(name);
    if (mine?.size === 0) this.written.delete(serviceKey);
  }

  forget(serviceKey: string): void {
    this.written.delete(serviceKey);
  }

  /**
   * Whether the cached slices reflect every write made for the Service. Writes the cache has
   * caught up with are forgotten.
   */
  cacheIsCurrent(serviceKey: string, cached: readonly EndpointSlice[]): boolean {
    const mine = this.written.get(serviceKey);
    if (!mine) return true;
    const byName = new Map(cached.map((s) => [s.metadata!.name!, s]));
    let current = true;
    for (const [name, rv] of mine) {
      const seen = byName.get(name);
      const caughtUp = rv === DELETED ? !seen : !!seen && !olderThan(seen.metadata?.resourceVersion ?? '', rv);
      if (caughtUp) mine.delete(name);
      else current = false;
    }
    if (mine.size === 0) this.written.delete(serviceKey);
    return current;
  }

  private slices(serviceKey: string): Map<string, string> {
    let m = this.written.get(serviceKey);
    if (!m) this.written.set(serviceKey, (m = new Map()));
    return m;
  }
}

/** resourceVersions are opaque, but Berth's (and etcd's) are increasing integers. */
function olderThan(seen: string, written: string): boolean {
  if (/^\d+$/.test(seen) && /^\d+$/.test(written)) return BigInt(seen) < BigInt(written);
  return seen !== written;
}
