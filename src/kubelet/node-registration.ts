// Registering a node, as kubelet's registerWithAPIServer: create the Node (its status included),
// or, when a Node of that name exists already, adopt it: this kubelet's labels on the object, its
// podCIDR when the Node has none, and its status through nodes/status. The agent and the
// simulator differ only in the Node they bring (the machine's facts, or the simulated plan).
import type { Node, NodeAddress, NodeStatus } from 'kubernetes-types/core/v1';
import { isAlreadyExists, isNotFound, resources, type RestClient } from '../client/index.js';
import { patchNodeStatus } from './node-status.js';

export interface RegisterNodeOptions {
  client: RestClient;
  /** The Node as this kubelet creates it: name, labels, annotations, spec.podCIDR when it brings one, status. */
  node: Node;
  /** The Node of that name already known to exist (the simulator lists them up front): no create is tried. */
  existing?: Node;
  /** Told what happened (the agent says it; the simulator, registering thousands, doesn't). */
  log?: (msg: string) => void;
}

/** Registers the node; returns it as the server has it once its status is posted. */
export async function registerNode(o: RegisterNodeOptions): Promise<Node> {
  const name = o.node.metadata!.name!;
  const podCidr = o.node.spec?.podCIDR;
  let existing = o.existing;
  if (!existing) {
    try {
      const created = await o.client.create<Node>(resources.nodes, o.node);
      o.log?.(`registered node ${name}${podCidr ? ` with podCIDR ${podCidr}` : ''}`);
      return created;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    try {
      existing = await o.client.get<Node>({ ...resources.nodes, name });
    } catch (e) {
      // Deleted between the create and the get: start over.
      if (!isNotFound(e)) throw e;
      return registerNode({ ...o, existing: undefined });
    }
  }
  try {
    await adoptNode(o, existing);
    const node = await patchNodeStatus(o.client, name, replacingChangedAddresses(o.node.status ?? {}, existing));
    o.log?.(`node ${name} already registered; taking it over`);
    return node;
  } catch (e) {
    // Deleted since it was found: create it.
    if (!isNotFound(e)) throw e;
    return registerNode({ ...o, existing: undefined });
  }
}

/**
 * NodeStatus.addresses merges by type under a strategic patch, so an address this kubelet no longer
 * reports (an ExternalIP dropped from its flags) would stay: as kubelet does, the list is replaced
 * when it differs from the Node's.
 */
function replacingChangedAddresses(status: NodeStatus, existing: Node): NodeStatus {
  const ours = status.addresses;
  const theirs = existing.status?.addresses;
  if (!ours || !theirs?.length || JSON.stringify(ours) === JSON.stringify(theirs)) return status;
  return { ...status, addresses: [{ $patch: 'replace' } as unknown as NodeAddress, ...ours] };
}

/**
 * Takes over a Node of this name (its taints stay as they are: a kubelet's --register-with-taints
 * apply only when it creates the Node): the labels this kubelet sets, and its podCIDR when the Node has
 * none. The node IPAM controller may set one first; the API then refuses ours, and theirs stands.
 */
async function adoptNode(o: RegisterNodeOptions, existing: Node): Promise<void> {
  const name = o.node.metadata!.name!;
  const ref = { ...resources.nodes, name };
  const labels = o.node.metadata?.labels ?? {};
  const have = existing.metadata?.labels ?? {};
  if (Object.entries(labels).some(([k, v]) => have[k] !== v)) await o.client.patch<Node>(ref, { metadata: { labels } }, 'merge');
  const podCidr = o.node.spec?.podCIDR;
  if (podCidr && !existing.spec?.podCIDR) {
    const spec = { podCIDR: podCidr, podCIDRs: o.node.spec?.podCIDRs ?? [podCidr] };
    await o.client.patch<Node>(ref, { spec }, 'merge').catch((e) => {
      if (isNotFound(e)) throw e;
      o.log?.(`node ${name}: podCIDR ${podCidr} not set: ${(e as Error).message}`);
    });
  }
}
