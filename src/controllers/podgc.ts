// The pod garbage collector, as upstream's (pkg/controller/podgc): every check period it
// force-deletes (grace period 0) terminated pods beyond a threshold, oldest first (evicted ones
// before the rest); pods bound to nodes that no longer exist, once a quarantine and a live GET of
// the node confirm it; terminating pods never scheduled; and terminating pods on not-Ready nodes
// tainted out-of-service. Pods not yet terminal are first marked Failed (orphans also get the
// DisruptionTarget condition), since no agent is left to say so.
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1';
import { isNotFound, resources, rfc3339, sleep, type Informer, type RestClient } from '../client/index.js';
import type { Controller, ControllerContext } from './context.js';

export interface PodGCOptions {
  /** How often to look (upstream: 20 s). */
  gcCheckPeriodMs?: number;
  /** How long a node missing from the cache waits before a GET confirms it gone (upstream: 40 s). */
  quarantineMs?: number;
  /** Terminated pods kept before the oldest are deleted; 0 keeps all (upstream --terminated-pod-gc-threshold: 12500). */
  terminatedPodThreshold?: number;
  now?: () => number;
}

export const DISRUPTION_TARGET_POD_GC = {
  type: 'DisruptionTarget',
  status: 'True',
  reason: 'DeletionByPodGC',
  message: 'PodGC: node no longer exists',
} as const;

const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

export function isTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

function isEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status?.reason === 'Evicted';
}

/** Evicted pods first, then oldest first, names breaking ties (upstream's byEvictionAndCreationTimestamp). */
export function byEvictionAndAge(a: Pod, b: Pod): number {
  const ea = isEvicted(a);
  const eb = isEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The terminated pods beyond the threshold, in the order they go. */
export function terminatedToDelete(pods: Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isTerminated);
  const count = terminated.length - threshold;
  return count > 0 ? terminated.sort(byEvictionAndAge).slice(0, count) : [];
}

function nodeIsReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Terminating pods on not-Ready nodes an operator tainted out-of-service: their agent won't finish them. */
export function terminatingOnOutOfServiceNodes(pods: Pod[], nodes: Map<string, Node>): Pod[] {
  return pods
    .filter((p) => {
      if (!p.metadata?.deletionTimestamp) return false;
      const node = nodes.get(p.spec?.nodeName ?? '');
      return !!node && !nodeIsReady(node) && (node.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT);
    })
    .sort(byEvictionAndAge);
}

export function unscheduledTerminating(pods: Pod[]): Pod[] {
  return pods.filter((p) => p.metadata?.deletionTimestamp && !p.spec?.nodeName);
}

/** Nodes missing from the cache wait here before they are checked (upstream's delaying nodeQueue). */
export class NodeQuarantine {
  private readonly until = new Map<string, number>();

  constructor(private readonly ms: number) {}

  /** Starts the quarantine of a node not seen (a node already waiting keeps its time). */
  add(name: string, now: number): void {
    if (!this.until.has(name)) this.until.set(name, now + this.ms);
  }

  /** The nodes whose quarantine is over; they leave the quarantine. */
  takeDue(now: number): string[] {
    const due = [...this.until].filter(([, t]) => t <= now).map(([n]) => n);
    for (const n of due) this.until.delete(n);
    return due;
  }
}

export function newPodGCController(ctx: ControllerContext, opts: PodGCOptions = {}): Controller {
  return new PodGCController(ctx, opts);
}

class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector';
  private readonly client: RestClient;
  private readonly log: (m: string) => void;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly quarantine: NodeQuarantine;
  private readonly now: () => number;

  constructor(
    ctx: ControllerContext,
    private readonly opts: PodGCOptions,
  ) {
    this.client = ctx.client;
    this.log = (m) => ctx.log(`pod-garbage-collector: ${m}`);
    this.now = opts.now ?? Date.now;
    this.pods = ctx.informers.for<Pod>(resources.pods);
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.quarantine = new NodeQuarantine(opts.quarantineMs ?? 40_000);
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.gc();
      } catch (e) {
        this.log((e as Error).stack ?? String(e));
      }
      await sleep(this.opts.gcCheckPeriodMs ?? 20_000, signal);
    }
  }

  private async gc(): Promise<void> {
    const pods = this.pods.list();
    const nodes = new Map(this.nodes.list().map((n) => [n.metadata!.name!, n]));
    await this.deleteAll(terminatedToDelete(pods, this.opts.terminatedPodThreshold ?? 12_500), 'terminated');
    await this.deleteAll(terminatingOnOutOfServiceNodes(pods, nodes), 'terminating on an out-of-service node');
    await this.gcOrphaned(pods, nodes);
    await this.deleteAll(unscheduledTerminating(pods), 'unscheduled terminating');
  }

  private async deleteAll(pods: Pod[], why: string, condition?: Omit<PodCondition, 'lastTransitionTime'>): Promise<void> {
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.markFailedAndDelete(p, condition);
        } catch (e) {
          if (!isNotFound(e)) this.log(`deleting ${why} pod ${p.metadata!.namespace}/${p.metadata!.name} failed: ${(e as Error).message}`);
        }
      }),
    );
  }

  /** Pods bound to nodes gone: quarantined first, then confirmed with a GET of the node. */
  private async gcOrphaned(pods: Pod[], nodes: Map<string, Node>): Promise<void> {
    const now = this.now();
    for (const p of pods) {
      const nodeName = p.spec?.nodeName;
      if (nodeName && !nodes.has(nodeName)) this.quarantine.add(nodeName, now);
    }
    const deleted = new Set<string>();
    for (const name of this.quarantine.takeDue(now)) {
      if (nodes.has(name)) continue;
      try {
        await this.client.get({ ...resources.nodes, name });
      } catch (e) {
        if (isNotFound(e)) deleted.add(name);
        // Other errors: the node is quarantined again on the next pass if still missing.
        else this.log(`error while getting node ${name}: ${(e as Error).message}`);
      }
    }
    if (!deleted.size) return;
    const orphans = pods.filter((p) => deleted.has(p.spec?.nodeName ?? ''));
    await this.deleteAll(orphans, 'orphaned', DISRUPTION_TARGET_POD_GC);
  }

  /** Marks a pod not yet terminal Failed (with the condition, if any), then force-deletes it. */
  private async markFailedAndDelete(pod: Pod, condition?: Omit<PodCondition, 'lastTransitionTime'>): Promise<void> {
    const { namespace, name, uid } = pod.metadata!;
    const ref = { ...resources.pods, namespace, name: name! };
    this.log(`force deleting pod ${namespace}/${name}`);
    if (!isTerminated(pod)) {
      const status: Record<string, unknown> = { phase: 'Failed' };
      if (condition) {
        const old = pod.status?.conditions?.find((c) => c.type === condition.type);
        const lastTransitionTime = old && old.status === condition.status ? old.lastTransitionTime : rfc3339(new Date(this.now()));
        status.conditions = [{ ...condition, lastTransitionTime }];
      }
      await this.client.patch({ ...ref, subresource: 'status' }, { metadata: { uid }, status }, 'strategic');
    }
    await this.client.delete(ref, { gracePeriodSeconds: 0, preconditions: { uid } });
  }
}
