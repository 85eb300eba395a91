// Which simulated nodes to run: their names, zones, pod ranges and address. Nodes that
// already exist (a simulator restarted) keep the podCIDR they have; new nodes get ranges
// nobody else's node holds. Every node's address is the simulator's own kubelet endpoint on
// loopback (kubelet-endpoint.ts), as kwok gives all its nodes its own address: an address made
// up per node would be one nobody on the machine owns, which the API server would then dial.
import type { Node } from 'kubernetes-types/core/v1';
import { AddressPool, NodeCidrAllocator, formatCidr, parseCidr, type Cidr } from '../api/cidr.js';

export interface SimNode {
  readonly name: string;
  readonly zone: string;
  readonly region: string;
  readonly podCIDR: string;
  /** The simulator's kubelet endpoint address (loopback), the same for every node. */
  readonly internalIP: string;
  /** The node's pod addresses. */
  readonly podIPs: AddressPool;
  /** The Node's uid once registered; Leases name it as their owner. */
  uid?: string;
  /** Registered with its Lease: from then on its heartbeats run. */
  registered?: boolean;
  /** When the node became Ready (the conditions' lastTransitionTime). */
  readySince: string;
}

export interface NodePlanOptions {
  count: number;
  namePrefix: string;
  zones: string[];
  region: string;
  /** The cluster's pod range, cut into node ranges. */
  podCidr: string;
  nodeCidrMaskSize: number;
  /** Every node's InternalIP: the simulator's kubelet endpoint address. */
  nodeIP: string;
}

export class NodePlanError extends Error {
  override readonly name = 'NodePlanError';
}

/** Zone names for `--zones N`: sim-region-a, sim-region-b... */
export function generatedZones(n: number, region: string): string[] {
  return Array.from({ length: n }, (_, i) => `${region}-${i < 26 ? String.fromCharCode(97 + i) : String(i + 1)}`);
}

/** The region of a zone named as AWS or GCP name them (us-east-1a → us-east-1, europe-west1-b → europe-west1). */
export function regionOfZone(zone: string): string | undefined {
  return /^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$/.exec(zone)?.[1] ?? /^([a-z]+-[a-z]+\d+)-[a-z]$/.exec(zone)?.[1];
}

export function planNodes(opts: NodePlanOptions, existing: Node[], now: string): SimNode[] {
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new NodePlanError(`--nodes must be a whole number, not ${opts.count}`);
  if (opts.zones.length === 0) throw new NodePlanError('at least one zone is needed');
  const cidrs = new NodeCidrAllocator(opts.podCidr, opts.nodeCidrMaskSize);
  const byName = new Map(existing.map((n) => [n.metadata?.name ?? '', n]));
  // Every node's range is taken first, so that no new node is handed one.
  for (const n of existing) {
    for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) cidrs.occupy(c);
  }
  const names = Array.from({ length: opts.count }, (_, i) => `${opts.namePrefix}${i}`);
  const needed = names.filter((name) => !byName.get(name)?.spec?.podCIDR).length;
  if (needed > cidrs.free) {
    throw new NodePlanError(
      `--pod-cidr ${opts.podCidr} has room for ${cidrs.capacity} node ranges of /${opts.nodeCidrMaskSize} (${cidrs.free} free), not ${needed}: give a larger range, such as 10.0.0.0/8`,
    );
  }
  return names.map((name, i) => {
    const old = byName.get(name);
    let podCIDR = old?.spec?.podCIDR;
    let range: Cidr;
    if (podCIDR) {
      range = parseCidr(podCIDR);
    } else {
      range = cidrs.allocate()!;
      podCIDR = formatCidr(range);
    }
    const zone = opts.zones[i % opts.zones.length]!;
    const readySince = old?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? now;
    return { name, zone, region: opts.region, podCIDR, internalIP: opts.nodeIP, podIPs: new AddressPool(range), uid: old?.metadata?.uid, readySince };
  });
}
