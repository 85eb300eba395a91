// IPv4 ranges: a cluster's pod range cut into per-node ranges (each Node's spec.podCIDR, handed
// out by the node IPAM controller and by `berth sim`, as kube-controller-manager's cidrset does),
// and pools of addresses inside one range (a simulated node's pod IPs, as host-local IPAM hands
// them out).

export class CidrError extends Error {
  override readonly name = 'CidrError';
}

/** An IPv4 range: the network address as an unsigned 32-bit number, and the prefix length. */
export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

export function parseIp(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** "10.244.0.0/16"; host bits must be zero, as for --cluster-cidr. */
export function parseCidr(s: string): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s.trim());
  const ip = m ? parseIp(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) throw new CidrError(`invalid CIDR address: ${s}`);
  const base = (ip & mask(prefix)) >>> 0;
  if (base !== ip) throw new CidrError(`${s} has host bits set (the network is ${formatCidr({ base, prefix })})`);
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

/** Addresses in the range (2^(32-prefix)). */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + cidrSize(c);
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

/** A set of slot numbers 0..size-1 handed out next-fit, so a released slot is not reused at once. */
class SlotBitmap {
  private readonly bits: Uint32Array;
  private used = 0;
  private next = 0;

  constructor(readonly size: number) {
    this.bits = new Uint32Array(Math.ceil(size / 32));
  }

  get free(): number {
    return this.size - this.used;
  }

  has(i: number): boolean {
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Marks slot i taken; false when it already was. */
  take(i: number): boolean {
    if (i < 0 || i >= this.size || this.has(i)) return false;
    this.bits[i >>> 5]! |= 1 << (i & 31);
    this.used++;
    return true;
  }

  release(i: number): boolean {
    if (i < 0 || i >= this.size || !this.has(i)) return false;
    this.bits[i >>> 5]! &= ~(1 << (i & 31));
    this.used--;
    return true;
  }

  /** The first free slot at or after the cursor (wrapping), taken; undefined when full. */
  takeNext(): number | undefined {
    if (this.used >= this.size) return undefined;
    for (let n = 0; n < this.size; n++) {
      const i = (this.next + n) % this.size;
      // Skip whole words that are full.
      if ((i & 31) === 0 && this.bits[i >>> 5] === 0xffffffff && i + 32 <= this.size) {
        n += 31;
        continue;
      }
      if (this.take(i)) {
        this.next = (i + 1) % this.size;
        return i;
      }
    }
    return undefined;
  }
}

/** Whether two ranges share any address (one then contains the other). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/**
 * At most 2^24 node ranges (a 2 MiB bitmap): a /0 cut into /30s would be a billion. Upstream
 * caps IPv6 at 2^16 for the same reason.
 */
export const MAX_NODE_RANGES_LOG2 = 24;

/**
 * Cuts a cluster range into node ranges of one mask size (a /16 into 256 /24s) and hands them
 * out next-fit, as kube-controller-manager's cidrset does for spec.podCIDR: a range released is
 * not handed out again until the others have been.
 */
export class NodeCidrAllocator {
  readonly cluster: Cidr;
  readonly maskSize: number;
  private readonly slots: SlotBitmap;

  constructor(cluster: Cidr | string, maskSize = 24) {
    this.cluster = typeof cluster === 'string' ? parseCidr(cluster) : cluster;
    if (!Number.isInteger(maskSize) || maskSize < this.cluster.prefix || maskSize > 30) {
      throw new CidrError(`node mask size /${maskSize} does not fit in ${formatCidr(this.cluster)}`);
    }
    if (maskSize - this.cluster.prefix > MAX_NODE_RANGES_LOG2) {
      throw new CidrError(
        `${formatCidr(this.cluster)} cut into /${maskSize}s is 2^${maskSize - this.cluster.prefix} node ranges; at most 2^${MAX_NODE_RANGES_LOG2} are supported`,
      );
    }
    this.maskSize = maskSize;
    this.slots = new SlotBitmap(2 ** (maskSize - this.cluster.prefix));
  }

  /** How many node ranges the cluster range holds. */
  get capacity(): number {
    return this.slots.size;
  }

