// Registering simulated nodes, as a kubelet registers itself: create the Node (with its status),
// or, when a Node of that name exists already, take it over: labels and podCIDR on the object,
// the full status through nodes/status. Then its Lease.
import type { Node } from 'kubernetes-types/core/v1';
import { isAlreadyExists, isNotFound, resources, rfc3339, type RestClient } from '../client/index.js';
import type { LeaseRenewer } from './lease-renewer.js';
import { nodeLabels, nodeObject, nodeStatus, type NodeShape } from './node-object.js';
import type { SimNode } from './node-plan.js';
import { forEachConcurrent } from './spread-ticker.js';

export interface RegistrarOptions {
  shape: NodeShape;
  concurrency: number;
  log: (msg: string) => void;
}

export class NodeRegistrar {
  constructor(
    private readonly client: RestClient,
    private readonly leases: LeaseRenewer,
    private readonly opts: RegistrarOptions,
  ) {}

  /** Registers every node (existing: the Nodes found at start, by name); onProgress after each. */
  async registerAll(nodes: readonly SimNode[], existing: ReadonlyMap<string, Node>, onProgress?: (done: number) => void): Promise<void> {
    let done = 0;
    await forEachConcurrent(nodes, this.opts.concurrency, async (n) => {
      await this.register(n, existing.get(n.name));
      onProgress?.(++done);
    });
  }

  /**
   * One node and its Lease (then it counts as registered: its heartbeats start); a few retries
   * on errors that pass (the server busy, a connection reset).
   */
  async register(n: SimNode, existing?: Node): Promise<void> {
    n.registered = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.registerNode(n, existing);
        await this.leases.renew(n);
        n.registered = true;
        return;
      } catch (e) {
        if (attempt >= 4) throw new Error(`registering node ${n.name}: ${(e as Error).message}`);
        existing = undefined;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private async registerNode(n: SimNode, existing: Node | undefined): Promise<void> {
    const now = rfc3339();
    const ref = { ...resources.nodes, name: n.name };
    if (!existing) {
      try {
        const created = await this.client.create(resources.nodes, nodeObject(n, this.opts.shape, now));
        n.uid = created.metadata?.uid;
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      try {
        existing = await this.client.get<Node>(ref);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        return this.registerNode(n, undefined);
      }
    }
    // Taking over a Node of this name: our labels, a podCIDR if it has none, our status.
    const labels = nodeLabels(n);
    const have = existing.metadata?.labels ?? {};
    const spec = existing.spec?.podCIDR ? undefined : { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] };
    if (spec || Object.entries(labels).some(([k, v]) => have[k] !== v)) {
      existing = await this.client.patch<Node>(ref, { metadata: { labels }, ...(spec ? { spec } : {}) }, 'merge');
    }
    try {
      await this.client.patch({ ...ref, subresource: 'status' }, { status: nodeStatus(n, this.opts.shape, now) }, 'merge');
    } catch (e) {
      // Deleted since it was listed: create it.
      if (!isNotFound(e)) throw e;
      return this.registerNode(n, undefined);
    }
    n.uid = existing.metadata?.uid;
  }
}
