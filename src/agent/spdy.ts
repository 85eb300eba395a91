// The part of SPDY/3.1 a remotecommand client needs (what client-go speaks to a kubelet's or a
// runtime's streaming server through moby/spdystream): frames, and header blocks.
//
// Header blocks are zlib-compressed with one stream per direction. The server's are only ever
// skipped here (a client needs no header a streaming server replies with), so no inflater and
// none of SPDY's compression dictionary is needed; ours are written as stored (uncompressed)
// deflate blocks, each flushed as a sync flush would, which any zlib reader takes, with or
// without the dictionary.

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;

export type Frame = { control: true; type: number; flags: number; payload: Buffer } | { control: false; streamId: number; flags: number; data: Buffer };

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, data: Buffer, fin = false): Buffer {
  if (data.length > 0xffffff) throw new Error('SPDY data frame too large');
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
  return Buffer.concat([h, data]);
}

export function pingFrame(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return controlFrame(FrameType.Ping, 0, p);
}

/** The uncompressed header block: pair count, then each name and value with its 32-bit length. */
export function headerBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [k, v] of entries) {
    // SPDY/3 header names are lowercase on the wire (the Go framer rejects others).
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(v);
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

/** Our direction's zlib stream of header blocks: a zlib header once, then stored deflate blocks. */
export class HeaderWriter {
  private started = false;

  encode(headers: Record<string, string>): Buffer {
    const raw = headerBlock(headers);
    const out: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32K window), FLG 0x01: no dictionary, and CMF*256+FLG divisible by 31.
      out.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    // A stored block holds at most 65535 bytes; a header block is never empty (its pair count).
    for (let off = 0; off < raw.length; off += 0xffff) {
      const chunk = raw.subarray(off, off + 0xffff);
      const h = Buffer.alloc(5);
      // BFINAL 0 and BTYPE 00 (stored) in the first bits, the rest of the byte padding.
      h[0] = 0;
      h.writeUInt16LE(chunk.length, 1);
      h.writeUInt16LE(~chunk.length & 0xffff, 3);
      out.push(h, chunk);
    }
    // An empty stored block, as a zlib sync flush ends with: a reader (Go's flate) hands out the
    // block's bytes only when it reaches the next block, so each header block needs one after it.
    out.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(out);
  }
}

export function synStreamFrame(streamId: number, headers: Record<string, string>, w: HeaderWriter, flags = 0): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & 0x7fffffff, 0);
  fixed.writeUInt32BE(0, 4); // associated-to stream: none
  fixed[8] = 0; // priority 0 (highest), unused bits
  fixed[9] = 0; // credential slot
  return controlFrame(FrameType.SynStream, flags, Buffer.concat([fixed, w.encode(headers)]));
}

export function goAwayFrame(lastGoodStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.GoAway, 0, p);
}

/** Splits bytes as they arrive into frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4]!;
      const body = this.buf.subarray(8, 8 + len);
      if (this.buf[0]! & 0x80) frames.push({ control: true, type: this.buf.readUInt16BE(2), flags, payload: body });
      else frames.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data: body });
      this.buf = this.buf.subarray(8 + len);
    }
    return frames;
  }
}

/** The stream a control frame is about (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE). */
export function controlStreamId(f: Frame & { control: true }): number | undefined {
  if (f.payload.length < 4) return undefined;
  if (([FrameType.SynStream, FrameType.SynReply, FrameType.RstStream, FrameType.Headers, FrameType.WindowUpdate] as number[]).includes(f.type))
    return f.payload.readUInt32BE(0) & 0x7fffffff;
  return undefined;
}
