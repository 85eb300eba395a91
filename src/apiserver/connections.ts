// Bounds on what a client can hold open: the TLS handshake, the request head and the whole
// request must arrive in time, and the number of connections is capped below the process's
// open-file limit. Without them, 1 100 idle TCP connections used up the file limit and every
// other request failed, and half-open handshakes and slowly trickled headers stayed forever.
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';

export interface ConnectionLimits {
  /** The TLS handshake must be over within this. */
  handshakeTimeoutMs: number;
  /** The request line and headers must have arrived within this of the connection or of the previous request. */
  headerTimeoutMs: number;
  /** The whole request, body included, must have arrived within this (upstream's --request-timeout, 60 s). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; 0 picks one from the open-file limit. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 0,
};

/** Descriptors kept free for the store, the agent's containerd and CNI, logs and certificates. */
const RESERVED_FILES = 256;
const MAX_DEFAULT_CONNECTIONS = 10_000;

/** The process's open-file limit (soft, hard) as the kernel reports it; undefined off Linux. */
export function openFileLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const m = line && /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return undefined;
    const n = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return undefined;
  }
}

/** The connection cap when none is given: what the open-file limit leaves after a reserve. */
export function defaultMaxConnections(): number {
  const soft = openFileLimit()?.soft ?? 1024;
  return Math.max(64, Math.min(MAX_DEFAULT_CONNECTIONS, soft - RESERVED_FILES));
}

/** Options for https.createServer that enforce the timeouts. */
export function serverTimeoutOptions(l: ConnectionLimits) {
  return {
    handshakeTimeout: l.handshakeTimeoutMs,
    headersTimeout: l.headerTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node checks the header and request deadlines this often (30 s by default, which would
    // let a deadline of a few seconds run on for half a minute).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(l.headerTimeoutMs / 4))),
  };
}

export function validateConnectionLimits(l: ConnectionLimits): void {
  for (const [name, v] of Object.entries(l)) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
  }
  if (l.requestTimeoutMs > 0 && l.headerTimeoutMs > l.requestTimeoutMs) {
    throw new Error(`the header timeout (${l.headerTimeoutMs / 1000} s) must not exceed the request timeout (${l.requestTimeoutMs / 1000} s)`);
  }
}

interface Conn {
  /** Requests being served on it (watches included). */
  busy: number;
  /** Handed to an exec stream: never closed to make room. */
  upgraded: boolean;
}

/**
 * Caps open connections. At the cap a new connection makes room by closing the oldest one
 * that is serving nothing (idle, still in its handshake, or still sending its headers), so
 * that clients holding connections open for nothing can't lock out one making a request; only
 * when every connection is busy is the new one refused.
 */
export class ConnectionCap {
  private readonly conns = new Map<Socket, Conn>();
  /** Connections closed to make room, and connections refused, since start. */
  evicted = 0;
  refused = 0;

  constructor(readonly max: number) {}

  get open(): number {
    return this.conns.size;
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.serving(req.socket, res));
    server.on('upgrade', (req: IncomingMessage) => {
      const c = this.conns.get(rawSocket(req.socket));
      if (c) c.upgraded = true;
    });
  }

  /** Closes every connection, those still in their handshake included (the HTTP server knows only the others). */
  closeAll(): void {
    for (const s of this.conns.keys()) s.destroy();
    this.conns.clear();
  }

  private accept(socket: Socket): void {
    if (this.conns.size >= this.max) {
      const victim = this.oldestIdle();
      if (!victim) {
        this.refused++;
        socket.destroy();
        return;
      }
      this.evicted++;
      this.conns.delete(victim);
      victim.destroy();
    }
    this.conns.set(socket, { busy: 0, upgraded: false });
    socket.once('close', () => this.conns.delete(socket));
  }

  private serving(socket: Socket, res: ServerResponse): void {
    const c = this.conns.get(rawSocket(socket));
    if (!c) return;
    c.busy++;
    res.once('close', () => c.busy--);
  }

  private oldestIdle(): Socket | undefined {
    // A Map iterates in insertion order: oldest first.
    for (const [s, c] of this.conns) if (c.busy === 0 && !c.upgraded) return s;
    return undefined;
  }
}

/** The TCP socket under a TLS one (the server's 'connection' event sees the TCP socket). */
function rawSocket(s: Socket): Socket {
  return ((s as Socket & { _parent?: Socket })._parent ?? s) as Socket;
}
