// Streams multiplexed over one message transport (the agent tunnel's WebSocket): each stream
// is a Duplex that behaves as a TCP connection would (half-close, reset with a reason), so
// the API server can run TLS and HTTP over it unchanged. frame.ts has the wire format.
import { Duplex } from 'node:stream';
import { FrameType, decodeFrame, encodeFrame, windowFrame } from './frame.js';

/** Bytes a receiver accepts per stream before the sender must wait for its window frames. */
export const DEFAULT_WINDOW = 256 * 1024;
const MAX_DATA_FRAME = 32 * 1024;
export const DEFAULT_MAX_STREAMS = 1024;

export interface MuxOptions {
  /** Sends one frame to the peer. */
  send: (frame: Buffer) => void;
  /** Per-stream receive window; both ends use the same. */
  window?: number;
  /** Streams open at once; more are reset at once. */
  maxStreams?: number;
  /** The accepting side (the agent): called with each stream the peer opens. */
  accept?: (s: TunnelStream) => void;
}

export class Mux {
  private readonly streams = new Map<number, TunnelStream>();
  private nextId = 1;
  private closedWith?: string;
  readonly window: number;
  readonly maxStreams: number;

  constructor(private readonly o: MuxOptions) {
    this.window = o.window ?? DEFAULT_WINDOW;
    this.maxStreams = o.maxStreams ?? DEFAULT_MAX_STREAMS;
  }

  get size(): number {
    return this.streams.size;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Opens a stream to the peer's endpoint; its writes wait until the peer has connected it. */
  open(): TunnelStream {
    const refusal =
      this.closedWith !== undefined
        ? `the tunnel is closed: ${this.closedWith}`
        : this.streams.size >= this.maxStreams
          ? `the tunnel has ${this.maxStreams} streams open already`
          : undefined;
    if (refusal) {
      // Fails as a refused connection would: an error on the stream, after the caller has listened.
      const s = new TunnelStream(this, 0, false);
      process.nextTick(() => s.destroy(new Error(refusal)));
      return s;
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 2;
    const s = new TunnelStream(this, id, false);
    this.streams.set(id, s);
    this.o.send(encodeFrame(FrameType.Open, id));
    return s;
  }

  /** One message from the peer; throws on a malformed one (the caller closes the transport). */
  receive(message: Buffer): void {
    const f = decodeFrame(message);
    if (f.type === FrameType.Open) {
      if (!this.o.accept) throw new Error('this end of the tunnel accepts no streams');
      if (this.streams.has(f.id)) throw new Error(`tunnel stream ${f.id} opened twice`);
      if (this.closedWith !== undefined) return;
      if (this.streams.size >= this.maxStreams)
        return this.o.send(encodeFrame(FrameType.Reset, f.id, Buffer.from(`the agent has ${this.maxStreams} tunnel streams open already`)));
      const s = new TunnelStream(this, f.id, false);
      this.streams.set(f.id, s);
      this.o.accept(s);
      return;
    }
    // A stream this end already reset may still get the peer's frames in flight: dropped.
    const s = this.streams.get(f.id);
    if (!s) return;
    switch (f.type) {
      case FrameType.Opened:
        return s.onOpened();
      case FrameType.Data:
        return s.onData(f.payload);
      case FrameType.End:
        return s.onEnd();
      case FrameType.Reset:
        return s.onReset(f.payload.toString('utf8'));
      case FrameType.Window:
        return s.onWindow(f.payload.readUInt32BE(0));
    }
  }

  /** The transport is gone: every stream fails with reason. */
  close(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const s of [...this.streams.values()]) s.destroy(new Error(reason));
    this.streams.clear();
  }

  /** @internal */
  send(frame: Buffer): void {
    // Stream 0 is a refused open's: it never reached the peer.
    if (this.closedWith === undefined && frame.readUInt32BE(1) !== 0) this.o.send(frame);
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }
}

export class TunnelStream extends Duplex {
  readonly id: number;
  private opened: boolean;
  /** Bytes this end may still send before the peer's next window frame. */
  private credit: number;
  /** Bytes received and bytes given back as window: their difference is what the peer has in flight or buffered here. */
  private received = 0;
  private returned = 0;
  private pending?: { chunk: Buffer; cb: (e?: Error | null) => void };
  private finalCb?: (e?: Error | null) => void;
  private endSent = false;
  private endReceived = false;
  private resetByPeer = false;

