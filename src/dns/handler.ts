// One DNS message in, one out: decodes the query (FORMERR when it does not decode, NOTIMP for
// an opcode other than QUERY, BADVERS for EDNS above version 0), answers names of the cluster
// zone from the record model and hands every other name, and reverse names of no cluster
// address, to the forwarder. Cluster answers are authoritative; negative ones carry the zone's
// SOA so resolvers cache them (RFC 2308). An ExternalName's CNAME is followed, as the
// specification's example answer shows.
import * as packet from 'dns-packet';
import { canonicalName } from './names.js';
import type { ClusterRecords, NameRecords } from './records.js';
import type { ForwardAnswer, Forwarder } from './forwarder.js';
import { AA, CD, RA, RCODE, RD, encodeResponse, headerOnlyResponse, optRecord, udpLimit, type Edns } from './wire.js';

export type Transport = 'udp' | 'tcp';

export interface DnsHandlerOptions {
  records: ClusterRecords;
  /** Names outside the cluster zone; without one they are REFUSED. */
  forwarder?: Forwarder;
  /** TTL of cluster records, 5 to 30 s (default 5). */
  ttl?: number;
  log?: (msg: string) => void;
}

interface Query {
  id: number;
  flags: number;
  question: packet.Question;
  edns?: Edns;
}

type Section = packet.Answer[];

interface Answer {
  rcode: number;
  aa: boolean;
  answers: Section;
  authorities: Section;
  additionals: Section;
  /** Forwarded answers keep the upstream's AD bit. */
  flags?: number;
}

/** Encoded cluster answers kept at most per transport (emptied when full or when the zone changes). */
const MAX_ENCODED_ANSWERS = 10_000;

export class DnsHandler {
  readonly ttl: number;
  private readonly soa: packet.Answer;
  /**
   * Cluster answers as sent, per transport, keyed by the request's bytes after its id: the
   * same question with the same flags and EDNS gets the same bytes back but for the id, so a
   * repeated query is answered without decoding or encoding. Valid for one zone generation.
   */
  private readonly encoded: Record<Transport, Map<string, Buffer>> = { udp: new Map(), tcp: new Map() };
  private encodedGeneration = -1;

