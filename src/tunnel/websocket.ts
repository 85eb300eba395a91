// A Mux over a WebSocket (library ws), with keep-alive: each end pings every interval and
// drops the connection when a whole interval passes without a pong or any message, so a dead
// tunnel (a peer gone without a FIN, a NAT that forgot it) is noticed within two intervals.
import type { WebSocket } from 'ws';
import { Mux, type TunnelStream } from './mux.js';

export const DEFAULT_PING_INTERVAL_MS = 10_000;

export interface TunnelSocketOptions {
  accept?: (s: TunnelStream) => void;
  window?: number;
  maxStreams?: number;
  pingIntervalMs?: number;
}

export function muxOverWebSocket(ws: WebSocket, o: TunnelSocketOptions = {}): Mux {
  const mux = new Mux({
    // A closing socket drops what is sent; its close then fails every stream.
    send: (f) => {
      if (ws.readyState === ws.OPEN) ws.send(f, { binary: true });
    },
    accept: o.accept,
    window: o.window,
    maxStreams: o.maxStreams,
  });
  let alive = true;
  const interval = o.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
  const timer = setInterval(() => {
    // A dial still in its handshake has its own timeout; ping() would throw before it is open.
    if (ws.readyState !== ws.OPEN) return;
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, interval);
  timer.unref();
  ws.on('pong', () => (alive = true));
  ws.on('message', (data, isBinary) => {
    alive = true;
    try {
      if (!isBinary) throw new Error('the tunnel carries binary frames only');
      mux.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
    } catch (e) {
      // 1002: protocol error. The peer is broken or hostile: nothing on this tunnel is trusted on.
      ws.close(1002, (e as Error).message.slice(0, 120));
      mux.close(`tunnel protocol error: ${(e as Error).message}`);
    }
  });
  ws.on('close', (code, reason) => {
    clearInterval(timer);
    mux.close(`the tunnel closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
  });
  ws.on('error', () => ws.terminate());
  return mux;
}