  constructor(
    private readonly mux: Mux,
    id: number,
    opened: boolean,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: mux.window });
    this.id = id;
    this.opened = opened;
    this.credit = mux.window;
  }

  /** The accepting side: the stream is connected at its end, data may flow. */
  accept(): void {
    if (this.opened || this.destroyed) return;
    this.opened = true;
    this.mux.send(encodeFrame(FrameType.Opened, this.id));
    this.flush();
  }

  /** @internal */
  onOpened(): void {
    if (this.opened) return;
    this.opened = true;
    this.emit('opened');
    this.flush();
  }

  /** @internal */
  onData(payload: Buffer): void {
    if (this.endReceived) {
      this.destroy(new Error(`tunnel stream ${this.id}: data after its end`));
      return;
    }
    if (this.received + payload.length - this.returned > this.mux.window) {
      this.destroy(new Error(`tunnel stream ${this.id}: the peer sent more than its window`));
      return;
    }
    this.received += payload.length;
    this.push(payload);
    this.scheduleWindow();
  }

  /** @internal */
  onEnd(): void {
    if (this.endReceived) return;
    this.endReceived = true;
    this.push(null);
  }

  /** @internal */
  onReset(reason: string): void {
    this.resetByPeer = true;
    this.destroy(new Error(reason || `tunnel stream ${this.id} reset by the peer`));
  }

  /** @internal */
  onWindow(bytes: number): void {
    this.credit += bytes;
    this.flush();
  }

  override _read(): void {
    // Window goes back as the reader takes data out (read() below, and after each push for a
    // reader in flowing mode that takes chunks before they are buffered), not here: the stream
    // calls _read before the chunk it is reading has left the buffer, and not again until more
    // data is pushed, which the peer sends only once it has window.
  }

  override read(size?: number): unknown {
    const r: unknown = super.read(size);
    this.scheduleWindow();
    return r;
  }

  private windowScheduled = false;

  private scheduleWindow(): void {
    if (this.windowScheduled) return;
    this.windowScheduled = true;
    process.nextTick(() => {
      this.windowScheduled = false;
      if (this.destroyed) return;
      // In batches (a quarter window) unless the buffer is empty, so that a waiting sender
      // always resumes: every read schedules this again.
      const consumed = this.received - this.readableLength - this.returned;
      if (consumed <= 0) return;
      if (consumed < this.mux.window / 4 && this.readableLength > 0) return;
      this.returned += consumed;
      this.mux.send(windowFrame(this.id, consumed));
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.pending = { chunk, cb };
    this.flush();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.finalCb = cb;
    this.flush();
  }

  /** Sends what credit allows; a write's callback runs once all of it is sent (backpressure). */
  private flush(): void {
    if (!this.opened || this.destroyed) return;
    while (this.pending && this.credit > 0) {
      const { chunk, cb } = this.pending;
      const n = Math.min(chunk.length, this.credit, MAX_DATA_FRAME);
      this.mux.send(encodeFrame(FrameType.Data, this.id, chunk.subarray(0, n)));
      this.credit -= n;
      if (n === chunk.length) {
        this.pending = undefined;
        cb();
      } else this.pending = { chunk: chunk.subarray(n), cb };
    }
    if (!this.pending && this.finalCb) {
      const cb = this.finalCb;
      this.finalCb = undefined;
      this.endSent = true;
      this.mux.send(encodeFrame(FrameType.End, this.id));
      cb();
    }
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.resetByPeer && !(this.endSent && this.endReceived)) {
      this.mux.send(encodeFrame(FrameType.Reset, this.id, Buffer.from(err?.message ?? '')));
    }
    this.mux.forget(this.id);
    const waiting = this.pending?.cb ?? this.finalCb;
    this.pending = undefined;
    this.finalCb = undefined;
    waiting?.(err ?? new Error(`tunnel stream ${this.id} closed`));
    cb(err);
  }
}
