import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WatchStreams, type WatchStream } from './watch-stream.js';

/** An HTTP server on loopback whose every request becomes a watch stream; clients connect raw and choose whether to read. */
async function withStreams(
  limits: ConstructorParameters<typeof WatchStreams>[0],
  fn: (h: {
    streams: WatchStreams;
    open: (read: boolean) => Promise<{ stream: WatchStream; client: Socket; received: () => number; serverSocket: Socket }>;
  }) => Promise<void>,
) {
  const logs: string[] = [];
  const streams = new WatchStreams(limits, (m) => logs.push(m));
  const pending: Array<(s: WatchStream, serverSocket: Socket) => void> = [];
  const server = createServer((_req, res: ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    pending.shift()!(streams.open(res, 'test'), res.socket as Socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const clients: Socket[] = [];
  try {
    await fn({
      streams,
      open: (read) =>
        new Promise((resolve) => {
          let received = 0;
          const client = connect(port, '127.0.0.1');
          clients.push(client);
          client.on('error', () => {});
          if (read) client.on('data', (d) => (received += d.length));
          else {
            // A client that never reads: a tiny receive window so that the server's buffers fill fast.
            client.pause();
          }
          client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
          pending.push((stream, serverSocket) => resolve({ stream, client, received: () => received, serverSocket }));
        }),
    });
  } finally {
    for (const c of clients) c.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  return logs;
}

const line = (i: number, size: number) => `{"type":"MODIFIED","object":{"i":${i},"pad":"${'x'.repeat(size)}"}}\n`;
/**
 * Reads a watch response from now on; the function it returns waits for the last chunk (the stream
 * was ended once everything was sent) and gives the payload: the lines written, in order, with the
 * HTTP head and the chunked framing stripped.
 */
function receive(client: Socket): () => Promise<string> {
  let text = '';
  client.setEncoding('utf8');
  client.on('data', (d) => (text += d));
  client.resume();
  return async () => {
    await waitFor(() => text.endsWith('\r\n0\r\n\r\n'), 10_000);
    return text
      .split('\r\n')
      .filter((l) => l.startsWith('{"type"'))
      .join('');
  };
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('watch stream: a client that never reads is ended once its pending events pass the limit, holding bounded bytes', async () => {
  const limits = { maxPendingEvents: 50, maxPendingBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 };
  const logs = await withStreams(limits, async ({ streams, open }) => {
    const { stream } = await open(false);
    let closed = false;
    stream.onClose = () => (closed = true);
    let written = 0;
    let maxHeld = 0;
    // Up to 200 MB offered; the kernel's socket buffers take a few MB, then the stream must give up.
    for (let i = 0; i < 20_000 && !closed; i++) {
      stream.write(line(i, 10_000));
      written++;
      maxHeld = Math.max(maxHeld, streams.pendingBytes);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(closed, 'the stream was ended');
    assert.ok(written < 20_000, `ended after ${written} events`);
    assert.ok(maxHeld <= 2 * 1024 * 1024, `held at most ${maxHeld} bytes`);
    assert.equal(streams.pendingBytes, 0);
    assert.equal(streams.ended, 1);
  });
  assert.match(logs.join('\n'), /ending watch test: client too slow: (\d+ events pending \(limit 50\)|\d+ bytes pending)/);
});

test('watch stream: a reading client gets every line in order, initial events beyond the limits included', async () => {
  const limits = { maxPendingEvents: 10, maxPendingBytes: 64 * 1024, maxTotalBytes: 64 * 1024 * 1024 };
  await withStreams(limits, async ({ open }) => {
    const { stream, client } = await open(false);
    const payload = receive(client);
    // 2 000 initial events (~8 MB) at once: exempt, written as the socket takes them.
    let expected = '';
    for (let i = 0; i < 2000; i++) {
      const l = line(i, 4000);
      expected += l;
      stream.write(l, false);
    }
    for (let i = 2000; i < 2005; i++) {
      const l = line(i, 10);
      expected += l;
      stream.write(l);
    }
    assert.equal(stream.isClosed, false);
    stream.end();
    const lines = await payload();
    assert.equal(lines.length, expected.length);
    assert.equal(lines, expected);
  });
});

test("watch stream: a burst within one turn goes to a reading client's socket, not to the queue that ends slow watchers", async () => {
  // 100 events of 4 KB written in one turn of the event loop, as a loaded server's turn writes
  // them: the socket takes them (up to a quarter of the byte limit ahead of what it has sent), so
  // the 50-event queue limit, meant for clients that stopped reading, is never reached. Held back
  // at Node's 16 KB high-water mark, the socket got one 64 KB batch and the queue the other 84.
  const limits = { maxPendingEvents: 50, maxPendingBytes: 4 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 };
  const logs = await withStreams(limits, async ({ open }) => {
    const { stream, client } = await open(false);
    let expected = '';
    for (let i = 0; i < 100; i++) {
      const l = line(i, 4000);
      expected += l;
      stream.write(l);
    }
    assert.equal(stream.isClosed, false);
    const payload = receive(client);
    stream.end();
    assert.equal(await payload(), expected);
  });
  assert.deepEqual(logs, []);
});

test('watch stream: past the total bound, the watcher furthest behind is ended and the others go on', async () => {
  const limits = { maxPendingEvents: 100_000, maxPendingBytes: 64 * 1024 * 1024, maxTotalBytes: 6 * 1024 * 1024 };
  await withStreams(limits, async ({ streams, open }) => {
    const stuck = await open(false);
    const reader = await open(true);
    let stuckClosed = false;
    stuck.stream.onClose = () => (stuckClosed = true);
    for (let i = 0; i < 5000 && !stuckClosed; i++) {
      stuck.stream.write(line(i, 10_000));
      reader.stream.write(line(i, 100));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.ok(stuckClosed, 'the stuck watcher was ended');
    assert.equal(reader.stream.isClosed, false);
    assert.ok(streams.pendingBytes < 6 * 1024 * 1024);
    await waitFor(() => reader.received() > 0);
  });
});

test('watch stream: its end is written once the socket has drained, so that the connection can take a next request', async () => {
  await withStreams(undefined, async ({ open }) => {
    const { stream, received, serverSocket } = await open(true);
    // Whether the socket still needed draining right after each write: the terminating chunk is the last write.
    const needDrainAfter: boolean[] = [];
    const write = serverSocket.write;
    serverSocket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      const ok = write.apply(this, args);
      needDrainAfter.push(this.writableNeedDrain);
      return ok;
    } as Socket['write'];
    let ended = false;
    stream.onClose = () => (ended = true);
    // A large last event: right after it is written the socket has more than it takes at once.
    stream.write(line(1, 512 * 1024), false);
    assert.equal(needDrainAfter.at(-1), true, 'a 512 KB event leaves the socket needing drain');
    stream.end();
    await waitFor(() => ended && received() > 512 * 1024);
    assert.equal(needDrainAfter.at(-1), false, 'the end of the stream was written with the socket drained');
  });
});
