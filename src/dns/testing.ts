// Test helpers: a one-shot DNS client over UDP or TCP, and a scripted upstream resolver on
// loopback, so tests speak the real wire format to real sockets.
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import * as packet from 'dns-packet';

export interface QueryOptions {
  tcp?: boolean;
  /** Add an OPT record with this UDP size. */
  edns?: number;
  id?: number;
  timeoutMs?: number;
  host?: string;
}

export function ask(
  port: number,
  name: string,
  type: packet.RecordType | 'ANY',
  o: QueryOptions = {},
): Promise<packet.DecodedPacket & { rcode?: string; raw?: Buffer }> {
  const msg: packet.Packet = {
    type: 'query',
    id: o.id ?? 4242,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: type as packet.RecordType, class: 'IN' }],
    additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  };
  return o.tcp ? sendTcp(port, packet.encode(msg), o) : sendUdp(port, packet.encode(msg), o);
}

export function sendUdp(port: number, msg: Buffer, o: QueryOptions = {}): Promise<packet.DecodedPacket & { rcode?: string; raw?: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no UDP answer'));
    }, o.timeoutMs ?? 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      try {
        resolve(Object.assign(packet.decode(m), { raw: m }));
      } catch (e) {
        reject(e as Error);
      }
    });
    s.send(msg, port, o.host ?? '127.0.0.1');
  });
}

export function sendTcp(port: number, msg: Buffer, o: QueryOptions = {}): Promise<packet.DecodedPacket & { rcode?: string; raw?: Buffer }> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: o.host ?? '127.0.0.1', port });
    const head = Buffer.alloc(2);
    head.writeUInt16BE(msg.length);
    let buf = Buffer.alloc(0);
    c.setTimeout(o.timeoutMs ?? 2000, () => {
      c.destroy();
      reject(new Error('no TCP answer'));
    });
    c.on('error', reject);
    c.on('connect', () => c.write(Buffer.concat([head, msg])));
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      c.destroy();
      const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
      resolve(Object.assign(packet.decode(m), { raw: m }));
    });
  });
}

export interface FakeUpstream {
  port: number;
  /** Questions received, as "name TYPE udp|tcp". */
  seen: string[];
  close(): Promise<void>;
}

/**
 * A resolver on host:port (UDP and TCP) answering from a script: the function returns the
 * answer's sections and rcode for a question, or 'drop' to stay silent. Over UDP an answer
 * longer than 512 bytes goes out truncated (no answers, TC), as a real server does.
 */
export async function fakeUpstream(
  answer: (q: packet.Question) => { rcode?: number; answers?: packet.Answer[]; authorities?: packet.Answer[] } | 'drop',
  host = '127.0.0.1',
  port = 0,
): Promise<FakeUpstream> {
  const seen: string[] = [];
  const reply = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    const q = packet.decode(msg);
    const question = q.questions![0]!;
    seen.push(`${question.name} ${question.type} ${transport}`);
    const a = answer(question);
    if (a === 'drop') return undefined;
    const p: packet.Packet = {
      type: 'response',
      id: q.id,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (a.rcode ?? 0),
      questions: [question],
      answers: a.answers ?? [],
      authorities: a.authorities ?? [],
    };
    const out = packet.encode(p);
    if (transport === 'udp' && out.length > 512)
      return packet.encode({ ...p, flags: (p.flags ?? 0) | packet.TRUNCATED_RESPONSE, answers: [], authorities: [] });
    return out;
  };
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind({ address: host, port }, () => r()));
  const bound = udp.address().port;
  udp.on('message', (m, rinfo) => {
    const out = reply(m, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  const tcp = createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('error', () => undefined);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const out = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), 'tcp');
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (!out) continue;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        c.write(Buffer.concat([head, out]));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen({ host, port: bound }, () => r()));
  return {
    port: bound,
    seen,
    close: () => new Promise<void>((r) => udp.close(() => tcp.close(() => r()))),
  };
}
