// Message shapes shared by the handler and the forwarder: header flags, rcodes (with EDNS's
// extended ones), the OPT record, and a response that fits a UDP payload limit (RFC 1035 4.2.1
// and RFC 6891 7: over the limit, the answer is cut to its question and TC is set, and the
// client asks again over TCP).
import * as packet from 'dns-packet';

export const QR = 1 << 15;
export const AA = packet.AUTHORITATIVE_ANSWER;
export const TC = packet.TRUNCATED_RESPONSE;
export const RD = packet.RECURSION_DESIRED;
export const RA = packet.RECURSION_AVAILABLE;
export const AD = packet.AUTHENTIC_DATA;
export const CD = packet.CHECKING_DISABLED;
export const DO = packet.DNSSEC_OK;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
const RCODE_NAMES: Record<string, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
};

/** The numeric rcode of a decoded packet's name (dns-packet decodes the header's four bits to a name). */
export function rcodeNumber(name: string | undefined): number {
  if (!name) return 0;
  const n = RCODE_NAMES[name];
  if (n !== undefined) return n;
  const m = /(\d+)$/.exec(name);
  return m ? Number(m[1]) & 0xf : RCODE.SERVFAIL;
}

/** The largest UDP answer Berth sends or asks for (the DNS flag day 2020 value). */
export const EDNS_UDP_SIZE = 1232;
/** Without EDNS a UDP answer is at most this (RFC 1035). */
export const CLASSIC_UDP_SIZE = 512;

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

/** The OPT record of a response: Berth's UDP size, the DO bit echoed, the extended rcode bits. */
export function optRecord(edns: Edns, rcode = 0): packet.OptAnswer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_UDP_SIZE,
    extendedRcode: rcode >> 4,
    ednsVersion: 0,
    flags: edns.dnssecOk ? DO : 0,
    flag_do: edns.dnssecOk,
    options: [],
  };
}

/** The UDP payload limit a client with (or without) EDNS accepts. */
export function udpLimit(edns: Edns | undefined): number {
  if (!edns) return CLASSIC_UDP_SIZE;
  return Math.max(CLASSIC_UDP_SIZE, Math.min(edns.udpSize, 65_535));
}

/** A header-only answer (FORMERR for a message that does not decode), from the request's first 12 bytes. */
export function headerOnlyResponse(request: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(request.readUInt16BE(0), 0);
  const opcode = (request.readUInt16BE(2) >> 11) & 0xf;
  const rd = request.readUInt16BE(2) & RD;
  out.writeUInt16BE(QR | (opcode << 11) | rd | (rcode & 0xf), 2);
  return out;
}

/**
 * Encodes a response; over UDP, one larger than the client's limit goes out truncated: header,
 * question and OPT only, TC set, so the client retries over TCP and gets all of it.
 */
export function encodeResponse(p: packet.Packet, limit: number | undefined): Buffer {
  const buf = packet.encode(p);
  if (limit === undefined || buf.length <= limit) return buf;
  return packet.encode({ ...p, flags: (p.flags ?? 0) | TC, answers: [], authorities: [], additionals: (p.additionals ?? []).filter((a) => a.type === 'OPT') });
}
