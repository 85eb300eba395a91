import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError, unavailable } from './errors.js';
import { endWithBody, sendError, sendJsonStream, utf8Concat } from './respond.js';

interface SocketWrite {
  bytes: number;
  /** The socket's writableNeedDrain right after this write. */
  needDrainAfter: boolean;
}

/**
 * Serves one request with `answer` on a real loopback server, recording every write the
 * response makes on its socket; resolves with the body the client received and those writes.
 */
async function serveOnce(answer: (res: ServerResponse) => void): Promise<{ received: Buffer; writes: SocketWrite[] }> {
  const writes: SocketWrite[] = [];
  const server = createServer((_req, res) => {
    const socket = res.socket as Socket;
    const write = socket.write;
    socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      const ok = write.apply(this, args);
      const chunk = args[0];
      writes.push({
        bytes: typeof chunk === 'string' ? Buffer.byteLength(chunk, 'latin1') : (chunk as Uint8Array).length,
        needDrainAfter: this.writableNeedDrain,
      });
      return ok;
    } as Socket['write'];
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ received: Buffer.concat(chunks), writes }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const bodyOf = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));

test('endWithBody: a large body arrives whole, and the write that completes it leaves nothing to drain', async () => {
  const body = bodyOf(200 * 1024);
  const { received, writes } = await serveOnce((res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    endWithBody(res, body);
  });
  assert.ok(received.equals(body), `received ${received.length} bytes, expected the ${body.length} sent`);
  // The bulk first (the socket then needs draining), the rest only once that was taken.
  const bulk = writes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  assert.equal(bulk.needDrainAfter, true, 'the bulk of a 200 KB body fills the socket buffer');
  const last = writes.findLast((w) => w.bytes > 0)!;
  assert.equal(last.needDrainAfter, false, 'the last bytes of the body were written with the socket drained');
  assert.ok(last.bytes < 1024, `the last write is small (${last.bytes} bytes)`);
});

test('endWithBody: a small body goes out at once and leaves nothing to drain', async () => {
  const body = bodyOf(300);
  const { received, writes } = await serveOnce((res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    endWithBody(res, body);
  });
  assert.ok(received.equals(body));
  assert.ok(writes.length > 0);
  assert.deepEqual(
    writes.filter((w) => w.needDrainAfter),
    [],
    'no write left the socket needing drain',
  );
});

test('sendError after a large body was handed to endWithBody writes nothing into it', async () => {
  const body = bodyOf(100 * 1024);
  const logged: string[] = [];
  const { received } = await serveOnce((res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    endWithBody(res, body);
    sendError(res, new Error('late failure'), (m) => logged.push(m));
  });
  assert.ok(received.equals(body), 'the body is exactly what was sent');
  assert.equal(logged.length, 1, 'the failure is still logged');
});

test('sendJsonStream: a long list streams in chunks, parses whole, and its end is written with the socket drained', async () => {
  const elements = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(200) }));
  let done: Promise<void> | undefined;
  const { received, writes } = await serveOnce((res) => {
    done = sendJsonStream(res, 200, '{"items":[', elements.length, (i) => elements[i]!, ']}\n');
  });
  await done;
  const parsed = JSON.parse(received.toString('utf8')) as { items: Array<{ i: number }> };
  assert.deepEqual(
    parsed.items.map((o) => o.i),
    elements.map((_, i) => i),
  );
  assert.ok(received.toString('utf8').endsWith('\n'));
  assert.ok(writes.filter((w) => w.bytes > 0).length > 3, 'written in several groups, not one body');
  const last = writes.findLast((w) => w.bytes > 0)!;
  assert.equal(last.needDrainAfter, false, 'the end of the body was written with the socket drained');
});

test('sendJsonStream: a long list of non-ASCII text (Latin-1, CJK, emoji) arrives as the same UTF-8 a whole string would be', async () => {
  const names = ['café', '名前', 'ok', '🚢 berth', 'Ωmega', 'ascii-only'];
  const elements = Array.from({ length: 700 }, (_, i) => JSON.stringify({ i, name: names[i % names.length] }));
  let done: Promise<void> | undefined;
  const { received } = await serveOnce((res) => {
    done = sendJsonStream(res, 200, '{"note":"ü","items":[', elements.length, (i) => elements[i]!, ']}\n');
  });
  await done;
  assert.deepEqual(received, Buffer.from(`{"note":"ü","items":[${elements.join(',')}]}\n`));
});

test('utf8Concat: the UTF-8 of the strings joined, whatever mix of ASCII and other text', () => {
  const cases: string[][] = [
    [],
    [''],
    ['plain', ',', 'ascii'],
    ['é', 'x', 'ÿ\u0080'],
    ['日本語', 'mixed ascii', '🚀', '\u{10FFFF}', ''],
    // A lone surrogate: encoded as U+FFFD, as Buffer.from encodes it.
    ['a\ud800b'],
  ];
  for (const strings of cases) assert.deepEqual(utf8Concat(strings), Buffer.from(strings.join('')), JSON.stringify(strings));
});

test('sendJsonStream: a short list is one body with a Content-Length, empty lists included', async () => {
  for (const n of [0, 1, 256]) {
    let length: unknown;
    const { received } = await serveOnce((res) => {
      // Headers given to writeHead are not readable back from the response: note them on the way.
      const writeHead = res.writeHead.bind(res) as (code: number, headers: Record<string, unknown>) => ServerResponse;
      (res as unknown as { writeHead: typeof writeHead }).writeHead = (code, headers) => {
        length = headers['Content-Length'];
        return writeHead(code, headers);
      };
      void sendJsonStream(res, 200, '{"items":[', n, (i) => String(i), ']}\n');
    });
    assert.deepEqual(
      JSON.parse(received.toString('utf8')).items,
      Array.from({ length: n }, (_, i) => i),
    );
    assert.equal(Number(length), received.length, `${n} items: Content-Length`);
  }
});

test('sendError: a Status that names a wait carries it as Retry-After (as upstream), others carry none', async () => {
  const headersOf = async (err: unknown) => {
    const server = createServer((_req, res) => sendError(res, err, () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      return await new Promise<{ code: number; retryAfter: string | undefined; body: Record<string, unknown> }>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ code: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
        })
          .on('error', reject)
          .end();
      });
    } finally {
      server.close();
    }
  };
  const busy = await headersOf(new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }));
  assert.deepEqual([busy.code, busy.retryAfter, (busy.body.details as { retryAfterSeconds: number }).retryAfterSeconds], [429, '1', 1]);
  const down = await headersOf(unavailable('etcd is unreachable'));
  assert.deepEqual([down.code, down.retryAfter], [503, '1']);
  const conflict = await headersOf(new ApiError(409, 'Conflict', 'the object has been modified'));
  assert.deepEqual([conflict.code, conflict.retryAfter], [409, undefined]);
});
