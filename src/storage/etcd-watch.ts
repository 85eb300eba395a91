// One etcd watch of a key range that never skips a revision across lost streams.
//
// etcd3's own watcher resumes a broken stream from the header revision of the last response it
// got, and etcd stamps every response (the "created" one included) with the store's *current*
// revision, not with the revision of the events it carries. A stream lost while etcd was still
// sending catch-up events therefore resumed past them: those changes were never delivered and
// nothing said so. Here each watch owns its gRPC stream and resumes from the last event it
// delivered + 1, as etcd's Go client does; a resume point etcd has compacted away ends the watch
// with CompactedError so that the caller re-lists.
import type { IWatchRequest, IWatchResponse, IDuplexStream, IEvent } from 'etcd3/lib/rpc.js';
import { CompactedError } from './store.js';

export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export interface ResumingWatchSink {
  /** Changes in revision order, each revision delivered once. */
  events(events: IEvent[]): void;
  /** A stream is (re)established; `revision` is etcd's revision when it was created. */
  resumed(revision: number): void;
  /** The stream broke; it is being re-established from the next undelivered revision. */
  interrupted(reason: string): void;
  /** etcd's per-watch progress notification: every change up to `revision` was delivered. */
  progress(revision: number): void;
  /** The watch cannot go on (compacted resume point, or etcd refused it): final. */
  failed(err: Error): void;
}

export interface ResumingWatchOptions {
  key: Buffer;
  rangeEnd: Buffer;
  /** Deliver changes with a revision above this one. */
  fromRevision: number;
  /** Opens a new bidirectional Watch stream (etcd3's watchClient.watch). */
  open: () => Promise<WatchStream>;
  sink: ResumingWatchSink;
  /** First pause before re-opening a lost stream; doubles up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export class ResumingWatch {
  /** The next revision this watch has not delivered: where a new stream starts. */
  private next: number;
  private stream?: WatchStream;
  private watchId?: string;
  private stopped = false;
  private retryMs: number;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly opts: ResumingWatchOptions) {
    this.next = opts.fromRevision + 1;
    this.retryMs = opts.minRetryMs ?? 100;
    void this.connect();
  }

  /** The first revision a stream opened now would start from. */
  get nextRevision(): number {
    return this.next;
  }

  cancel(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const s = this.stream;
    this.stream = undefined;
    if (s) close(s);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let stream: WatchStream;
    try {
      stream = await this.opts.open();
    } catch (e) {
      return this.lost(undefined, (e as Error).message);
    }
    if (this.stopped) return close(stream);
    this.stream = stream;
    this.watchId = undefined;
    stream.on('data', (res) => this.onResponse(stream, res));
    stream.on('error', (err) => this.lost(stream, err.message));
    stream.on('end', () => this.lost(stream, 'stream ended'));
    stream.write({
      create_request: {
        key: this.opts.key,
        range_end: this.opts.rangeEnd,
        start_revision: String(this.next),
        prev_kv: true,
        progress_notify: true,
      },
    });
  }

  private onResponse(stream: WatchStream, res: IWatchResponse): void {
    if (this.stopped || stream !== this.stream) return;
    // etcd answers a compacted start revision with a cancel carrying compact_revision (after or
    // together with "created", depending on the version).
    if (Number(res.compact_revision) > 0) {
      return this.fail(new CompactedError(this.next - 1, Number(res.compact_revision)));
    }
    if (res.created) {
      if (res.canceled) return this.fail(new Error(`etcd refused the watch: ${res.cancel_reason || 'canceled'}`));
      this.watchId = res.watch_id;
      this.retryMs = this.opts.minRetryMs ?? 100;
      this.opts.sink.resumed(Number(res.header.revision));
      return;
    }
    if (res.canceled) return this.lost(stream, `etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`);
    if (res.events.length) {
      // Defensive: a revision already delivered is never delivered twice.
      const fresh = res.events.filter((ev) => Number(ev.kv.mod_revision) >= this.next);
      if (!fresh.length) return;
      this.next = Number(fresh.at(-1)!.kv.mod_revision) + 1;
      this.opts.sink.events(fresh);
      return;
    }
    // An empty response for this watch is etcd's progress notification: etcd sends it only to a
    // watch that has been sent everything up to the header revision, through the same queue as
    // its events. (Progress *requested* on the stream comes with watch_id -1 and, before etcd
    // 3.4.31/3.5.13, may overtake pending events, so it is not used.)
    if (res.watch_id !== this.watchId) return;
    const rev = Number(res.header.revision);
    if (rev + 1 > this.next) this.next = rev + 1;
    this.opts.sink.progress(rev);
  }

  private lost(stream: WatchStream | undefined, reason: string): void {
    if (this.stopped || stream !== this.stream) return;
    this.stream = undefined;
    if (stream) close(stream);
    this.opts.sink.interrupted(reason);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 1000);
  }

  private fail(err: Error): void {
    this.cancel();
    this.opts.sink.failed(err);
  }
}

/**
 * Half-closes, then cancels: etcd3 counts an error on a stream still writable (the CANCELLED a
 * cancel produces included) as a failure of the etcd member, resetting its connections.
 */
function close(stream: WatchStream): void {
  try {
    stream.end();
  } catch {
    // already closed
  }
  stream.cancel();
}
