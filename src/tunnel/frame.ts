// The agent tunnel's frames: one WebSocket binary message each, a 5-byte header (type, stream
// id) and a payload. Only the API server opens streams; the agent connects each to its own
// endpoint. Flow control is per stream and credit based (as HTTP/2's WINDOW_UPDATE): a sender
// may have at most the receiver's window of DATA bytes unacknowledged, so neither side buffers
// more than that per stream however slow its reader.

export const FrameType = {
  /** Server -> agent: connect a new stream to the agent's endpoint. */
  Open: 1,
  /** Agent -> server: the stream is connected; data may flow. */
  Opened: 2,
  Data: 3,
  /** The sender writes no more (half-close); the other direction goes on. */
  End: 4,
  /** The stream is gone both ways; the payload says why (UTF-8, may be empty). */
  Reset: 5,
  /** The receiver consumed this many more bytes (u32 payload): the sender may send them. */
  Window: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  id: number;
  payload: Buffer;
}

const HEADER = 5;
const MAX_ID = 0xffffffff;

export function encodeFrame(type: FrameType, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(HEADER + payload.length);
  b.writeUInt8(type, 0);
  b.writeUInt32BE(id, 1);
  payload.copy(b, HEADER);
  return b;
}

export function windowFrame(id: number, bytes: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(bytes, 0);
  return encodeFrame(FrameType.Window, id, p);
}

/** Parses one message; throws on anything malformed (the tunnel is then closed, not guessed at). */
export function decodeFrame(b: Buffer): Frame {
  if (b.length < HEADER) throw new Error(`tunnel frame of ${b.length} bytes is shorter than its header`);
  const type = b.readUInt8(0);
  if (type < FrameType.Open || type > FrameType.Window) throw new Error(`unknown tunnel frame type ${type}`);
  const id = b.readUInt32BE(1);
  if (id === 0 || id > MAX_ID) throw new Error('tunnel frame with stream id 0');
  const payload = b.subarray(HEADER);
  if (type === FrameType.Window && payload.length !== 4) throw new Error(`tunnel window frame with a ${payload.length}-byte payload`);
  return { type: type as FrameType, id, payload };
}
