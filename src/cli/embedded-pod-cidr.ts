// The range `berth server` gives its embedded agent when no controller in the process assigns
// node ranges (--disable-controller-manager, --allocate-node-cidrs=false): a free one of
// --cluster-cidr, as the allocator would pick it, so the node still comes up on its own.
import type { Node } from 'kubernetes-types/core/v1';
import { NodeCidrAllocator, formatCidr } from '../api/cidr.js';
import { resources, type RestClient } from '../client/index.js';
import { podCidrsOf } from '../controllers/index.js';
import { componentLogger } from '../log/logger.js';

/** undefined when the Node has a range already (it keeps it) or the cluster range is full. */
export function freeRangeFor(nodes: Node[], nodeName: string, clusterCidr: string, maskSize: number): string | undefined {
  const own = nodes.find((n) => n.metadata?.name === nodeName);
  if (own && podCidrsOf(own).length) return undefined;
  const ranges = new NodeCidrAllocator(clusterCidr, maskSize);
  for (const n of nodes) for (const c of podCidrsOf(n)) ranges.occupy(c);
  const r = ranges.allocate();
  return r && formatCidr(r);
}

export async function podCidrForEmbeddedAgent(
  client: RestClient,
  nodeName: string,
  o: { clusterCidr: string; nodeCidrMaskSize: number },
): Promise<string | undefined> {
  const nodes = (await client.listAll<Node>(resources.nodes)).items;
  const cidr = freeRangeFor(nodes, nodeName, o.clusterCidr, o.nodeCidrMaskSize);
  if (cidr)
    componentLogger('server')(`no controller manager in this process assigns node ranges: node ${nodeName} gets ${cidr} of ${o.clusterCidr} from the server`);
  return cidr;
}
