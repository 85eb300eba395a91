// The agent's side of the pod network across nodes: sets up this node's end (the VXLAN device,
// or nothing for host-gw), publishes it on the Node, and follows every Node with an informer to
// keep, per other node, exactly the entries peers.ts describes: each add, change or delete of
// a Node changes that node's entries only. A periodic pass repairs drift (an entry removed by
// hand, a failed command). The Node's NetworkUnavailable condition goes False once the routes
// of every known peer are in place.
import { spawnSync } from 'node:child_process';
import type { Node } from 'kubernetes-types/core/v1';
import { createInformer, resources, rfc3339, type Informer, type RestClient } from '../client/index.js';
import { ipBatch, ipJson } from './ip.js';
import { installMasquerade, listedPodCidrs, updatePodCidrs } from './masquerade.js';
import {
  ANNOTATION_BACKEND,
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  gatewayOf,
  peerChange,
  peerEntries,
  peerFromNode,
  samePeer,
  type KernelEntry,
  type OverlayBackend,
  type Peer,
} from './peers.js';
import { enableForwarding, ensureVtep, interfaceOf, VXLAN_DEVICE, VXLAN_OVERHEAD, type Vtep } from './vtep.js';

export interface PodOverlayOptions {
  client: RestClient;
  nodeName: string;
  nodeIP: string;
  backend: OverlayBackend;
  /** Masquerade pods' traffic leaving the cluster's pod ranges (default true). */
  masquerade?: boolean;
  log: (m: string) => void;
  /** How often every peer's entries are checked and repaired (default 30 s). */
  repairEveryMs?: number;
}

/** The pods' MTU on this node: the overlay's (vxlan), or the node interface's (host-gw). */
export function podMtu(nodeIP: string, backend: OverlayBackend): number {
  const mtu = interfaceOf(nodeIP).mtu;
  return backend === 'vxlan' ? mtu - VXLAN_OVERHEAD : mtu;
}

/** Runs entries' commands, each tool's in one batch; removals tolerate entries already gone. */
function apply(entries: KernelEntry[], which: 'set' | 'del'): void {
  for (const tool of ['bridge', 'ip'] as const) {
    const lines = entries.filter((e) => e.tool === tool).map((e) => e[which]);
    if (!lines.length) continue;
    if (tool === 'ip' && which === 'set') ipBatch(lines);
    else {
      // -force: go on past an entry that is already gone (or, for FDB, set them one by one).
      const r = spawnSync(tool, ['-force', '-batch', '-'], { input: `${lines.join('\n')}\n`, encoding: 'utf8', timeout: 15_000 });
      if (which === 'set' && r.status !== 0) throw new Error(`${tool} -batch: ${r.stderr.trim()}`);
    }
  }
}

export class PodOverlay {
  private informer?: Informer<Node>;
  private timer?: NodeJS.Timeout;
  private podCidr = '';
  private vtep?: Vtep;
  /** Peers whose entries are installed, by node name. */
  private readonly installed = new Map<string, Peer>();
  private readonly skipped = new Map<string, string>();
  private conditionPosted = false;
  private stopped = false;

  private readonly masquerade: boolean;

  constructor(private readonly o: PodOverlayOptions) {
    this.masquerade = o.masquerade ?? true;
  }

  get device(): string | undefined {
    return this.vtep?.device;
  }

