// CIDR strings as upstream reads the fields it validates leniently (netutils.ParseCIDRSloppy):
// an IPv4 octet may carry leading zeros (read as decimal, "010" is 10) and host bits may be set
// ("10.1.2.3/8" is 10.0.0.0/8). Service.spec.loadBalancerSourceRanges is such a field: the API
// server accepts these, and kube-proxy uses the network they name.
import { isIP } from 'node:net';
import { formatCidr } from './cidr.js';

export type SloppyCidr = { family: 4; /** The network, host bits cleared: "10.0.0.0/8". */ network: string } | { family: 6 };

/** The CIDR value's family (and IPv4 network), or undefined when it is not one. */
export function parseCidrSloppy(value: string): SloppyCidr | undefined {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return undefined;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (ip.includes(':')) return isIP(ip) === 6 && prefix <= 128 ? { family: 6 } : undefined;
  const parts = ip.split('.');
  if (parts.length !== 4 || prefix > 32) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { family: 4, network: formatCidr({ base: (n & mask) >>> 0, prefix }) };
}
