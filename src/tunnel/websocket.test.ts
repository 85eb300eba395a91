import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { muxOverWebSocket } from './websocket.js';

async function connectedPair() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  await new Promise((r) => client.once('open', r));
  return { wss, client, server: await serverSide };
}

test('keep-alive: a peer that stops answering pings is dropped within two intervals, failing its streams', async () => {
  const { wss, client, server } = await connectedPair();
  const mux = muxOverWebSocket(server, { pingIntervalMs: 100 });
  muxOverWebSocket(client, { accept: (s) => (s.on('error', () => undefined), s.accept()), pingIntervalMs: 60_000 });
  const s = mux.open();
  const err = new Promise<Error>((r) => s.on('error', r));
  // A peer alive but silent for 150 ms keeps the tunnel (it answers the pings it gets).
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(mux.closed, false);
  // Now it stops reading (a machine gone without a FIN, a NAT that forgot the connection).
  (client as unknown as { _socket: { pause(): void } })._socket.pause();
  const started = Date.now();
  assert.match((await err).message, /the tunnel closed \(1006/);
  assert.ok(Date.now() - started <= 400, `noticed after ${Date.now() - started} ms with a 100 ms interval`);
  assert.equal(mux.closed, true);
  client.terminate();
  wss.close();
});

test('a text message or a malformed frame closes the tunnel as a protocol error (1002)', async () => {
  const { wss, client, server } = await connectedPair();
  const mux = muxOverWebSocket(server, { pingIntervalMs: 60_000 });
  const closed = new Promise<number>((r) => client.once('close', (code) => r(code)));
  client.send('hello');
  assert.equal(await closed, 1002);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(mux.closed, true);
  wss.close();
});
