// The forwarder's answer cache. An answer lives as long as its smallest TTL (capped at an
// hour, CoreDNS's cache default); a negative one (NXDOMAIN, or NOERROR without answers) as
// long as its SOA's TTL and minimum allow (RFC 2308 5), capped at 30 minutes. SERVFAIL and
// other failures are not kept. Served copies carry TTLs counted down by the time spent in the
// cache. The oldest entry goes when the cache is full.
import type * as packet from 'dns-packet';

export const MAX_POSITIVE_TTL = 3600;
export const MAX_NEGATIVE_TTL = 1800;
/** A negative answer without an SOA is kept this long. */
export const DEFAULT_NEGATIVE_TTL = 5;

export interface CachedAnswer {
  rcode: number;
  /** Flags of the upstream's answer worth passing on (AD). */
  flags: number;
  answers: packet.Answer[];
  authorities: packet.Answer[];
  additionals: packet.Answer[];
}

interface Entry {
  value: CachedAnswer;
  storedAt: number;
  expiresAt: number;
}

function ttlOf(a: packet.Answer): number {
  return 'ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0;
}

/** How long an answer may be cached, in seconds (0: not at all). */
export function cacheTtl(a: CachedAnswer): number {
  if (a.rcode !== 0 && a.rcode !== 3) return 0;
  if (a.rcode === 0 && a.answers.length) {
    const min = Math.min(...[...a.answers, ...a.authorities].filter((r) => r.type !== 'OPT').map(ttlOf));
    return Math.min(min, MAX_POSITIVE_TTL);
  }
  const soa = a.authorities.find((r): r is packet.SoaAnswer => r.type === 'SOA');
  if (!soa) return DEFAULT_NEGATIVE_TTL;
  return Math.min(ttlOf(soa), soa.data.minimum ?? ttlOf(soa), MAX_NEGATIVE_TTL);
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  static key(name: string, type: string, klass: string, dnssecOk: boolean): string {
    return `${name.toLowerCase()}|${type}|${klass}|${dnssecOk ? 1 : 0}`;
  }

  get(key: string): CachedAnswer | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const now = this.now();
    if (now >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    const elapsed = Math.floor((now - e.storedAt) / 1000);
    const age = (rs: packet.Answer[]) => rs.map((r) => (r.type === 'OPT' ? r : { ...r, ttl: Math.max(0, ttlOf(r) - elapsed) }) as packet.Answer);
    const v = e.value;
    return { rcode: v.rcode, flags: v.flags, answers: age(v.answers), authorities: age(v.authorities), additionals: age(v.additionals) };
  }

  put(key: string, value: CachedAnswer): void {
    const ttl = cacheTtl(value);
    if (ttl <= 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: now, expiresAt: now + ttl * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
