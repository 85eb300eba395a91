import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Mux, type TunnelStream } from './mux.js';
import { FrameType, decodeFrame, encodeFrame, windowFrame } from './frame.js';

/** Two ends joined as a transport would (asynchronously), counting the DATA bytes each way. */
function pair(o: { accept: (s: TunnelStream) => void; window?: number; maxStreams?: number }) {
  const sent = { toAgent: 0, toServer: 0, frames: [] as Array<{ dir: string; type: number }> };
  let server!: Mux;
  const agent: Mux = new Mux({
    window: o.window,
    maxStreams: o.maxStreams,
    accept: o.accept,
    send: (f) => {
      const d = decodeFrame(f);
      if (d.type === FrameType.Data) sent.toServer += d.payload.length;
      sent.frames.push({ dir: 'toServer', type: d.type });
      setImmediate(() => server.receive(f));
    },
  });
  server = new Mux({
    window: o.window,
    send: (f) => {
      const d = decodeFrame(f);
      if (d.type === FrameType.Data) sent.toAgent += d.payload.length;
      sent.frames.push({ dir: 'toAgent', type: d.type });
      setImmediate(() => agent.receive(f));
    },
  });
  return { server, agent, sent };
}

function readAll(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('frames: encode and decode round trip; malformed messages are refused', () => {
  const f = decodeFrame(encodeFrame(FrameType.Data, 7, Buffer.from('abc')));
  assert.deepEqual([f.type, f.id, f.payload.toString()], [FrameType.Data, 7, 'abc']);
  assert.equal(decodeFrame(windowFrame(9, 70000)).payload.readUInt32BE(0), 70000);
  assert.throws(() => decodeFrame(Buffer.from([3, 0, 0])), /shorter than its header/);
  assert.throws(() => decodeFrame(Buffer.from([9, 0, 0, 0, 1])), /unknown tunnel frame type 9/);
  assert.throws(() => decodeFrame(encodeFrame(FrameType.Data, 0)), /stream id 0/);
  assert.throws(() => decodeFrame(encodeFrame(FrameType.Window, 1, Buffer.alloc(2))), /2-byte payload/);
});

test('64 concurrent streams each echo 200 KB intact, in both directions, and all close cleanly', async () => {
  const { server, agent, sent } = pair({ accept: (s) => (s.accept(), s.pipe(s)) });
  const results = await Promise.all(
    Array.from({ length: 64 }, async () => {
      const s = server.open();
      const data = randomBytes(200 * 1024);
      const back = readAll(s);
      s.end(data);
      const got = await back;
      return sha(got) === sha(data) && got.length === data.length;
    }),
  );
  assert.equal(results.filter(Boolean).length, 64);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.size, 0, 'server streams forgotten');
  assert.equal(agent.size, 0, 'agent streams forgotten');
  assert.equal(sent.frames.filter((f) => f.type === FrameType.Reset).length, 0, 'no stream was reset');
  assert.equal(sent.toAgent, 64 * 200 * 1024);
  assert.equal(sent.toServer, 64 * 200 * 1024);
});

test('backpressure: a reader that does not read holds the writer at one window; reading resumes it', async () => {
  const window = 64 * 1024;
  const total = 4 * 1024 * 1024;
  const data = randomBytes(total);
  let agentSide!: TunnelStream;
  let writerDone = false;
  const { server, sent } = pair({
    window,
    accept: (s) => {
      agentSide = s;
      s.accept();
      s.end(data, () => (writerDone = true));
    },
  });
  const s = server.open();
  s.pause();
  await new Promise((r) => setTimeout(r, 200));
  // What crossed the transport is at most one window, however much the writer has queued.
  assert.ok(sent.toServer <= window, `sent ${sent.toServer} bytes with a ${window}-byte window`);
  assert.ok(sent.toServer > 0);
  assert.equal(writerDone, false);
  assert.ok(agentSide.writableLength > 0, 'the writer holds the rest itself');
  assert.ok(s.readableLength <= window);
  const got = await readAll(s.resume());
  assert.equal(sha(got), sha(data));
  assert.equal(writerDone, true);
});

test('half-close: the server ends its side and still reads the reply the agent writes after', async () => {
  const { server } = pair({
    accept: (s) => {
      s.accept();
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => s.end(`got ${Buffer.concat(chunks).length} bytes`));
    },
  });
  const s = server.open();
  const reply = readAll(s);
  s.end(Buffer.alloc(1000, 1));
  assert.equal((await reply).toString(), 'got 1000 bytes');
});

test("an agent's failure to connect reaches the server's stream (and a TLS session over it) with its reason", async () => {
  const { server } = pair({
    accept: (s) => {
      s.on('error', () => undefined);
      s.destroy(new Error('connect ECONNREFUSED 127.0.0.1:10250'));
    },
  });
  const s = server.open();
  const err = await new Promise<Error>((resolve) => s.on('error', resolve));
  assert.match(err.message, /ECONNREFUSED 127\.0\.0\.1:10250/);

  const t = tls.connect({ socket: server.open(), host: '192.0.2.1', rejectUnauthorized: true });
  const tlsErr = await new Promise<Error>((resolve) => t.on('error', resolve));
  assert.match(tlsErr.message, /ECONNREFUSED 127\.0\.0\.1:10250/);
});

test('writes wait for the agent to connect the stream; nothing is sent before', async () => {
  let accepted!: TunnelStream;
  const { server, sent } = pair({ accept: (s) => (accepted = s) });
  const s = server.open();
  s.write('hello');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(sent.toAgent, 0);
  const got = readAll(accepted);
  accepted.accept();
  s.end(' world');
  accepted.end();
  assert.equal((await got).toString(), 'hello world');
});

test('closing the tunnel fails every open stream, and opening on a closed tunnel fails the stream', async () => {
  const { server } = pair({ accept: (s) => s.accept() });
  const streams = [server.open(), server.open(), server.open()];
  const errors = Promise.all(streams.map((s) => new Promise<Error>((resolve) => s.on('error', resolve))));
  server.close('the tunnel closed (1006)');
  for (const e of await errors) assert.match(e.message, /the tunnel closed \(1006\)/);
  assert.equal(server.size, 0);
  const late = server.open();
  assert.match((await new Promise<Error>((resolve) => late.on('error', resolve))).message, /the tunnel is closed/);
});

test('a peer sending beyond its window gets the stream reset; too many streams are refused', async () => {
  const agentErrors: string[] = [];
  const { server, agent } = pair({ window: 1024, maxStreams: 2, accept: (s) => (s.on('error', (e) => agentErrors.push(e.message)), s.accept()) });
  const s = server.open();
  await new Promise((r) => setTimeout(r, 10));
  const err = new Promise<Error>((resolve) => s.on('error', resolve));
  // A hostile agent ignores its window: 2 KB at once on a 1 KB window.
  server.receive(encodeFrame(FrameType.Data, 1, Buffer.alloc(2048)));
  assert.match((await err).message, /more than its window/);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(agent.size, 0, 'the reset reached the agent');

  const a = server.open();
  const b = server.open();
  const c = server.open();
  assert.match((await new Promise<Error>((resolve) => c.on('error', resolve))).message, /2 tunnel streams open already/);
  a.destroy();
  b.destroy();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(agent.size, 0);
  assert.match(agentErrors[0] ?? '', /more than its window/, 'the agent learns why its stream was reset');
});

test('an end that accepts no streams refuses an open as a protocol error', () => {
  const { server } = pair({ accept: () => undefined });
  assert.throws(() => server.receive(encodeFrame(FrameType.Open, 5)), /accepts no streams/);
});
