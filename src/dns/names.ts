// Name arithmetic of the cluster zone: reverse-lookup names of addresses (in-addr.arpa and
// the nibble form of ip6.arpa, as the DNS specification writes them) and back, and the dashed
// form of an address that names pods (a-b-c-d) and endpoints without a hostname.
import { isIPv4, isIPv6 } from 'node:net';

/** A query name as the model keys it: lower case, no trailing dot. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/** `10.43.0.1` → `1.0.43.10.in-addr.arpa`; `2001:db8::1` → the 32 nibbles reversed under ip6.arpa. */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIPv6(ip)) return `${expandIPv6(ip).replace(/:/g, '').split('').reverse().join('.')}.ip6.arpa`;
  throw new Error(`not an IP address: ${ip}`);
}

/** The full form of an IPv6 address: eight groups of four lower-case hex digits. */
export function expandIPv6(ip: string): string {
  let s = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** `10.42.0.5` → `10-42-0-5`; `fd00::5` → `fd00--5` (CoreDNS's endpoint hostname when none is set). */
export function dashedAddress(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** `10-42-0-5` → `10.42.0.5`, or undefined when the label is not a dashed IPv4 address. */
export function undashIPv4(label: string): string | undefined {
  const ip = label.replace(/-/g, '.');
  return isIPv4(ip) ? ip : undefined;
}
