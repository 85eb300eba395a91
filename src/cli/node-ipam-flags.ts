// The node IPAM flags of `berth server` and `berth controller-manager`, named as
// kube-controller-manager's: --allocate-node-cidrs, --cluster-cidr, --node-cidr-mask-size.
import { CidrError, NodeCidrAllocator, formatCidr, parseCidr } from '../api/cidr.js';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, type NodeIpamOptions } from '../controllers/index.js';

export interface NodeIpamFlags {
  /** true, "true" or "false" (`--allocate-node-cidrs`, `--allocate-node-cidrs=false`). */
  allocateNodeCidrs?: boolean | string;
  clusterCidr?: string;
  nodeCidrMaskSize?: string;
}

function parseBool(flag: string, v: boolean | string | undefined): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`${flag} must be true or false, got "${v}"`);
}

/** The checked options; every mistake is one clear sentence naming the flag. */
export function nodeIpamOptions(flags: NodeIpamFlags): Required<Pick<NodeIpamOptions, 'allocateNodeCidrs' | 'clusterCidr' | 'nodeCidrMaskSize'>> {
  const allocateNodeCidrs = parseBool('--allocate-node-cidrs', flags.allocateNodeCidrs) ?? true;
  const text = (flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR).trim();
  if (text.includes(':')) throw new Error(`--cluster-cidr ${text}: only IPv4 ranges are supported`);
  let cluster;
  try {
    cluster = parseCidr(text);
  } catch (e) {
    throw new Error(`--cluster-cidr: ${(e as Error).message}`);
  }
  const maskText = flags.nodeCidrMaskSize?.trim() ?? String(DEFAULT_NODE_CIDR_MASK_SIZE);
  const mask = Number(maskText);
  if (!/^\d+$/.test(maskText) || mask > 30)
    throw new Error(`--node-cidr-mask-size must be a whole number from the --cluster-cidr prefix to 30, got "${flags.nodeCidrMaskSize}"`);
  if (mask < cluster.prefix) {
    throw new Error(
      `--node-cidr-mask-size ${mask} is smaller than the prefix of --cluster-cidr ${formatCidr(cluster)}: a node's range must fit inside the cluster's (use ${cluster.prefix} or more)`,
    );
  }
  try {
    new NodeCidrAllocator(cluster, mask);
  } catch (e) {
    if (e instanceof CidrError) throw new Error(`--cluster-cidr ${formatCidr(cluster)} with --node-cidr-mask-size ${mask}: ${e.message}`);
    throw e;
  }
  return { allocateNodeCidrs, clusterCidr: formatCidr(cluster), nodeCidrMaskSize: mask };
}
