// The node IPAM controller with upstream's RangeAllocator (pkg/controller/nodeipam): every Node
// without spec.podCIDR gets the next free range of the cluster CIDR (next-fit, so a released
// range is handed out again only after the others), patched into spec.podCIDR and podCIDRs;
// a deleted Node's range goes back. Ranges Nodes already hold (a restart, `berth sim`, an agent's
// --pod-cidr) are taken before anything is handed out. A full cluster range leaves the Node
// waiting, with a CIDRNotAvailable Warning event, until a range is freed.
import type { Node } from 'kubernetes-types/core/v1';
import { NodeCidrAllocator, cidrsOverlap, formatCidr, parseCidr } from '../../api/cidr.js';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  isConflict,
  isInvalid,
  isNotFound,
  resources,
  runWorkers,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type RestClient,
} from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';

/** k3s's pod range; upstream has no default (allocation is off there unless configured). */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

export interface NodeIpamOptions {
  /** --allocate-node-cidrs: Berth runs the allocator unless false (upstream's default is false; k3s's true). */
  allocateNodeCidrs?: boolean;
  /** --cluster-cidr (default 10.42.0.0/16). */
  clusterCidr?: string;
  /** --node-cidr-mask-size (default 24). */
  nodeCidrMaskSize?: number;
  /** Longest wait between tries for a Node the range has no room for (default 30 s). */
  maxRetryDelayMs?: number;
  workers?: number;
}

/** The event source upstream's range allocator records under. */
export const CIDR_ALLOCATOR_COMPONENT = 'cidrAllocator';

class NoRangeLeft extends Error {}

export function podCidrsOf(node: Node): string[] {
  const list = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return [...list];
}

function overlap(a: string, b: string): boolean {
  try {
    return cidrsOverlap(parseCidr(a), parseCidr(b));
  } catch {
    return false;
  }
}

export function newNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): Controller {
  return new NodeIpamController(ctx, opts);
}

class NodeIpamController implements Controller {
  readonly name = 'node-ipam-controller';
  private readonly client: RestClient;
  private readonly log: (m: string) => void;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer<Node>;
  private readonly ranges: NodeCidrAllocator;
  private readonly queue: WorkQueue<string>;
  /** The cluster-range parts of the ranges Nodes hold, by Node name. */
  private readonly held = new Map<string, string[]>();
  /** Ranges taken for a Node whose patch has not been confirmed yet (kept across retries). */
  private readonly reserved = new Map<string, string>();
  /** Nodes whose wait for room is logged already (once each). */
  private readonly noted = new Set<string>();
  private warnedOutside = false;

