// Registering simulated nodes, many at a time, each as a kubelet registers itself (the kubelet
// core's registerNode: create the Node with its status, or take over one of that name), then its
// Lease; a node counts as registered once both are done.
import type { Node } from 'kubernetes-types/core/v1';
import { rfc3339, type RestClient } from '../client/index.js';
import { registerNode } from '../kubelet/index.js';
import type { LeaseRenewer } from './lease-renewer.js';
import { nodeObject, type NodeShape } from './node-object.js';
import type { SimNode } from './node-plan.js';
import { forEachConcurrent } from './spread-ticker.js';

export interface RegistrarOptions {
  shape: NodeShape;
  concurrency: number;
  log: (msg: string) => void;
  /** The node and its Lease are registered (its status posted with it). */
  onRegistered?: (n: SimNode) => void;
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
        this.opts.onRegistered?.(n);
        return;
      } catch (e) {
        if (attempt >= 4) throw new Error(`registering node ${n.name}: ${(e as Error).message}`);
        existing = undefined;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private async registerNode(n: SimNode, existing: Node | undefined): Promise<void> {
    const node = await registerNode({ client: this.client, node: nodeObject(n, this.opts.shape, rfc3339()), existing });
    n.uid = node.metadata?.uid;
  }
}
