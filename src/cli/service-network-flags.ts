// The service flags of `berth server`, named as k3s's: --service-cidr, --service-node-port-range,
// --cluster-dns, --cluster-domain. Checked before anything starts; each mistake is one sentence
// naming the flag.
import { formatIp, parseIp } from '../api/cidr.js';
import { isDNS1123Subdomain } from '../api/names.js';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  formatServiceCidr,
  parseNodePortRange,
  parseServiceCidr,
  type ServiceNetwork,
} from '../registry/services/network.js';
import { clusterIPRange, inRange } from '../registry/services/ranges.js';

export interface ServiceNetworkFlags {
  serviceCidr?: string;
  serviceNodePortRange?: string;
  clusterDns?: string;
  clusterDomain?: string;
}

export interface ServiceNetworkOptions {
  network: ServiceNetwork;
  clusterDNS: string;
  clusterDomain: string;
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

export function serviceNetworkOptions(flags: ServiceNetworkFlags): ServiceNetworkOptions {
  const cidrText = (flags.serviceCidr ?? DEFAULT_SERVICE_CIDR).trim();
  if (cidrText.includes(':')) throw new Error(`--service-cidr ${cidrText}: only IPv4 ranges are supported`);
  const network: ServiceNetwork = {
    serviceCidr: parseServiceCidr(cidrText),
    nodePorts: parseNodePortRange(flags.serviceNodePortRange ?? DEFAULT_NODE_PORT_RANGE),
  };
  // k3s's default: the tenth address of the service range (10.43.0.10).
  const clusterDNS = (flags.clusterDns ?? formatIp(network.serviceCidr.base + 10)).trim();
  const dns = parseIp(clusterDNS);
  if (dns === undefined) throw new Error(`--cluster-dns ${JSON.stringify(clusterDNS)} is not an IPv4 address`);
  const range = clusterIPRange(network);
  if (!inRange(range, dns) || range.requestOnly.has(dns)) {
    throw new Error(
      `--cluster-dns ${clusterDNS} must be an address of --service-cidr ${formatServiceCidr(network)} other than its network, broadcast and first (kubernetes) addresses`,
    );
  }
  const clusterDomain = (flags.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN).trim().replace(/\.$/, '');
  const bad = isDNS1123Subdomain(clusterDomain);
  if (bad.length) throw new Error(`--cluster-domain ${JSON.stringify(clusterDomain)}: ${bad[0]}`);
  return { network, clusterDNS, clusterDomain };
}