  constructor(
    ctx: ControllerContext,
    private readonly opts: NodeIpamOptions,
  ) {
    this.client = ctx.client;
    this.log = (m) => ctx.log(`node-ipam-controller: ${m}`);
    this.recorder = ctx.recorder(CIDR_ALLOCATOR_COMPONENT);
    this.ranges = new NodeCidrAllocator(opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR, opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE);
    // Backoff as client-go's default, but capped low: a Node waiting for room is retried often
    // enough to notice room another way than a deletion this controller saw.
    const limiter = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(5, opts.maxRetryDelayMs ?? 30_000), new BucketRateLimiter(10, 100));
    this.queue = new WorkQueue<string>({ name: 'cidrallocator_node', rateLimiter: limiter });
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.nodes.addEventHandler({
      onAdd: (n) => this.observe(n),
      onUpdate: (old, cur) => {
        if (old.metadata?.uid !== cur.metadata?.uid) this.forget(old);
        this.observe(cur);
      },
      onDelete: (n) => this.forget(n),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    // Every range a Node holds is taken before the first one is handed out.
    for (const n of this.nodes.list()) this.observe(n);
    this.log(
      `allocating node ranges of /${this.ranges.maskSize} from ${formatCidr(this.ranges.cluster)} (${this.ranges.free} of ${this.ranges.capacity} free)`,
    );
    await runWorkers(this.queue, this.opts.workers ?? 5, (name) => this.sync(name), {
      signal,
      onError: (name, e) => {
        if (e instanceof NoRangeLeft) {
          if (!this.noted.has(name)) this.log(e.message);
          this.noted.add(name);
        } else {
          this.log(`node ${name}: ${(e as Error)?.message ?? e}`);
        }
      },
    });
  }

  /** Takes the ranges a Node holds, or queues it for one. */
  private observe(node: Node): void {
    const name = node.metadata!.name!;
    const cidrs = podCidrsOf(node);
    if (!cidrs.length) {
      this.queue.add(name);
      return;
    }
    const ours = cidrs.filter((c) => this.ranges.overlaps(c));
    const before = this.held.get(name);
    if (before && before.length === ours.length && before.every((c, i) => c === ours[i])) return;
    for (const c of ours) this.ranges.occupy(c);
    this.held.set(name, ours);
    // A range reserved for it that it did not get (someone else set one first) goes back.
    const mine = this.reserved.get(name);
    if (mine && !ours.includes(mine)) {
      this.reserved.delete(name);
      this.releaseUnlessHeld(mine);
    }
    // A range outside the cluster range (simulated nodes, an earlier --cluster-cidr) is left as
    // it is; upstream refuses to start over one, which would stop every other controller too.
    if (ours.length < cidrs.length && !this.warnedOutside) {
      this.warnedOutside = true;
      this.log(
        `node ${name}: podCIDR ${cidrs.filter((c) => !ours.includes(c)).join(',')} lies outside ${formatCidr(this.ranges.cluster)}; nodes like it are left as they are`,
      );
    }
  }

  /** A Node gone: its range is free again, and Nodes waiting for one get another try. */
  private forget(node: Node): void {
    const name = node.metadata!.name!;
    const freed = [...(this.held.get(name) ?? [])];
    const reserved = this.reserved.get(name);
    if (reserved) freed.push(reserved);
    this.held.delete(name);
    this.reserved.delete(name);
    this.noted.delete(name);
    const released = freed.filter((c) => this.releaseUnlessHeld(c));
    if (!released.length) return;
    this.log(`node ${name} deleted: ${released.join(',')} free again`);
    for (const n of this.nodes.list()) if (!podCidrsOf(n).length) this.queue.add(n.metadata!.name!);
  }

  /** Releases a range unless another Node holds (or has reserved) one overlapping it. */
  private releaseUnlessHeld(cidr: string): boolean {
    for (const list of this.held.values()) if (list.some((c) => overlap(c, cidr))) return false;
    for (const c of this.reserved.values()) if (overlap(c, cidr)) return false;
    this.ranges.release(cidr);
    return true;
  }

  private async sync(name: string): Promise<void> {
    const node = this.nodes.get(undefined, name);
    if (!node || node.metadata?.deletionTimestamp) return;
    if (podCidrsOf(node).length) {
      this.observe(node);
      return;
    }
    let cidr = this.reserved.get(name);
    if (!cidr) {
      const r = this.ranges.allocate();
      if (!r) {
        this.recorder.event(
          { kind: 'Node', apiVersion: 'v1', name, uid: node.metadata?.uid },
          'Warning',
          'CIDRNotAvailable',
          `Node ${name} status is now: CIDRNotAvailable`,
        );
        throw new NoRangeLeft(`node ${name}: no free /${this.ranges.maskSize} left in ${formatCidr(this.ranges.cluster)}; it waits until a node is deleted`);
      }
      cidr = formatCidr(r);
      this.reserved.set(name, cidr);
    }
    try {
      // The uid makes the patch miss a Node deleted and created again under the same name.
      await this.client.patch({ ...resources.nodes, name }, { metadata: { uid: node.metadata?.uid }, spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge');
    } catch (e) {
      // Refused for sure (gone, replaced, or given a range meanwhile): the range goes back and
      // the next sync sees the Node as it is. Otherwise it may have gone through: keep it.
      if ((isNotFound(e) || isConflict(e) || isInvalid(e)) && this.reserved.get(name) === cidr) {
        this.reserved.delete(name);
        this.releaseUnlessHeld(cidr);
      }
      if (isNotFound(e)) return;
      throw e;
    }
    this.log(`node ${name}: podCIDR ${cidr}`);
    this.noted.delete(name);
    // Unless the Node was deleted while the patch was under way (its range is free again then).
    if (this.reserved.get(name) !== cidr) return;
    this.reserved.delete(name);
    this.held.set(name, [cidr]);
  }
}
