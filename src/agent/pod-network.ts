// The pod network of a node whose runtime the agent manages: a CNI config (bridge, host-local,
// portmap) for the Node's spec.podCIDR, which the control plane assigns (the controller
// manager's node IPAM) unless --pod-cidr set it. The agent follows its own Node, as kubelet
// does: pods start once it has a range, and a Node registered again after it was deleted gets
// the config of whatever range it is given next.
import type { Node } from 'kubernetes-types/core/v1';
import { createInformer, resources, type Informer, type RestClient } from '../client/index.js';
import { writeCniConfig, type Runtime } from '../runtime/index.js';

/** kubelet's words for a network without a pod range, in the Node's Ready condition. */
export const NO_POD_CIDR = { reason: 'NetworkPluginNotReady', message: 'no podCIDR assigned to this node yet' } as const;

export class PodNetworkStopped extends Error {
  override readonly name = 'PodNetworkStopped';
}

export interface PodNetworkOptions {
  client: RestClient;
  runtime: Runtime;
  nodeName: string;
  /** Where the runtime reads its CNI config, host-local's dir, the bridge. */
  cni: { confDir: string; dataDir: string; bridge: string; ipMasq?: boolean; mtu?: number };
  /** The range changed (set, or gone): the Node's status is worth posting now. */
  onChange: () => void;
  log: (m: string) => void;
  /** How often a wait for the range is logged again (default 60 s). */
  remindEveryMs?: number;
}

export class PodNetwork {
  /** The range the CNI config is written for; '' while the Node has none. */
  podCidr = '';
  private informer?: Informer<Node>;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private stopped = false;

  constructor(private readonly o: PodNetworkOptions) {}

  /** No range yet: the runtime's network is reported not ready, and no pod may start. */
  get pending(): boolean {
    return !this.podCidr;
  }

  /**
   * Follows the Node from now on; resolves once it has a range, its CNI config is written and
   * the runtime's network is ready. Rejects with PodNetworkStopped when stopped first.
   */
  async start(node: Node): Promise<void> {
    const name = this.o.nodeName;
    this.informer = createInformer<Node>(this.o.client, resources.nodes, { fieldSelector: `metadata.name=${name}`, name: `node ${name}`, log: this.o.log });
    this.informer.addEventHandler({
      onAdd: (n) => this.follow(n.spec?.podCIDR ?? ''),
      onUpdate: (_old, n) => this.follow(n.spec?.podCIDR ?? ''),
      onDelete: () => this.follow(''),
    });
    this.follow(node.spec?.podCIDR ?? '');
    this.informer.start();
    if (this.pending) await this.untilAssigned();
    await this.waitRuntimeReady(15_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w.reject(new PodNetworkStopped(`stopped while waiting for node ${this.o.nodeName}'s podCIDR`));
    await this.informer?.stop();
  }

  private follow(cidr: string): void {
    if (cidr === this.podCidr || this.stopped) return;
    const old = this.podCidr;
    this.podCidr = cidr;
    if (cidr) {
      const { confDir, dataDir, bridge, ipMasq, mtu } = this.o.cni;
      writeCniConfig(confDir, { podCidr: cidr, bridge, dataDir, ipMasq, mtu });
      this.o.log(`node ${this.o.nodeName} has podCIDR ${cidr}${old ? ` (was ${old})` : ''}: pods get addresses from it`);
      for (const w of this.waiters.splice(0)) w.resolve();
    } else {
      this.o.log(`node ${this.o.nodeName} has no podCIDR any more (its Node was deleted?): new pods wait for the next one`);
    }
    this.o.onChange();
  }

  private async untilAssigned(): Promise<void> {
    const name = this.o.nodeName;
    const since = Date.now();
    this.o.log(
      `waiting for the control plane to assign node ${name} a podCIDR (the controller manager's node IPAM, --allocate-node-cidrs); pods start once it has one`,
    );
    const reminder = setInterval(
      () =>
        this.o.log(
          `node ${name} still has no podCIDR after ${Math.round((Date.now() - since) / 1000)} s: does a controller manager run with --allocate-node-cidrs? (berth agent --pod-cidr sets one instead)`,
        ),
      this.o.remindEveryMs ?? 60_000,
    );
    reminder.unref();
    try {
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    } finally {
      clearInterval(reminder);
    }
  }

  /** Waits until the runtime says its network is ready (it picked the CNI config up). */
  private async waitRuntimeReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stopped) {
      const conds = await this.o.runtime.status();
      if (conds.find((c) => c.type === 'NetworkReady')?.status) return;
      if (Date.now() > deadline) {
        this.o.log(`the runtime's network is not ready after ${timeoutMs} ms; the node stays NotReady until it is`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
