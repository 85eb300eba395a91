// Controller expectations, as upstream's UIDTrackingControllerExpectations: a controller that
// has just asked for N creates (or for these deletes) must not act on the same object again
// until its informer has seen them all — else a burst of events before the watch catches up
// would create or delete too many. Expectations that never come true expire (5 minutes).

/** Upstream's ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  /** Keys ("namespace/name") of the objects whose deletion we wait to see. */
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /**
   * Whether the controller may act on key: no expectations recorded, all of them observed, or
   * recorded so long ago that the events must have been missed.
   */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.deletes.size === 0) return true;
    return this.now() - e.at > this.ttlMs;
  }

  /** Milliseconds until key's unmet expectations expire (undefined when none are pending). */
  expiresIn(key: string): number | undefined {
    const e = this.byKey.get(key);
    if (!e || this.satisfied(key)) return undefined;
    return Math.max(0, e.at + this.ttlMs - this.now());
  }

  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { add: n, deletes: new Set(), at: this.now() });
  }

  expectDeletions(key: string, objectKeys: string[]): void {
    this.byKey.set(key, { add: 0, deletes: new Set(objectKeys), at: this.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  /** A deletion counts once per expected object, whether seen as a deletionTimestamp or a delete. */
  deletionObserved(key: string, objectKey: string): void {
    this.byKey.get(key)?.deletes.delete(objectKey);
  }

  /** Pending counts, for tests and logs. */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.byKey.get(key);
    return e ? { add: e.add, del: e.deletes.size } : undefined;
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
