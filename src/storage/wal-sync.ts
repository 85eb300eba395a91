// How the SQLite store makes its WAL durable: fdatasync on the event loop's thread while the
// disk answers in well under a millisecond (a quiet disk: ~0.18 ms here, against ~0.28 ms for
// the same call through libuv's pool, whose hand-off a closed loop of clients waits for), and
// on the pool once flushes get slow (a busy disk takes ~5 ms: blocking the thread that long per
// commit held a loaded server 20–26 % of the time). The choice follows a moving average of
// the flushes' durations.
import { fdatasync, fdatasyncSync } from 'node:fs';

/** A flush slower than this on average goes to the pool. */
export const INLINE_BELOW_MS = 0.5;
/** Weight of the newest duration in the moving average. */
const ALPHA = 0.2;

export interface FileSync {
  /** Blocks the thread until fd's data is on disk. */
  inline(fd: number): void;
  /** The same, on libuv's pool. */
  pooled(fd: number): Promise<void>;
}

const fsSync: FileSync = {
  inline: (fd) => fdatasyncSync(fd),
  pooled: (fd) => new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve()))),
};

export class AdaptiveSync {
  /** Starts on the pool: nothing is known of the disk yet. */
  private averageMs = INLINE_BELOW_MS;

  constructor(
    private readonly sync: FileSync = fsSync,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the next flush runs on the thread. */
  get inline(): boolean {
    return this.averageMs < INLINE_BELOW_MS;
  }

  async flush(fd: number): Promise<void> {
    const start = this.now();
    if (this.inline) this.sync.inline(fd);
    else await this.sync.pooled(fd);
    this.averageMs += ALPHA * (this.now() - start - this.averageMs);
  }
}
