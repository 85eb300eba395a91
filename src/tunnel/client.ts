// The agent's end of the tunnel: it dials the API server (WebSocket at TUNNEL_PATH, with the
// node's client certificate) and connects each stream the server opens to its own endpoint,
// and to nothing else: the server cannot use the tunnel to reach other addresses. The TLS
// session inside the stream is between the API server and the endpoint; this end only
// carries bytes. A lost connection is dialed again with capped exponential back-off.
import * as net from 'node:net';
import { WebSocket } from 'ws';
import type { TunnelStream } from './mux.js';
import { muxOverWebSocket } from './websocket.js';
import { TUNNEL_PATH } from './path.js';

export interface TunnelCredentials {
  ca: string;
  cert: string;
  key: string;
}

export interface TunnelClientOptions {
  /** The API server, https://HOST:PORT. */
  server: string;
  /** Read at each dial: a renewed client certificate is used from the next connection on. */
  credentials: () => TunnelCredentials;
  /** The agent's own endpoint, where every stream goes. */
  endpoint: { host: string; port: number };
  log: (msg: string) => void;
  pingIntervalMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

export class TunnelClient {
  private ws?: WebSocket;
  private timer?: NodeJS.Timeout;
  private backoffMs: number;
  private stopped = false;
  private connectedOnce = false;
  /** Whether the tunnel is up now. */
  connected = false;

  constructor(private readonly o: TunnelClientOptions) {
    this.backoffMs = o.minBackoffMs ?? MIN_BACKOFF_MS;
  }

  start(): void {
    this.dial();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }

  private dial(): void {
    if (this.stopped) return;
    const url = new URL(TUNNEL_PATH, this.o.server.replace(/^http/, 'ws'));
    const c = this.o.credentials();
    const ws = new WebSocket(url, { ca: c.ca, cert: c.cert, key: c.key, rejectUnauthorized: true, handshakeTimeout: 15_000, maxPayload: 1024 * 1024 });
    this.ws = ws;
    muxOverWebSocket(ws, { accept: (s) => this.connectStream(s), pingIntervalMs: this.o.pingIntervalMs });
    ws.on('open', () => {
      this.connected = true;
      this.backoffMs = this.o.minBackoffMs ?? MIN_BACKOFF_MS;
      this.o.log(`tunnel to ${this.o.server} ${this.connectedOnce ? 're' : ''}connected`);
      this.connectedOnce = true;
    });
    // Why a dial was refused (a 403 names the identity the server saw).
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString().slice(0, 500)));
      res.on('end', () => {
        this.o.log(`tunnel to ${this.o.server} refused: ${res.statusCode} ${(/"message":"([^"]*)"/.exec(body)?.[1] ?? body).slice(0, 300)}`);
        ws.terminate();
      });
    });
    ws.on('error', (e) => {
      if (!this.connected) this.o.log(`tunnel to ${this.o.server}: ${e.message}`);
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      if (this.connected) this.o.log(`tunnel to ${this.o.server} lost; dialing again`);
      this.connected = false;
      if (this.stopped) return;
      // Jittered, so that agents cut off together by a server restart do not all dial at once.
      const wait = this.backoffMs * (0.75 + Math.random() * 0.5);
      this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? MAX_BACKOFF_MS);
      this.timer = setTimeout(() => this.dial(), wait);
      this.timer.unref();
    });
  }

  private connectStream(s: TunnelStream): void {
    const local = net.connect(this.o.endpoint.port, this.o.endpoint.host);
    s.on('error', () => local.destroy());
    local.once('connect', () => {
      s.accept();
      local.pipe(s);
      s.pipe(local);
    });
    local.on('error', (e) => s.destroy(e));
    local.on('close', () => {
      if (!s.destroyed && !s.writableEnded) s.end();
    });
  }
}
