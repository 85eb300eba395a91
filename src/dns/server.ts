// The DNS server's sockets: UDP and TCP on one address and port. Over TCP each message is
// prefixed with its length (RFC 1035 4.2.2); a connection may carry many queries, answered as
// they complete (RFC 7766 6.2.1.1), and is closed after 10 s idle. A handler that throws
// answers SERVFAIL rather than taking the server down.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import type { DnsHandler, Transport } from './handler.js';
import { RCODE, headerOnlyResponse } from './wire.js';

export interface DnsServerOptions {
  host: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  port: number;
  handler: DnsHandler;
  /** Idle TCP connections are closed after this (default 10 s). */
  tcpIdleMs?: number;
  log?: (msg: string) => void;
}

const MAX_TCP_CONNECTIONS = 1000;

export class DnsServer {
  private udp?: Socket;
  private tcp?: Server;
  private readonly conns = new Set<TcpSocket>();
  private boundPort = 0;

  constructor(private readonly o: DnsServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.o.host;
  }

  /** Binds both sockets; rejects (e.g. EADDRNOTAVAIL, EADDRINUSE) with nothing left bound. */
  async start(): Promise<void> {
    // With port 0 the UDP port is taken first and TCP asked for the same one; another process
    // may hold that TCP port, so a few ports are tried.
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(this.o.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.bindTcp(port);
        this.udp = udp;
        this.boundPort = port;
        return;
      } catch (e) {
        udp.close();
        if (this.o.port !== 0 || attempt >= 5 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
  }

  private bindUdp(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: isIPv6(this.o.host) ? 'udp6' : 'udp4' });
      s.once('error', reject);
      s.bind({ address: this.o.host, port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', (e) => this.o.log?.(`DNS UDP socket: ${e.message}`));
        s.on('message', (msg, rinfo) => this.answer(msg, 'udp', (out) => s.send(out, rinfo.port, rinfo.address)));
        resolve(s);
      });
    });
  }

  private bindTcp(port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const srv = createServer((c) => this.serveTcp(c));
      srv.maxConnections = MAX_TCP_CONNECTIONS;
      srv.once('error', reject);
      srv.listen({ host: this.o.host, port, exclusive: true }, () => {
        srv.off('error', reject);
        resolve(srv);
      });
    });
  }

  private serveTcp(c: TcpSocket): void {
    this.conns.add(c);
    c.setTimeout(this.o.tcpIdleMs ?? 10_000, () => c.destroy());
    c.on('close', () => this.conns.delete(c));
    c.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    c.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        this.answer(msg, 'tcp', (out) => {
          if (c.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length);
          c.write(Buffer.concat([head, out]));
        });
      }
    });
  }

  private answer(msg: Buffer, transport: Transport, send: (out: Buffer) => void): void {
    const fail = (e: unknown) => {
      this.o.log?.(`DNS query failed: ${(e as Error).message}`);
      if (msg.length >= 12) send(headerOnlyResponse(msg, RCODE.SERVFAIL));
    };
    try {
      const r = this.o.handler.handle(msg, transport);
      if (r instanceof Promise) r.then((out) => out && send(out), fail);
      else if (r) send(r);
    } catch (e) {
      fail(e);
    }
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }
}