  /** Sets up this node's end for podCidr, publishes it, installs every peer's entries. */
  async start(podCidr: string): Promise<void> {
    this.setUpLocal(podCidr);
    await this.publish();
    this.informer = createInformer<Node>(this.o.client, resources.nodes, { name: 'pod network nodes', log: this.o.log });
    this.informer.addEventHandler({
      onAdd: (n) => this.nodeChanged(n),
      onUpdate: (_old, n) => this.nodeChanged(n),
      onDelete: (n) => this.nodeGone(n.metadata?.name ?? ''),
    });
    this.informer.start();
    await this.informer.waitForSync();
    // Once at once: drops what nodes deleted while this agent was down left behind.
    this.repair();
    await this.postCondition();
    const every = this.o.repairEveryMs ?? 30_000;
    this.timer = setInterval(() => this.repair(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    // The kernel's entries stay: pods keep running, and reaching each other, across restarts.
    this.stopped = true;
    clearInterval(this.timer);
    await this.informer?.stop();
  }

  private setUpLocal(podCidr: string): void {
    this.podCidr = podCidr;
    if (this.o.backend === 'vxlan') this.vtep = ensureVtep(this.o.nodeIP, podCidr);
    else enableForwarding();
    if (this.masquerade)
      installMasquerade(
        podCidr,
        [...this.installed.values()].map((p) => p.podCidr),
      );
    this.o.log(
      `pod network ${this.o.backend}: node ${this.o.nodeName} ${podCidr}${this.vtep ? ` on ${this.vtep.device} (VTEP ${this.vtep.mac}, MTU ${this.vtep.mtu})` : ''}`,
    );
  }

  private annotations(): Record<string, string> {
    return {
      [ANNOTATION_BACKEND]: this.o.backend,
      [ANNOTATION_PUBLIC_IP]: this.o.nodeIP,
      ...(this.vtep ? { [ANNOTATION_VTEP_MAC]: this.vtep.mac } : {}),
    };
  }

  /** Through nodes/status, as the node's own (a node may write its status, not its spec). */
  private async publish(): Promise<void> {
    await this.o.client.patch({ ...resources.nodes, name: this.o.nodeName, subresource: 'status' }, { metadata: { annotations: this.annotations() } }, 'merge');
  }

  private async postCondition(): Promise<void> {
    const now = rfc3339();
    const condition = {
      type: 'NetworkUnavailable',
      status: 'False',
      reason: 'BerthIsUp',
      message: `Berth set up the ${this.o.backend} pod network: routes to the pods of every node known are in place`,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    };
    // Strategic merge: the conditions are merged by type, the kubelet's own stay as they are.
    await this.o.client.patch({ ...resources.nodes, name: this.o.nodeName, subresource: 'status' }, { status: { conditions: [condition] } }, 'strategic');
    this.conditionPosted = true;
  }

  private nodeChanged(node: Node): void {
    if (this.stopped) return;
    const name = node.metadata?.name ?? '';
    if (name === this.o.nodeName) return this.ownNodeChanged(node);
    const peer = peerFromNode(node, this.o.backend);
    if ('skip' in peer) {
      if (this.skipped.get(name) !== peer.skip) this.o.log(`pod network: ${peer.skip}`);
      this.skipped.set(name, peer.skip);
      // A node that stopped being a peer (its podCIDR taken away) loses its entries.
      return this.nodeGone(name);
    }
    this.skipped.delete(name);
    const before = this.installed.get(name);
    if (samePeer(before, peer)) return;
    try {
      this.change(before, peer);
      this.installed.set(name, peer);
      this.o.log(
        `pod network: ${before ? 'updated' : 'added'} node ${name}: ${peer.podCidr} via ${peer.publicIp}${peer.vtepMac ? ` (VTEP ${peer.vtepMac})` : ''}`,
      );
    } catch (e) {
      // The periodic repair tries again.
      this.installed.delete(name);
      this.o.log(`pod network: node ${name} not set up: ${(e as Error).message}`);
    }
  }

  private nodeGone(name: string): void {
    const before = this.installed.get(name);
    if (!before) return;
    this.installed.delete(name);
    try {
      this.change(before, undefined);
      this.o.log(`pod network: removed node ${name} (${before.podCidr})`);
    } catch (e) {
      this.o.log(`pod network: node ${name}'s entries not all removed: ${(e as Error).message}`);
    }
  }

  private change(from: Peer | undefined, to: Peer | undefined): void {
    const { del, set } = peerChange(from, to, this.o.backend, VXLAN_DEVICE);
    apply(del, 'del');
    apply(set, 'set');
    if (this.masquerade && from?.podCidr !== to?.podCidr) updatePodCidrs(to ? [to.podCidr] : [], from ? [from.podCidr] : []);
  }

  /** This node's range changed (its Node was deleted and registered again), or its annotations went with it. */
  private ownNodeChanged(node: Node): void {
    const cidr = node.spec?.podCIDR;
    if (cidr && cidr !== this.podCidr) {
      try {
        this.setUpLocal(cidr);
      } catch (e) {
        this.o.log(`pod network: this node's end not set up for ${cidr}: ${(e as Error).message}`);
      }
    }
    const a = node.metadata?.annotations ?? {};
    const want = this.annotations();
    const stale = Object.entries(want).some(([k, v]) => a[k] !== v);
    const cond = node.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
    if (stale) void this.publish().catch((e) => this.o.log(`pod network: annotations not published: ${(e as Error).message}`));
    if (this.conditionPosted && cond?.status !== 'False')
      void this.postCondition().catch((e) => this.o.log(`pod network: condition not posted: ${(e as Error).message}`));
  }

  /** Sets every peer's entries again (replace is idempotent) and removes routes of nodes gone. */
  private repair(): void {
    if (this.stopped || !this.informer) return;
    try {
      if (this.vtep) {
        const mac = this.vtep.mac;
        this.vtep = ensureVtep(this.o.nodeIP, this.podCidr);
        // The device was made again (removed by hand?): peers must learn its new MAC.
        if (this.vtep.mac !== mac) void this.publish().catch((e) => this.o.log(`pod network: annotations not published: ${(e as Error).message}`));
      }
      for (const p of this.installed.values()) apply(peerEntries(p, this.o.backend, VXLAN_DEVICE), 'set');
      if (this.masquerade) {
        const wanted = new Set([this.podCidr, ...[...this.installed.values()].map((p) => p.podCidr)]);
        const listed = new Set(listedPodCidrs());
        updatePodCidrs(
          [...wanted].filter((c) => !listed.has(c)),
          [...listed].filter((c) => !wanted.has(c)),
        );
      }
      if (this.vtep) {
        // Routes on the device no peer accounts for (a node deleted while this agent was down).
        const routes = ipJson<Array<{ dst?: string }>>('route', 'show', 'dev', VXLAN_DEVICE);
        const mine = new Set([...this.installed.values()].map((p) => p.podCidr));
        const stray = routes.map((r) => r.dst ?? '').filter((d) => d.includes('/') && !mine.has(d));
        if (stray.length) ipBatch(stray.map((d) => `route del ${d} dev ${VXLAN_DEVICE}`));
      }
    } catch (e) {
      this.o.log(`pod network: repair failed: ${(e as Error).message}`);
    }
    // Nodes skipped or failed before get another chance.
    for (const n of this.informer.list()) this.nodeChanged(n);
  }

  /** The peers whose entries are installed (for tests). */
  peers(): Peer[] {
    return [...this.installed.values()];
  }

  /** This node's overlay address (vxlan) or undefined. */
  get address(): string | undefined {
    return this.vtep && this.podCidr ? gatewayOf(this.podCidr) : undefined;
  }
}