  constructor(private readonly o: DnsHandlerOptions) {
    this.ttl = o.ttl ?? 5;
    if (!Number.isInteger(this.ttl) || this.ttl < 5 || this.ttl > 30) throw new RangeError(`cluster DNS TTL must be 5 to 30 seconds, not ${o.ttl}`);
    const zone = o.records.zone;
    this.soa = {
      type: 'SOA',
      name: zone,
      ttl: this.ttl,
      data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }

  /** The response to one message, or undefined when none is due (a response, a runt). */
  handle(msg: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    if (msg.length < 12) return undefined;
    // Never answer a response: two servers could bounce one between them for ever.
    if (msg.readUInt16BE(2) & 0x8000) return undefined;
    const gen = this.o.records.generation;
    const encoded = this.encoded[transport];
    if (gen !== this.encodedGeneration || encoded.size >= MAX_ENCODED_ANSWERS) {
      this.encoded.udp.clear();
      this.encoded.tcp.clear();
      this.encodedGeneration = gen;
    }
    const key = msg.toString('latin1', 2);
    const hit = encoded.get(key);
    if (hit) {
      // A copy (from the pooled allocator): the socket still holds earlier copies being sent.
      const out = Buffer.allocUnsafe(hit.length);
      hit.copy(out);
      out.writeUInt16BE(msg.readUInt16BE(0), 0);
      return out;
    }
    let q: Query;
    try {
      q = this.parse(msg);
    } catch (e) {
      if (e instanceof Refusal) return e.response;
      return headerOnlyResponse(msg, RCODE.FORMERR);
    }
    const limit = transport === 'udp' ? udpLimit(q.edns) : undefined;
    const name = canonicalName(q.question.name);
    const found = this.o.records.lookup(name);
    if (found.kind === 'forward') {
      return this.forward(q.question, q.edns).then((a) => this.encode(q, a, limit));
    }
    const r = found.kind === 'found' ? found.records : undefined;
    if (r?.cname && q.question.type !== 'CNAME') {
      return this.followCname(q, r.cname).then((a) => this.encode(q, a, limit));
    }
    const out = r
      ? this.encode(q, this.answer(q.question, r), limit)
      : this.encode(q, { rcode: RCODE.NXDOMAIN, aa: true, answers: [], authorities: [this.soa], additionals: [] }, limit);
    encoded.set(key, out);
    return out;
  }

  private parse(msg: Buffer): Query {
    const p = packet.decode(msg) as packet.DecodedPacket & { opcode?: string };
    const id = p.id ?? 0;
    const flags = p.flags ?? 0;
    const opts = (p.additionals ?? []).filter((a) => a.type === 'OPT') as packet.OptAnswer[];
    if (opts.length > 1) throw new Error('more than one OPT record');
    const opt = opts[0];
    const edns = opt ? { udpSize: opt.udpPayloadSize, version: opt.ednsVersion, dnssecOk: !!opt.flag_do } : undefined;
    const questions = p.questions ?? [];
    if (p.opcode !== 'QUERY') throw new Refusal(this.bare(id, flags, questions, edns, RCODE.NOTIMP));
    if (questions.length !== 1) throw new Error('not one question');
    if (edns && edns.version > 0) throw new Refusal(this.bare(id, flags, questions, edns, RCODE.BADVERS));
    const question = questions[0]!;
    if (!representable(question.name)) throw new Error('a question name this server cannot echo');
    const klass = question.class ?? 'IN';
    if (klass !== 'IN' && klass !== 'ANY') throw new Refusal(this.bare(id, flags, questions, edns, RCODE.REFUSED));
    return { id, flags, question, edns };
  }

  private bare(id: number, flags: number, questions: packet.Question[], edns: Edns | undefined, rcode: number): Buffer {
    return packet.encode({
      type: 'response',
      id,
      flags: (flags & (RD | 0x7800)) | RA | (rcode & 0xf),
      // The question is echoed when it can be (see representable).
      questions: questions.slice(0, 1).filter((q) => representable(q.name)),
      answers: [],
      authorities: [],
      additionals: edns ? [optRecord(edns, rcode)] : [],
    });
  }

  /** A cluster name's records of the type asked; none of them is NOERROR with the SOA (no data). */
  private answer(question: packet.Question, r: NameRecords): Answer {
    const ttl = this.ttl;
    const name = question.name;
    const answers: Section = [];
    const additionals: Section = [];
    const type = question.type as string;
    const any = type === 'ANY';
    if ((type === 'A' || any) && r.a) for (const ip of r.a) answers.push({ type: 'A', name, ttl, data: ip });
    if ((type === 'AAAA' || any) && r.aaaa) for (const ip of r.aaaa) answers.push({ type: 'AAAA', name, ttl, data: ip });
    if ((type === 'CNAME' || any) && r.cname) answers.push({ type: 'CNAME', name, ttl, data: r.cname });
    if ((type === 'PTR' || any) && r.ptr) for (const p of r.ptr) answers.push({ type: 'PTR', name, ttl, data: p });
    if ((type === 'TXT' || any) && r.txt) answers.push({ type: 'TXT', name, ttl, data: r.txt });
    if ((type === 'SRV' || any) && r.srv) {
      const targets = new Set<string>();
      for (const s of r.srv) {
        answers.push({ type: 'SRV', name, ttl, data: { priority: s.priority, weight: s.weight, port: s.port, target: s.target } });
        targets.add(s.target);
      }
      // The targets' addresses, which the specification allows in the additional section.
      for (const t of targets) {
        const tr = this.o.records.lookup(t);
        if (tr.kind !== 'found') continue;
        for (const ip of tr.records.a ?? []) additionals.push({ type: 'A', name: t, ttl, data: ip });
        for (const ip of tr.records.aaaa ?? []) additionals.push({ type: 'AAAA', name: t, ttl, data: ip });
      }
    }
    return { rcode: RCODE.NOERROR, aa: true, answers, authorities: answers.length ? [] : [this.soa], additionals };
  }

  /** The CNAME, then the target's records of the type asked: the cluster's, or the upstream's. */
  private async followCname(q: Query, target: string): Promise<Answer> {
    const ttl = this.ttl;
    const cname: packet.Answer = { type: 'CNAME', name: q.question.name, ttl, data: target };
    const t = this.o.records.lookup(target);
    let rest: Answer;
    if (t.kind === 'found' && !t.records.cname) rest = this.answer({ ...q.question, name: target }, t.records);
    else if (t.kind === 'forward') rest = await this.forward({ ...q.question, name: target }, q.edns);
    else rest = { rcode: t.kind === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR, aa: true, answers: [], authorities: [this.soa], additionals: [] };
    return { ...rest, aa: true, answers: [cname, ...rest.answers] };
  }

  private async forward(question: packet.Question, edns: Edns | undefined): Promise<Answer> {
    const f = this.o.forwarder;
    if (!f) return { rcode: RCODE.REFUSED, aa: false, answers: [], authorities: [], additionals: [] };
    let a: ForwardAnswer;
    try {
      a = await f.resolve(question, !!edns?.dnssecOk);
    } catch (e) {
      this.o.log?.(`forwarding ${question.name} ${question.type}: ${(e as Error).message}`);
      return { rcode: RCODE.SERVFAIL, aa: false, answers: [], authorities: [], additionals: [] };
    }
    return { rcode: a.rcode, aa: false, answers: a.answers, authorities: a.authorities, additionals: a.additionals, flags: a.flags };
  }

  private encode(q: Query, a: Answer, limit: number | undefined): Buffer {
    const rcode = a.rcode;
    let flags = (q.flags & (RD | CD)) | RA | (rcode & 0xf) | (a.flags ?? 0);
    if (a.aa) flags |= AA;
    const additionals = q.edns ? [...a.additionals, optRecord(q.edns, rcode)] : a.additionals;
    return encodeResponse({ type: 'response', id: q.id, flags, questions: [q.question], answers: a.answers, authorities: a.authorities, additionals }, limit);
  }
}

/**
 * Whether a decoded name encodes back to the same wire name, so that the answer can echo the
 * question: dns-packet decodes labels as UTF-8 text joined by dots, so a label holding a dot
 * or bytes outside ASCII would come back as other labels, or as a name that does not decode.
 * Such names (no resolver sends them) are FORMERR.
 */
function representable(name: string): boolean {
  if (name === '' || name === '.') return true;
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(name) || name.length > 253) return false;
  return name.split('.').every((l) => l.length > 0 && l.length <= 63);
}

/** A query that decodes but is answered with an error right away. */
class Refusal extends Error {
  constructor(readonly response: Buffer) {
    super('refused');
  }
}
