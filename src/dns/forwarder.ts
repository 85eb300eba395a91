// Forwarding of names the cluster does not answer to the node's upstream resolvers, as
// CoreDNS's forward plugin: over UDP, again over TCP when the answer comes back truncated;
// the next upstream when one times out or fails; an error (SERVFAIL to the client) when all
// do. Answers are cached (cache.ts) and identical questions in flight share one upstream query.
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { isIPv6 } from 'node:net';
import * as packet from 'dns-packet';
import { ResponseCache, type CachedAnswer } from './cache.js';
import { DO, EDNS_UDP_SIZE, RD, rcodeNumber, AD } from './wire.js';

export type ForwardAnswer = CachedAnswer;

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwarderOptions {
  /** The upstreams to try in order, asked for each query (resolv.conf may change). */
  upstreams: () => Upstream[];
  /** How long one upstream gets to answer (default 2 s). */
  timeoutMs?: number;
  cache?: ResponseCache;
}

interface Pending {
  resolve: (p: packet.DecodedPacket) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  upstream: Upstream;
  question: packet.Question;
}

export class Forwarder {
  readonly cache: ResponseCache;
  private readonly timeoutMs: number;
  private readonly sockets = new Map<'udp4' | 'udp6', Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Map<string, Promise<ForwardAnswer>>();
  private closed = false;

  constructor(private readonly o: ForwarderOptions) {
    this.cache = o.cache ?? new ResponseCache();
    this.timeoutMs = o.timeoutMs ?? 2000;
  }

  /** The answer to one question: cached, or from the first upstream that answers. */
  resolve(question: packet.Question, dnssecOk: boolean): Promise<ForwardAnswer> {
    const key = ResponseCache.key(question.name, question.type, question.class ?? 'IN', dnssecOk);
    const hit = this.cache.get(key);
    if (hit) return Promise.resolve(hit);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ask(question, dnssecOk).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
      void p.then(
        (a) => this.cache.put(key, a),
        () => undefined,
      );
    }
    return p;
  }

  private async ask(question: packet.Question, dnssecOk: boolean): Promise<ForwardAnswer> {
    const upstreams = this.o.upstreams();
    if (!upstreams.length) throw new Error('no upstream nameservers');
    const errors: string[] = [];
    for (const u of upstreams) {
      try {
        let res = await this.udp(u, question, dnssecOk);
        if (res.flag_tc) res = await this.tcp(u, question, dnssecOk);
        return {
          rcode: rcodeNumber((res as packet.DecodedPacket & { rcode?: string }).rcode),
          flags: (res.flags ?? 0) & AD,
          answers: res.answers ?? [],
          authorities: res.authorities ?? [],
          additionals: (res.additionals ?? []).filter((a) => a.type !== 'OPT'),
        };
      } catch (e) {
        errors.push(`${u.host}:${u.port}: ${(e as Error).message}`);
      }
    }
    throw new Error(`no upstream answered (${errors.join('; ')})`);
  }

  private query(id: number, question: packet.Question, dnssecOk: boolean): packet.Packet {
    return {
      type: 'query',
      id,
      flags: RD,
      questions: [{ name: question.name, type: question.type, class: question.class ?? 'IN' }],
      additionals: [
        { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: dnssecOk ? DO : 0, flag_do: dnssecOk, options: [] },
      ],
    };
  }

  private socket(family: 'udp4' | 'udp6'): Socket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = createSocket(family);
    s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    s.on('error', () => undefined);
    s.unref();
    this.sockets.set(family, s);
    return s;
  }

  private onMessage(msg: Buffer, host: string, port: number): void {
    if (msg.length < 12) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    // Only the upstream asked may answer, and only the question asked (no spoofed answers).
    if (!p || p.upstream.port !== port || normalizeHost(p.upstream.host) !== normalizeHost(host)) return;
    let res: packet.DecodedPacket;
    try {
      res = packet.decode(msg);
    } catch {
      return;
    }
    const q = res.questions?.[0];
    if (!q || q.name.toLowerCase() !== p.question.name.toLowerCase() || q.type !== p.question.type) return;
    this.pending.delete(res.id ?? -1);
    clearTimeout(p.timer);
    p.resolve(res);
  }

  private udp(u: Upstream, question: packet.Question, dnssecOk: boolean): Promise<packet.DecodedPacket> {
    if (this.closed) return Promise.reject(new Error('forwarder closed'));
    let id = randomInt(0x10000);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const msg = packet.encode(this.query(id, question, dnssecOk));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, upstream: u, question });
      this.socket(isIPv6(u.host) ? 'udp6' : 'udp4').send(msg, u.port, u.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private tcp(u: Upstream, question: packet.Question, dnssecOk: boolean): Promise<packet.DecodedPacket> {
    const id = randomInt(0x10000);
    const msg = packet.streamEncode(this.query(id, question, dnssecOk));
    return new Promise((resolve, reject) => {
      const sock = connect({ host: u.host, port: u.port });
      let buf = Buffer.alloc(0);
      const fail = (e: Error) => {
        sock.destroy();
        reject(e);
      };
      sock.setTimeout(this.timeoutMs, () => fail(new Error(`no TCP answer within ${this.timeoutMs} ms`)));
      sock.on('error', fail);
      sock.on('connect', () => sock.write(msg));
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        sock.destroy();
        try {
          const res = packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          if (res.id !== id) return reject(new Error('TCP answer with the wrong id'));
          resolve(res);
        } catch (e) {
          reject(new Error(`undecodable TCP answer: ${(e as Error).message}`));
        }
      });
      sock.on('end', () => fail(new Error('TCP connection closed before an answer')));
    });
  }

  close(): void {
    this.closed = true;
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('forwarder closed'));
    }
    this.pending.clear();
  }
}

function normalizeHost(h: string): string {
  return h.startsWith('::ffff:') ? h.slice(7) : h.toLowerCase();
}

/** resolv.conf's nameservers as upstreams on port 53 (or the given port, for tests). */
export function upstreamsFrom(servers: string[], port = 53): Upstream[] {
  return servers.map((host) => ({ host, port }));
}
