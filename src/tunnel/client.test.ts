import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { TunnelClient } from './client.js';
import { muxOverWebSocket } from './websocket.js';
import type { Mux } from './mux.js';

/** One round trip through a stream the server end opens. */
function roundTrip(mux: Mux, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = mux.open();
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.end(text);
  });
}

test('the agent end: streams go to its endpoint; a dropped tunnel is dialed again after a back-off', async () => {
  // The agent's endpoint: echoes what it gets, prefixed.
  const endpoint = createServer((c) => {
    c.on('data', (d) => c.write(`echo:${d.toString()}`));
    c.on('end', () => c.end());
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const paths: string[] = [];
  const conns: Array<{ ws: WebSocket; mux: Mux; at: number }> = [];
  wss.on('connection', (ws, req) => {
    paths.push(req.url ?? '');
    conns.push({ ws, mux: muxOverWebSocket(ws, { pingIntervalMs: 60_000 }), at: Date.now() });
  });
  const logs: string[] = [];
  const client = new TunnelClient({
    server: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    credentials: () => ({ ca: '', cert: '', key: '' }),
    endpoint: { host: '127.0.0.1', port: (endpoint.address() as AddressInfo).port },
    log: (m) => logs.push(m),
    minBackoffMs: 200,
  });
  client.start();
  try {
    const waitFor = async (n: number) => {
      for (let i = 0; i < 200 && conns.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(conns.length, n);
    };
    await waitFor(1);
    assert.deepEqual(paths, ['/v1-berth/connect']);
    assert.deepEqual(await Promise.all(['a', 'b', 'c'].map((t) => roundTrip(conns[0]!.mux, t))), ['echo:a', 'echo:b', 'echo:c']);

    const droppedAt = Date.now();
    conns[0]!.ws.terminate();
    await waitFor(2);
    const waited = conns[1]!.at - droppedAt;
    assert.ok(waited >= 150 && waited < 1000, `dialed again after ${waited} ms (back-off 200 ms, jittered)`);
    assert.equal(await roundTrip(conns[1]!.mux, 'again'), 'echo:again');
    assert.ok(logs.some((l) => /lost; dialing again/.test(l)) && logs.some((l) => /reconnected/.test(l)), logs.join('\n'));
  } finally {
    client.stop();
    wss.close();
    endpoint.close();
  }
});
