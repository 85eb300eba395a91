// The values one allocator hands out, as upstream's ipallocator and portallocator: an IPv4
// range without its network and broadcast addresses, or a node port range. Each has a low band
// kept for values asked for by name (KEP-3070 for IPs, KEP-3668 for node ports): dynamic
// allocation takes from above it first, so a Service asking for a well-known low address
// (10.43.0.10 for DNS) rarely finds it taken. The range's first IP (default/kubernetes's) is
// never handed out dynamically.
import { parseIp, formatIp } from '../../api/cidr.js';
import type { ServiceNetwork } from './network.js';

export interface ValueRange {
  /** Lowest and highest value handed out (inclusive). */
  readonly first: number;
  readonly last: number;
  /** Values [first, first+lowBand) are taken by dynamic allocation only when the rest is full. */
  readonly lowBand: number;
  /** Values never handed out dynamically (but available on request). */
  readonly requestOnly: ReadonlySet<number>;
  readonly describe: string;
  format(n: number): string;
  parse(s: string): number | undefined;
}

/** Upstream's calculateRangeOffset: size/step clamped to [min, max] (0 for tiny ranges). */
export function lowBandSize(size: number, min: number, max: number, step: number): number {
  if (size < min) return 0;
  return Math.max(min, Math.min(max, Math.floor(size / step)));
}

export function clusterIPRange(n: ServiceNetwork): ValueRange {
  const size = 2 ** (32 - n.serviceCidr.prefix);
  const base = n.serviceCidr.base;
  return {
    first: base + 1,
    last: base + size - 2,
    lowBand: lowBandSize(size, 16, 256, 16),
    requestOnly: new Set([base + 1]),
    describe: `${formatIp(base)}/${n.serviceCidr.prefix}`,
    format: formatIp,
    parse: parseIp,
  };
}

export function nodePortRange(n: ServiceNetwork): ValueRange {
  const { base, size } = n.nodePorts;
  return {
    first: base,
    last: base + size - 1,
    lowBand: lowBandSize(size, 16, 128, 32),
    requestOnly: new Set(),
    describe: `${base}-${base + size - 1}`,
    format: String,
    parse: (s) => (/^\d+$/.test(s) ? Number(s) : undefined),
  };
}

export const inRange = (r: ValueRange, v: number) => v >= r.first && v <= r.last;

/**
 * A free value: a random start in the upper band then the next free one after it (wrapping),
 * as upstream's random-scan strategy; then the low band the same way.
 */
export function pickFree(r: ValueRange, taken: ReadonlySet<number>, random: (n: number) => number = (n) => Math.floor(Math.random() * n)): number | undefined {
  const bands: Array<[number, number]> = [
    [r.first + r.lowBand, r.last],
    [r.first, Math.min(r.last, r.first + r.lowBand - 1)],
  ];
  for (const [lo, hi] of bands) {
    const n = hi - lo + 1;
    if (n <= 0) continue;
    const start = random(n);
    for (let i = 0; i < n; i++) {
      const v = lo + ((start + i) % n);
      if (!taken.has(v) && !r.requestOnly.has(v)) return v;
    }
  }
  return undefined;
}
