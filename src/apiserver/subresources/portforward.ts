// pods/portforward: the agent's /portForward/{namespace}/{pod} (kubelet's path) speaks the
// portforward.k8s.io protocol over SPDY (and over the runtime's older WebSocket protocol).
//
// kubectl 1.31+ first asks for a WebSocket with the subprotocol `SPDY/3.1+portforward.k8s.io`
// and tunnels SPDY inside it: each binary message carries bytes of the SPDY connection, no
// framing of its own (client-go's tools/portforward/tunneling_connection.go). Like upstream's
// API server (apiserver/pkg/util/proxy/streamtunnel.go), the tunnel ends here: the agent is asked
// for a plain SPDY upgrade and its bytes are carried in WebSocket messages both ways. An agent
// that does not upgrade has its answer replayed to the client as it is, so kubectl sees the
// error (or falls back to SPDY on an upgrade failure). Any other request is joined to the agent
// as it came.
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { StreamRest } from './stream.js';

export const TUNNEL_PREFIX = 'SPDY/3.1+';
/** Output queued for a slow client before the agent's side is paused. */
const HIGH_WATER = 4 << 20;

/** The SPDY protocols a tunneling WebSocket offers (`SPDY/3.1+<protocol>.k8s.io`), prefix removed. */
export function tunneledProtocols(req: IncomingMessage): string[] {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return [];
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith(TUNNEL_PREFIX) && p.endsWith('.k8s.io'))
    .map((p) => p.slice(TUNNEL_PREFIX.length));
}

export const podPortForward: StreamRest = {
  async upgrade(c, socket, head) {
    const t = await c.dialer.podTarget(c.namespace!, c.name);
    const path = `/portForward/${encodeURIComponent(c.namespace!)}/${encodeURIComponent(c.name)}${c.url.search}`;
    const protocols = tunneledProtocols(c.req);
    if (!protocols.length) return c.dialer.join(t, c.req, socket, head, path);
    const rawHeaders = ['Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1', 'Content-Length', '0'];
    for (const p of protocols) rawHeaders.push('X-Stream-Protocol-Version', p);
    const a = await c.dialer.openUpgrade(t, { method: 'POST', path, rawHeaders });
    if (a.status !== 101 || !/spdy\/3\.1/i.test(a.headers.upgrade ?? '')) {
      // The agent's answer, body and all, as it came; it ends the connection after it.
      socket.write(Buffer.concat([a.rawHead, a.rest]));
      a.socket.pipe(socket);
      a.socket.on('error', () => socket.destroy());
      a.socket.resume();
      return;
    }
    const chosen = a.headers['x-stream-protocol-version'];
    // `SPDY/3.1+portforward.k8s.io` is not an RFC 7230 token, and ws refuses such a
    // Sec-WebSocket-Protocol header (400): the offer is taken off the request and the choice
    // written into the answer's headers instead.
    delete c.req.headers['sec-websocket-protocol'];
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    if (chosen) wss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PREFIX}${chosen}`));
    wss.handleUpgrade(c.req, socket, head, (ws) => tunnel(ws, a.socket, a.rest));
  },
};

/** Carries the agent's SPDY bytes in binary messages and the client's messages' bytes to the agent. */
export function tunnel(ws: WebSocket, agent: Duplex, first: Buffer): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    agent.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
    else ws.terminate();
  };
  const toClient = (b: Buffer) => {
    ws.send(b, { binary: true }, () => {
      if (ws.bufferedAmount < HIGH_WATER && agent.isPaused()) agent.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER) agent.pause();
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return close();
    if (!agent.write(data)) {
      ws.pause();
      agent.once('drain', () => ws.resume());
    }
  });
  ws.on('close', close);
  ws.on('error', close);
  agent.on('data', toClient);
  agent.on('close', close);
  agent.on('error', close);
  if (first.length) toClient(first);
  agent.resume();
}
