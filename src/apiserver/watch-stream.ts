// Writing a watch's events to a client that may be slow or may never read: events wait in a
// queue while the socket is backed up, and a watcher that falls too far behind is ended, as
// upstream's cacher ends a watcher whose buffer stays full (the client re-watches from its
// last resourceVersion, or re-lists on 410). Without this, ten clients that stopped reading
// held ~178 MB of undelivered events each.
import type { ServerResponse } from 'node:http';
import { warnOf, type LogFn } from '../log/logger.js';
import { utf8Concat } from './respond.js';

export interface WatchStreamLimits {
  /** Events a watcher may have waiting, not yet handed to its socket. */
  maxPendingEvents: number;
  /** Bytes a watcher may have waiting: its queue plus what its socket has not sent yet. */
  maxPendingBytes: number;
  /** Bytes all watchers together may have waiting; past it the one furthest behind is ended. */
  maxTotalBytes: number;
}

export const DEFAULT_WATCH_STREAM_LIMITS: WatchStreamLimits = {
  maxPendingEvents: 1000,
  maxPendingBytes: 16 * 1024 * 1024,
  maxTotalBytes: 128 * 1024 * 1024,
};

/** The watch streams of one server, and the bytes they hold together. */
export class WatchStreams {
  private readonly streams = new Set<WatchStream>();
  private total = 0;
  /** Watchers ended for falling behind, since start. */
  ended = 0;

  constructor(
    readonly limits: WatchStreamLimits = DEFAULT_WATCH_STREAM_LIMITS,
    private readonly log: LogFn = () => {},
  ) {}

  get pendingBytes(): number {
    return this.total;
  }

  open(res: ServerResponse, what: string): WatchStream {
    const s = new WatchStream(res, what, this);
    this.streams.add(s);
    return s;
  }

  /** @internal */
  track(s: WatchStream, delta: number): void {
    this.total += delta;
    while (this.total > this.limits.maxTotalBytes) {
      let furthest: WatchStream | undefined;
      for (const x of this.streams) if (!furthest || x.pending > furthest.pending) furthest = x;
      if (!furthest || furthest.pending === 0) break;
      furthest.terminate(`the watchers together hold over ${this.limits.maxTotalBytes} bytes of undelivered events`);
    }
  }

  /** @internal */
  closed(s: WatchStream, reason?: string): void {
    this.streams.delete(s);
    if (reason) {
      this.ended++;
      warnOf(this.log)(`ending watch ${s.what}: client too slow: ${reason}`);
    }
  }
}

/**
 * Characters of events handed to the socket in one write. Events that come within one turn of the
 * event loop go out together (a burst of changes is one write and one wake-up of the client, not
 * one per event); a batch this large goes at once.
 */
const BATCH_CHARS = 64 * 1024;

/**
 * Bytes a watcher's socket may hold that it has not sent yet before its queue waits for 'drain'.
 * Past Node's 16 KB high-water mark: stopping there handed a socket one batch per turn of the
 * event loop, and a loaded server's turns are long, so watchers that read fine fell behind.
 */
const SOCKET_AHEAD_BYTES = 1024 * 1024;

/** One watch response. Lines are written in order; write() never blocks and never buffers without bound. */
export class WatchStream {
  private queue: string[] = [];
  /** Characters queued since the last flush, and whether one is scheduled for this turn. */
  private unflushed = 0;
  private flushScheduled = false;
  private queueHead = 0;
  /** Events of the queue that count against the limits, and their characters. */
  private countedEvents = 0;
  private countedBytes = 0;
  private counted: boolean[] = [];
  /** What was last reported to the server-wide total. */
  private tracked = 0;
  private done = false;
  private ending = false;
  private endTimer?: NodeJS.Timeout;
  /** Called once when the stream is over, whichever way. */
  onClose?: () => void;

  constructor(
    private readonly res: ServerResponse,
    readonly what: string,
    private readonly owner: WatchStreams,
  ) {
    res.on('drain', () => this.flush());
    res.on('close', () => this.finish());
  }

  /** Bytes held for this watcher: its counted queue and its socket's unsent data. */
  get pending(): number {
    return this.done ? 0 : this.countedBytes + this.res.writableLength;
  }

  get isClosed(): boolean {
    return this.done || this.ending;
  }

  /**
   * Queues a line. `counted`: whether it counts against the limits. The initial events of a
   * watch don't: they are references to the cache's current objects and are written as the
   * socket takes them, however many there are.
   */
  write(line: string, counted = true): void {
    if (this.done || this.ending) return;
    this.queue.push(line);
    this.counted.push(counted);
    if (counted) {
      this.countedEvents++;
      this.countedBytes += line.length;
    }
    this.unflushed += line.length;
    if (this.unflushed >= BATCH_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    if (this.done) return;
    const { maxPendingEvents, maxPendingBytes } = this.owner.limits;
    if (this.countedEvents > maxPendingEvents) return this.terminate(`${this.countedEvents} events pending (limit ${maxPendingEvents})`);
    if (this.pending > maxPendingBytes) return this.terminate(`${this.pending} bytes pending (limit ${maxPendingBytes})`);
    this.report();
  }

  /** Ends the response once what is queued is sent; a client that doesn't take it within 10 s is cut off. */
  end(): void {
    if (this.done || this.ending) return;
    this.ending = true;
    this.flush();
    this.endTimer = setTimeout(() => this.res.destroy(), 10_000);
    this.endTimer.unref();
  }

  /** Ends a watcher that is too far behind: what it has not received is dropped. */
  terminate(reason: string): void {
    if (this.done) return;
    this.finish(reason);
    this.res.destroy();
  }

  /** At most a quarter of what the watcher may hold: the rest is for its queue. */
  private get socketAhead(): number {
    return Math.min(SOCKET_AHEAD_BYTES, this.owner.limits.maxPendingBytes / 4);
  }

  private flush(): void {
    this.unflushed = 0;
    while (this.queueHead < this.queue.length && !this.done) {
      if (this.res.writableLength >= this.socketAhead) break;
      const batch: string[] = [];
      let chars = 0;
      while (this.queueHead < this.queue.length && (chars === 0 || chars + this.queue[this.queueHead]!.length <= BATCH_CHARS)) {
        const line = this.queue[this.queueHead]!;
        if (this.counted[this.queueHead]) {
          this.countedEvents--;
          this.countedBytes -= line.length;
        }
        this.queue[this.queueHead] = '';
        this.queueHead++;
        batch.push(line);
        chars += line.length;
      }
      this.res.write(utf8Concat(batch));
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.counted = [];
      this.queueHead = 0;
      // The end waits for the socket to drain (the 'drain' handler comes back here): a client that
      // has the end may send its next request on the connection, and one arriving while the socket
      // still needs draining is reset by Node over TLS (see endWithBody in respond.ts).
      if (this.ending && !this.done && !this.res.writableNeedDrain) {
        this.res.end();
        return;
      }
    }
    this.report();
  }

  private report(): void {
    const now = this.pending;
    if (now === this.tracked) return;
    const delta = now - this.tracked;
    this.tracked = now;
    this.owner.track(this, delta);
  }

  private finish(reason?: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.endTimer);
    this.queue = [];
    this.counted = [];
    this.queueHead = 0;
    this.countedEvents = 0;
    this.countedBytes = 0;
    this.owner.track(this, -this.tracked);
    this.tracked = 0;
    this.owner.closed(this, reason);
    this.onClose?.();
  }
}
