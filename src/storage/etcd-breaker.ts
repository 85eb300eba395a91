// The per-member circuit breaker of the etcd client. etcd3's default one refuses a member for
// 5 s after three failed calls, so once etcd was back every request and every watch stream kept
// failing for up to 5 s more (the API answered 503 and the watch cache lagged while /readyz was
// already fine). This one pauses a failing member for a short time only: long enough for a
// multi-member client to prefer another member, short enough to notice a recovery at once.

export class MemberPausedError extends Error {
  constructor(untilMs: number) {
    super(`etcd member paused after repeated failures (circuit breaker is open for ${untilMs} ms more)`);
    this.name = 'MemberPausedError';
  }
}

export interface BreakerOptions {
  /** Which errors say the member is unreachable (etcd3's isRecoverableError). */
  isFailure: (err: Error) => boolean;
  /** Consecutive failures that pause the member. */
  threshold?: number;
  pauseMs?: number;
  now?: () => number;
}

/** The shape of etcd3's fault-handling policy that its connection pool uses: execute only. */
export class ShortBreaker {
  private failures = 0;
  private pausedUntil = 0;
  private readonly threshold: number;
  private readonly pauseMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.threshold = opts.threshold ?? 3;
    this.pauseMs = opts.pauseMs ?? 500;
    this.now = opts.now ?? Date.now;
  }

  async execute<T>(fn: () => PromiseLike<T> | T): Promise<T> {
    const left = this.pausedUntil - this.now();
    if (left > 0) throw new MemberPausedError(left);
    try {
      const v = await fn();
      this.failures = 0;
      return v;
    } catch (e) {
      if (this.opts.isFailure(e as Error) && ++this.failures >= this.threshold) this.pausedUntil = this.now() + this.pauseMs;
      throw e;
    }
  }
}
