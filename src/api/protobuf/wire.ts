// Protocol buffers wire format reading: just what decoding Kubernetes objects needs.

export class ProtobufError extends Error {}

export interface WireField {
  field: number;
  wireType: number;
  /** varint (as bigint, to keep int64 exact), fixed64/fixed32 raw bytes, or length-delimited bytes. */
  varint?: bigint;
  bytes?: Uint8Array;
}

export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new ProtobufError('truncated varint');
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new ProtobufError('varint too long');
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field === 0) throw new ProtobufError('invalid field number 0');
    switch (wireType) {
      case 0:
        out.push({ field, wireType, varint: varint() });
        break;
      case 1:
        if (i + 8 > buf.length) throw new ProtobufError('truncated fixed64');
        out.push({ field, wireType, bytes: buf.subarray(i, i + 8) });
        i += 8;
        break;
      case 2: {
        const len = Number(varint());
        if (i + len > buf.length) throw new ProtobufError('truncated length-delimited field');
        out.push({ field, wireType, bytes: buf.subarray(i, i + len) });
        i += len;
        break;
      }
      case 5:
        if (i + 4 > buf.length) throw new ProtobufError('truncated fixed32');
        out.push({ field, wireType, bytes: buf.subarray(i, i + 4) });
        i += 4;
        break;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }
  return out;
}

/** Two's complement view of a varint as a signed 64-bit integer. */
export function signed64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}
