// Per-key exponential backoff as client-go's flowcontrol.Backoff, which kubelet uses for
// container restarts (10 s doubling to 5 min) and image pulls. A container that exited is kept
// waiting until `backoff` has passed since its exit; an entry whose last update is more than
// twice the maximum older than the event starts over (a container that ran for 10 minutes).

/** Upstream's container restart back-off (kubelet's backOffPeriod and MaxContainerBackOff): 10 s, doubling, at most 5 min. */
export const CONTAINER_BACKOFF_INITIAL_MS = 10_000;
export const CONTAINER_BACKOFF_MAX_MS = 300_000;

/**
 * The same back-off as a pure function, for a runtime that computes a container's next start
 * instead of keeping entries (the simulator): none before the first restart, then 10 s doubling
 * to 5 min; scale shortens it for tests.
 */
export function restartBackoffMs(restartCount: number, scale = 1): number {
  if (restartCount <= 0) return 0;
  return Math.min(CONTAINER_BACKOFF_MAX_MS, CONTAINER_BACKOFF_INITIAL_MS * 2 ** Math.min(restartCount - 1, 30)) * scale;
}

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private expired(e: Entry, eventTime: number): boolean {
    return eventTime - e.lastUpdate > 2 * this.maxMs;
  }

  /** Records a retry of something that happened at eventTime: initialMs first, then doubling up to maxMs. */
  next(key: string, eventTime = this.now()): void {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.now() });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = this.now();
  }

  /** Whether a retry of something that happened at eventTime must still wait. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) return false;
    return this.now() - eventTime < e.backoffMs;
  }

  /** Whether less than the backoff has passed since the last next() (image pulls use this). */
  isInBackOffSinceUpdate(key: string): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(e, this.now())) return false;
    return this.now() - e.lastUpdate < e.backoffMs;
  }

  /** Milliseconds until the backoff since the last next() ends. */
  remainingSinceUpdateMs(key: string): number {
    const e = this.entries.get(key);
    if (!e || !this.isInBackOffSinceUpdate(key)) return 0;
    return Math.max(0, e.lastUpdate + e.backoffMs - this.now());
  }

  /** Milliseconds until a retry of something that happened at eventTime may go (0: now). */
  remainingMs(key: string, eventTime: number): number {
    if (!this.isInBackOffSince(key, eventTime)) return 0;
    return Math.max(0, eventTime + this.entries.get(key)!.backoffMs - this.now());
  }

  /** The current backoff (for messages like "back-off 20s"). */
  currentMs(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with prefix (a pod's, when it goes). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
