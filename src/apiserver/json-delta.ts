// A text encoded as the differences from a reference text: runs copied from the reference and
// literal runs in between (LZ77 with the reference as its only window). The watch cache keeps
// most objects this way (cold-entries.ts): the pods of one ReplicaSet differ from each other in
// a few names, uids, times and addresses, so a 4.8 KB pod becomes ~300-500 characters.
//
// The encoded form is a string: literal text as it is, and each copy as U+0001 followed by its
// offset and length in the reference, each a little-endian base-64 number whose digits are the
// characters U+0080-U+00BF (last digit) and U+00C0-U+00FF (more follow). JSON text never holds
// a raw U+0001 (JSON.stringify escapes control characters and the grammar forbids them), so a
// literal run ends at the next one; a text that holds one is not encoded.

/** Bytes hashed to find a candidate match. */
const GRAM = 8;
/** A copy shorter than this costs more than the literal it replaces (tag, two numbers). */
const MIN_COPY = 12;
const COPY_TAG = 0x01;
/** References are at most this long: the offsets of the index are positions in them. */
export const MAX_REFERENCE_LENGTH = 64 * 1024;

/**
 * A text other texts are encoded against. Its index (where each 8-byte gram occurs) is built
 * when it first encodes, and may be dropped (`forgetIndex`) while it only decodes: the encoded
 * texts keep the reference alive, not its index.
 */
export class DeltaReference {
  private bytes?: Buffer;
  private table?: Int32Array;
  private mask = 0;

  constructor(readonly text: string) {
    if (text.length > MAX_REFERENCE_LENGTH) throw new RangeError(`a delta reference is at most ${MAX_REFERENCE_LENGTH} characters`);
  }

  get indexed(): boolean {
    return this.table !== undefined;
  }

  forgetIndex(): void {
    this.bytes = undefined;
    this.table = undefined;
  }

  /**
   * `s` encoded against this reference, or undefined when it cannot be (it holds U+0001, or a
   * character outside Latin-1 made the byte comparison unsound: every result is checked by
   * decoding it).
   */
  encode(s: string): string | undefined {
    if (s.indexOf('\x01') >= 0) return undefined;
    const ref = this.indexedBytes();
    const table = this.table!;
    const mask = this.mask;
    const b = Buffer.from(s, 'latin1');
    const n = b.length;
    // Literal bytes are copied as they are and a copy (≥ 12 bytes) is written in at most 7, so
    // the output is never longer than the input.
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    let lit = 0;
    let i = 0;
    while (i + GRAM <= n) {
      const p = table[gramHash(b, i) & mask]!;
      if (p >= 0 && b[i] === ref[p]) {
        let len = 0;
        while (i + len < n && p + len < ref.length && b[i + len] === ref[p + len]) len++;
        let back = 0;
        while (back < i - lit && back < p && b[i - back - 1] === ref[p - back - 1]) back++;
        if (len + back >= MIN_COPY) {
          o += b.copy(out, o, lit, i - back);
          out[o++] = COPY_TAG;
          o = writeNumber(out, o, p - back);
          o = writeNumber(out, o, len + back);
          i += len;
          lit = i;
          continue;
        }
      }
      i++;
    }
    o += b.copy(out, o, lit, n);
    const encoded = out.toString('latin1', 0, o);
    return this.decode(encoded) === s ? encoded : undefined;
  }

  /** The text `encoded` (from encode) stands for. */
  decode(encoded: string): string {
    const ref = this.text;
    let out = '';
    let at = 0;
    for (;;) {
      const tag = encoded.indexOf('\x01', at);
      if (tag < 0) return at === 0 ? encoded : out + encoded.slice(at);
      if (tag > at) out += encoded.slice(at, tag);
      let j = tag + 1;
      let offset = 0;
      let scale = 1;
      let c: number;
      while ((c = encoded.charCodeAt(j++)) >= 0xc0) {
        offset += (c & 63) * scale;
        scale *= 64;
      }
      offset += (c & 63) * scale;
      let length = 0;
      scale = 1;
      while ((c = encoded.charCodeAt(j++)) >= 0xc0) {
        length += (c & 63) * scale;
        scale *= 64;
      }
      length += (c & 63) * scale;
      out += ref.slice(offset, offset + length);
      at = j;
    }
  }

  private indexedBytes(): Buffer {
    if (this.bytes) return this.bytes;
    const bytes = Buffer.from(this.text, 'latin1');
    // About one slot per position: a power of two, so a mask picks the slot.
    let size = 256;
    while (size < bytes.length) size *= 2;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    // The first occurrence of a gram wins: in JSON the first of repeated structure is as good a
    // start as any, and it keeps the scan from preferring matches near the end.
    for (let i = bytes.length - GRAM; i >= 0; i--) table[gramHash(bytes, i) & mask] = i;
    this.bytes = bytes;
    this.table = table;
    this.mask = mask;
    return bytes;
  }
}

function gramHash(b: Buffer, i: number): number {
  const lo = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  const hi = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24);
  const h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi ^ (lo >>> 13), 0x85ebca6b);
  return h ^ (h >>> 16);
}

function writeNumber(out: Buffer, o: number, n: number): number {
  while (n >= 64) {
    out[o++] = 0xc0 | (n & 63);
    n = Math.floor(n / 64);
  }
  out[o++] = 0x80 | n;
  return o;
}
