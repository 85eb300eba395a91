// The service network a cluster is configured with: the range cluster IPs come from
// (`--service-cidr`, k3s's 10.43.0.0/16) and the node port range (`--service-node-port-range`,
// 30000-32767), parsed and checked once at start as kube-apiserver checks its flags.
import { CidrError, cidrSize, formatCidr, formatIp, parseCidr, type Cidr } from '../../api/cidr.js';

export interface PortRange {
  readonly base: number;
  readonly size: number;
}

export interface ServiceNetwork {
  readonly serviceCidr: Cidr;
  readonly nodePorts: PortRange;
}

export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

/** An IPv4 service range: /12 at the widest (upstream's limit for the allocator's bitmap), /30 at the narrowest. */
export function parseServiceCidr(s: string): Cidr {
  let c: Cidr;
  try {
    c = parseCidr(s);
  } catch (e) {
    throw new CidrError(`--service-cidr: ${(e as Error).message}`);
  }
  if (c.prefix < 12) throw new CidrError(`--service-cidr ${s} is too large; the mask must be /12 or longer`);
  if (c.prefix > 30) throw new CidrError(`--service-cidr ${s} is too small; the mask must be /30 or shorter`);
  return c;
}

/** "30000-32767" (or "30000+2767", base and size, as upstream's ParsePortRange). */
export function parseNodePortRange(s: string): PortRange {
  const m = /^\s*(\d{1,5})\s*(?:([-+])\s*(\d{1,5}))?\s*$/.exec(s);
  const bad = () => new CidrError(`--service-node-port-range ${JSON.stringify(s)}: want FIRST-LAST (e.g. 30000-32767) within 1-65535`);
  if (!m) throw bad();
  const base = Number(m[1]);
  const last = m[2] === '+' ? base + Number(m[3]) : m[2] === '-' ? Number(m[3]) : base;
  if (base < 1 || last > 65535 || last < base) throw bad();
  return { base, size: last - base + 1 };
}

export function serviceNetwork(cidr = DEFAULT_SERVICE_CIDR, ports = DEFAULT_NODE_PORT_RANGE): ServiceNetwork {
  return { serviceCidr: parseServiceCidr(cidr), nodePorts: parseNodePortRange(ports) };
}

/** The address default/kubernetes gets: the first of the range (10.43.0.1). */
export function firstServiceIP(n: ServiceNetwork): string {
  return formatIp(n.serviceCidr.base + 1);
}

export const formatServiceCidr = (n: ServiceNetwork) => formatCidr(n.serviceCidr);
export const formatPortRange = (r: PortRange) => `${r.base}-${r.base + r.size - 1}`;
export const serviceCidrSize = (n: ServiceNetwork) => cidrSize(n.serviceCidr);