  get free(): number {
    return this.slots.free;
  }

  /** Whether a range shares addresses with the cluster range (false for one that does not parse). */
  overlaps(cidr: Cidr | string): boolean {
    return this.slotsOf(cidr) !== undefined;
  }

  /**
   * Marks the node ranges a range covers as taken, whatever its size (a /23 takes two /24s, a
   * /25 the /24 around it), as cidrset's Occupy does; false when none was free or it lies
   * outside the cluster range.
   */
  occupy(cidr: Cidr | string): boolean {
    const s = this.slotsOf(cidr);
    let took = false;
    if (s) for (let i = s.first; i <= s.last; i++) took = this.slots.take(i) || took;
    return took;
  }

  /** Whether every node range a range covers is free (false outside the cluster range). */
  isFree(cidr: Cidr | string): boolean {
    const s = this.slotsOf(cidr);
    if (!s) return false;
    for (let i = s.first; i <= s.last; i++) if (this.slots.has(i)) return false;
    return true;
  }

  allocate(): Cidr | undefined {
    const i = this.slots.takeNext();
    return i === undefined ? undefined : this.rangeOf(i);
  }

  release(cidr: Cidr | string): void {
    const s = this.slotsOf(cidr);
    if (s) for (let i = s.first; i <= s.last; i++) this.slots.release(i);
  }

  private rangeOf(i: number): Cidr {
    return { base: (this.cluster.base + i * 2 ** (32 - this.maskSize)) >>> 0, prefix: this.maskSize };
  }

  /** The node ranges (slot numbers) a range overlaps; undefined when none. */
  private slotsOf(cidr: Cidr | string): { first: number; last: number } | undefined {
    let c: Cidr;
    try {
      c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    } catch {
      return undefined;
    }
    if (!cidrsOverlap(this.cluster, c)) return undefined;
    const step = 2 ** (32 - this.maskSize);
    const lo = Math.max(c.base, this.cluster.base);
    const hi = Math.min(c.base + cidrSize(c), this.cluster.base + cidrSize(this.cluster)) - 1;
    return { first: Math.floor((lo - this.cluster.base) / step), last: Math.floor((hi - this.cluster.base) / step) };
  }
}

export interface AddressPoolOptions {
  /**
   * Addresses at the start of the range that are never handed out. Default 2: the network
   * address and the gateway (.0 and .1 of a /24, as a CNI bridge keeps them).
   */
  reserveLow?: number;
  /** Addresses at the end never handed out. Default 1: the broadcast address. */
  reserveHigh?: number;
}

/** The addresses of one range, handed out next-fit and released, as host-local IPAM does. */
export class AddressPool {
  readonly range: Cidr;
  private readonly low: number;
  private readonly slots: SlotBitmap;

  constructor(range: Cidr | string, opts: AddressPoolOptions = {}) {
    this.range = typeof range === 'string' ? parseCidr(range) : range;
    this.low = opts.reserveLow ?? 2;
    const size = cidrSize(this.range) - this.low - (opts.reserveHigh ?? 1);
    if (size <= 0) throw new CidrError(`${formatCidr(this.range)} has no addresses to hand out`);
    this.slots = new SlotBitmap(size);
  }

  get capacity(): number {
    return this.slots.size;
  }

  get free(): number {
    return this.slots.free;
  }

  allocate(): string | undefined {
    const i = this.slots.takeNext();
    return i === undefined ? undefined : formatIp((this.range.base + this.low + i) >>> 0);
  }

  /** Marks an address already in use (found on an object) as taken; false when outside the pool or taken. */
  occupy(ip: string): boolean {
    const i = this.slotOf(ip);
    return i !== undefined && this.slots.take(i);
  }

  contains(ip: string): boolean {
    return this.slotOf(ip) !== undefined;
  }

  release(ip: string): void {
    const i = this.slotOf(ip);
    if (i !== undefined) this.slots.release(i);
  }

  private slotOf(ip: string): number | undefined {
    const n = parseIp(ip);
    if (n === undefined) return undefined;
    const i = n - this.range.base - this.low;
    return i >= 0 && i < this.slots.size ? i : undefined;
  }
}
