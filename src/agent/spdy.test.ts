import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, inflateSync } from 'node:zlib';
import { FrameReader, FrameType, HeaderWriter, controlStreamId, dataFrame, pingFrame, synStreamFrame } from './spdy.js';

/** The header block of a SYN_STREAM: after the 8-byte frame header and the 10 fixed bytes. */
const block = (frame: Buffer) => frame.subarray(18);

function parsePairs(raw: Buffer): Array<[string, string]> {
  const n = raw.readUInt32BE(0);
  const out: Array<[string, string]> = [];
  let off = 4;
  for (let i = 0; i < n; i++) {
    const kl = raw.readUInt32BE(off);
    const k = raw.subarray(off + 4, off + 4 + kl).toString();
    off += 4 + kl;
    const vl = raw.readUInt32BE(off);
    out.push([k, raw.subarray(off + 4, off + 4 + vl).toString()]);
    off += 4 + vl;
  }
  return out;
}

test('SYN_STREAM frames: SPDY/3 control header, stream id, lowercase header names in one zlib stream', () => {
  const w = new HeaderWriter();
  const a = synStreamFrame(1, { streamType: 'error' }, w);
  const b = synStreamFrame(3, { streamType: 'stdin' }, w);
  assert.deepEqual([...a.subarray(0, 4)], [0x80, 0x03, 0x00, FrameType.SynStream]);
  assert.equal(a.readUInt32BE(4) & 0xffffff, a.length - 8);
  assert.equal(a.readUInt32BE(8), 1);
  assert.equal(b.readUInt32BE(8), 3);
  // Each block ends as a sync flush does, so a reader gets every block's bytes with its frame.
  for (const f of [a, b]) assert.deepEqual([...f.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
  // The zlib header comes once, with the first block; together the blocks are one zlib stream.
  assert.deepEqual([...block(a).subarray(0, 2)], [0x78, 0x01]);
  assert.notEqual(block(b)[0], 0x78);
  assert.deepEqual(parsePairs(inflateSync(block(a), { finishFlush: constants.Z_SYNC_FLUSH })), [['streamtype', 'error']]);
  const both = inflateSync(Buffer.concat([block(a), block(b)]), { finishFlush: constants.Z_SYNC_FLUSH });
  const first = parsePairs(both);
  assert.deepEqual(first, [['streamtype', 'error']]);
  assert.deepEqual(parsePairs(both.subarray(4 + 4 + 10 + 4 + 5)), [['streamtype', 'stdin']]);
});

test('frames are read back whole however the bytes arrive', () => {
  const reply = Buffer.from('800300020000000c000000050000000000000000', 'hex');
  const bytes = Buffer.concat([dataFrame(5, Buffer.from('hello')), reply, dataFrame(5, Buffer.alloc(0), true), pingFrame(2)]);
  const r = new FrameReader();
  const frames = [];
  for (let i = 0; i < bytes.length; i += 3) frames.push(...r.push(bytes.subarray(i, i + 3)));
  assert.equal(frames.length, 4);
  const [data, syn, fin, ping] = frames;
  assert.deepEqual(data, { control: false, streamId: 5, flags: 0, data: Buffer.from('hello') });
  assert.ok(syn!.control && syn.type === FrameType.SynReply);
  assert.equal(controlStreamId(syn as Extract<typeof syn, { control: true }>), 5);
  assert.deepEqual(fin, { control: false, streamId: 5, flags: 1, data: Buffer.alloc(0) });
  assert.ok(ping!.control && ping.type === FrameType.Ping && ping.payload.readUInt32BE(0) === 2);
});
