// The service proxy's flags of `berth server` and `berth agent`: --proxy-table, --disable-proxy
// and (agent) --cluster-cidr / --service-cidr, checked into the embedded agent's proxy options.
import { cidrContains, cidrSize, formatCidr, parseCidr } from '../api/cidr.js';
import { DEFAULT_TABLE } from '../proxy/index.js';

/** k3s's defaults, which Berth's server uses too. */
export const DEFAULT_PROXY_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_PROXY_SERVICE_CIDR = '10.43.0.0/16';

/** The agent's dir remembers its proxy's table (DIR/proxy-table), for `berth killall`. */
export const PROXY_TABLE_FILE = 'proxy-table';

export interface ProxyFlags {
  proxyTable?: string;
  disableProxy?: boolean;
  clusterCidr?: string;
  serviceCidr?: string;
}

export interface ProxyOptions {
  table: string;
  clusterCidr: string;
  serviceCidr: string;
}

/** An nft identifier Berth accepts for its table: a letter, then letters, digits, - and _. */
export function checkTableName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name))
    throw new Error(`--proxy-table "${name}": a table name is a letter followed by at most 63 letters, digits, - or _`);
  return name;
}

function ipv4Cidr(flag: string, text: string): string {
  if (text.includes(':')) throw new Error(`${flag} ${text}: only IPv4 ranges are supported`);
  try {
    return formatCidr(parseCidr(text.trim()));
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`);
  }
}

/** The proxy's options, or false with --disable-proxy; every mistake is one sentence naming the flag. */
export function proxyOptions(flags: ProxyFlags): ProxyOptions | false {
  const table = checkTableName(flags.proxyTable ?? DEFAULT_TABLE);
  const clusterCidr = ipv4Cidr('--cluster-cidr', flags.clusterCidr ?? DEFAULT_PROXY_CLUSTER_CIDR);
  const serviceCidr = ipv4Cidr('--service-cidr', flags.serviceCidr ?? DEFAULT_PROXY_SERVICE_CIDR);
  return flags.disableProxy ? false : { table, clusterCidr, serviceCidr };
}

/**
 * A warning when the node's podCIDR lies outside the proxy's --cluster-cidr: the proxy would then
 * take the node's own pods for outside clients and masquerade their Service traffic (backends
 * would see the node's address), as kube-proxy does with a wrong --cluster-cidr.
 */
export function podCidrOutsideWarning(clusterCidr: string, podCidr: string | undefined): string | undefined {
  if (!podCidr || podCidr.includes(':')) return undefined;
  const cluster = parseCidr(clusterCidr);
  const pods = parseCidr(podCidr);
  if (cidrContains(cluster, pods.base) && cidrContains(cluster, pods.base + cidrSize(pods) - 1)) return undefined;
  return `the node's podCIDR ${podCidr} is outside --cluster-cidr ${clusterCidr}: pods' traffic to Services is masqueraded; give the agent the cluster's --cluster-cidr`;
}
