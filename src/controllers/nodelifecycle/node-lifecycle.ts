// The node lifecycle controller, as upstream's (pkg/controller/nodelifecycle): every monitor
// period it checks each node's heartbeats (Lease renewals in kube-node-lease, Ready condition);
// a node silent for the grace period gets its conditions set Unknown, its pods marked not
// Ready, and the unreachable NoExecute taint (not-ready when the agent says Ready=False), added
// at a rate limit per zone and not at all when every zone is down (the control plane, not the
// nodes, is then the likely fault). NoSchedule taints follow the node's conditions and cordon.
// The NoExecute taints are acted on by the taint eviction controller, run alongside.
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { NODE_LEASE_NAMESPACE } from '../../kubelet/lease.js';
import {
  byNodeName,
  isConflict,
  isNotFound,
  NODE_NAME_INDEX,
  resources,
  rfc3339,
  runWorkers,
  sleep,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type RestClient,
} from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { checkNodeHealth, RateLimitedTimedQueue, type NodeHealth } from './health.js';
import { TaintEvictionController, type TaintEvictionOptions } from './taint-eviction.js';
import {
  computeZoneState,
  hasTaint,
  nodeCondition,
  noScheduleTaintChanges,
  NOT_READY_NO_EXECUTE,
  swapTaints,
  UNREACHABLE_NO_EXECUTE,
  zoneKey,
  type ZoneState,
} from './taints.js';

// The kubelet core owns the node-lease namespace; the controller reads the Leases it writes.
export { NODE_LEASE_NAMESPACE };
/** Nodes with this label are left out of zone disruption checks. */
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

export interface NodeLifecycleOptions {
  /** How often node health is checked (upstream --node-monitor-period: 5 s). */
  nodeMonitorPeriodMs?: number;
  /** Silence after which a node is Unknown (upstream --node-monitor-grace-period: 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** The same for a node that never posted a Ready condition (upstream: 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** Nodes NoExecute-tainted per second per healthy zone (upstream --node-eviction-rate: 0.1). */
  evictionLimiterQPS?: number;
  /** The same in a partially disrupted large zone (upstream --secondary-node-eviction-rate: 0.01). */
  secondaryEvictionLimiterQPS?: number;
  /** Zones with more nodes than this are "large" (upstream --large-cluster-size-threshold: 50). */
  largeClusterThreshold?: number;
  /** Share of not-Ready nodes (with more than 2) that makes a zone partially disrupted (upstream: 0.55). */
  unhealthyZoneThreshold?: number;
  /** How often the NoExecute tainting queues are worked (upstream: 100 ms). */
  noExecuteTaintingPeriodMs?: number;
  /** Run the taint eviction controller too (default true); options for it. */
  taintEviction?: boolean | TaintEvictionOptions;
  now?: () => number;
}

export function newNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): Controller {
  return new NodeLifecycleController(ctx, opts);
}

class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly log: (m: string) => void;
  private readonly now: () => number;
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  private readonly nodeUpdateQueue = new WorkQueue<string>({ name: 'node_lifecycle_controller' });
  private readonly podUpdateQueue = new WorkQueue<string>({ name: 'node_lifecycle_controller_pods' });
  private readonly health = new Map<string, NodeHealth>();
  private readonly knownNodes = new Set<string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, RateLimitedTimedQueue>();
  private readonly nodesToRetry = new Set<string>();
  private readonly taintEviction?: TaintEvictionController;
  private readonly o: Required<Omit<NodeLifecycleOptions, 'taintEviction' | 'now'>>;

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('node-controller');
    this.log = (m) => ctx.log(`${this.name}: ${m}`);
    this.now = opts.now ?? Date.now;
    this.o = {
      nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs ?? 5000,
      nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs ?? 40_000,
      nodeStartupGracePeriodMs: opts.nodeStartupGracePeriodMs ?? 60_000,
      evictionLimiterQPS: opts.evictionLimiterQPS ?? 0.1,
      secondaryEvictionLimiterQPS: opts.secondaryEvictionLimiterQPS ?? 0.01,
      largeClusterThreshold: opts.largeClusterThreshold ?? 50,
      unhealthyZoneThreshold: opts.unhealthyZoneThreshold ?? 0.55,
      noExecuteTaintingPeriodMs: opts.noExecuteTaintingPeriodMs ?? 100,
    };
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.leases = ctx.informers.for<Lease>(resources.leases);
    this.pods = ctx.informers.for<Pod>(resources.pods, { [NODE_NAME_INDEX]: byNodeName });
    this.nodes.addEventHandler({
      onAdd: (n) => this.nodeUpdateQueue.add(n.metadata!.name!),
      onUpdate: (_old, n) => this.nodeUpdateQueue.add(n.metadata!.name!),
      onDelete: (n) => this.nodesToRetry.delete(n.metadata!.name!),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podUpdated(undefined, p),
      onUpdate: (old, p) => this.podUpdated(old, p),
    });
    if (opts.taintEviction !== false) {
      this.taintEviction = new TaintEvictionController(ctx, typeof opts.taintEviction === 'object' ? opts.taintEviction : { now: opts.now });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const stop = () => {
      this.nodeUpdateQueue.shutDown();
      this.podUpdateQueue.shutDown();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const onError = (key: string, e: unknown) => this.log(`${key}: ${(e as Error).message}`);
    await Promise.all([
      this.taintEviction?.run(signal),
      runWorkers(this.nodeUpdateQueue, 8, (name) => this.doNoScheduleTaintingPass(name), { onError }),
      runWorkers(this.podUpdateQueue, 4, (key) => this.processPod(key), { onError }),
      this.every(this.o.noExecuteTaintingPeriodMs, signal, () => this.doNoExecuteTaintingPass()),
      this.every(this.o.nodeMonitorPeriodMs, signal, () => this.monitorNodeHealth()),
    ]);
  }

  /** Runs fn, then waits the period, until stopped (upstream's wait.Until). */
  private async every(periodMs: number, signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await fn();
      } catch (e) {
        this.log((e as Error).stack ?? String(e));
      }
      await sleep(periodMs, signal);
    }
  }

  private podUpdated(old: Pod | undefined, pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (nodeName && (!old || old.spec?.nodeName !== nodeName)) this.podUpdateQueue.add(`${pod.metadata!.namespace}/${pod.metadata!.name}`);
  }

  /** A pod newly bound to a node we know is not Ready is marked not Ready at once. */
  private async processPod(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const nodeName = pod.spec!.nodeName!;
    const health = this.health.get(nodeName);
    if (!health) return;
    if (!this.nodes.get(undefined, nodeName)) throw new Error(`node ${nodeName} not in the cache yet`);
    const ready = nodeCondition(health.status, 'Ready');
    if (ready && ready.status !== 'True') await this.markPodsNotReady([pod], nodeName);
  }

  private tainter(zone: string): RateLimitedTimedQueue {
    let t = this.tainters.get(zone);
    if (!t) {
      t = new RateLimitedTimedQueue(this.o.evictionLimiterQPS, this.now);
      this.tainters.set(zone, t);
    }
    if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    return t;
  }

  private async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.list();
    const names = new Set(nodes.map((n) => n.metadata!.name!));
    for (const n of nodes) {
      const name = n.metadata!.name!;
      this.tainter(zoneKey(n));
      if (this.knownNodes.has(name)) continue;
      this.knownNodes.add(name);
      this.recorder.event(nodeRef(n), 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
      await this.markNodeAsReachable(n);
    }
    for (const name of [...this.knownNodes]) {
      if (names.has(name)) continue;
      this.knownNodes.delete(name);
      this.health.delete(name);
      for (const t of this.tainters.values()) t.remove(name);
      this.recorder.event({ apiVersion: 'v1', kind: 'Node', name }, 'Normal', 'RemovingNode', `Removing Node ${name} from Controller`);
    }

    const zoneConditions = new Map<string, Array<ReturnType<typeof nodeCondition>>>();
    await Promise.all(
      nodes.map(async (listed) => {
        const name = listed.metadata!.name!;
        const checked = await this.updateNodeHealth(listed);
        if (!checked) return;
        const { node, observedReady, currentReady } = checked;
        if (node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] === undefined) {
          const zone = zoneKey(node);
          zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), currentReady]);
        }
        if (!currentReady) return this.nodesToRetry.delete(name);
        await this.processTaintBaseEviction(node, observedReady.status);
        const becameNotReady = currentReady.status !== 'True' && observedReady.status === 'True';
        if (becameNotReady) this.recorder.event(nodeRef(node), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        if (becameNotReady || (this.nodesToRetry.has(name) && observedReady.status !== 'True')) {
          try {
            await this.markPodsNotReady(this.pods.byIndex(NODE_NAME_INDEX, name), name);
          } catch (e) {
            this.log(`unable to mark all pods NotReady on node ${name}: ${(e as Error).message}; queuing for retry`);
            this.nodesToRetry.add(name);
            return;
          }
        }
        this.nodesToRetry.delete(name);
      }),
    );
    await this.handleDisruption(zoneConditions, nodes);
  }

  /** tryUpdateNodeHealth with upstream's retries: a conflict re-reads the node and tries again. */
  private async updateNodeHealth(
    listed: Node,
  ): Promise<{ node: Node; observedReady: NonNullable<ReturnType<typeof nodeCondition>>; currentReady: ReturnType<typeof nodeCondition> } | undefined> {
    let node = listed;
    const name = node.metadata!.name!;
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.now();
      const verdict = checkNodeHealth({
        node,
        saved: this.health.get(name),
        lease: this.leases.get(NODE_LEASE_NAMESPACE, name),
        now,
        nowTime: rfc3339(new Date(now)),
        monitorGracePeriodMs: this.o.nodeMonitorGracePeriodMs,
        startupGracePeriodMs: this.o.nodeStartupGracePeriodMs,
      });
      this.health.set(name, verdict.health);
      if (!verdict.statusUpdate) return { node, observedReady: verdict.observedReady, currentReady: verdict.currentReady };
      try {
        const written = await this.client.updateStatus(resources.nodes, verdict.statusUpdate);
        this.health.set(name, verdict.healthAfterUpdate!);
        return { node: written, observedReady: verdict.observedReady, currentReady: verdict.currentReady };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (!isConflict(e)) this.log(`error updating node ${name}: ${(e as Error).message}`);
        await sleep(20);
        try {
          node = await this.client.get<Node>({ ...resources.nodes, name });
        } catch (err) {
          this.log(`failed while getting node ${name} to retry updating its health: ${(err as Error).message}`);
          return undefined;
        }
      }
    }
    this.log(`update health of node ${name} failed; skipping, no pods will be evicted`);
    return undefined;
  }

  private async processTaintBaseEviction(node: Node, observedReady: string): Promise<void> {
    const zone = zoneKey(node);
    switch (observedReady) {
      case 'False':
        if (hasTaint(node, UNREACHABLE_NO_EXECUTE)) await this.swapTaints(node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
        else this.tainter(zone).add(node.metadata!.name!);
        return;
      case 'Unknown':
        if (hasTaint(node, NOT_READY_NO_EXECUTE)) await this.swapTaints(node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
        else this.tainter(zone).add(node.metadata!.name!);
        return;
      case 'True':
        await this.markNodeAsReachable(node);
    }
  }

  /** Removes the NoExecute taints this controller adds, and any tainting still waiting. */
  private async markNodeAsReachable(node: Node): Promise<void> {
    this.tainters.get(zoneKey(node))?.remove(node.metadata!.name!);
    await this.swapTaints(node, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE]);
  }

  private async doNoExecuteTaintingPass(): Promise<void> {
    for (const tainter of this.tainters.values()) {
      await tainter.try(async (name) => {
        const node = this.nodes.get(undefined, name);
        if (!node) return true;
        const ready = nodeCondition(node.status, 'Ready');
        if (!ready) return { retryAfterMs: 50 };
        // unreachable and not-ready mirror the Ready condition: one at a time.
        if (ready.status === 'False') return (await this.swapTaints(node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE])) || { retryAfterMs: 0 };
        if (ready.status === 'Unknown') return (await this.swapTaints(node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE])) || { retryAfterMs: 0 };
        return true;
      });
    }
  }

  /** NoSchedule taints from conditions and cordon (upstream's doNoScheduleTaintingPass). */
  private async doNoScheduleTaintingPass(name: string): Promise<void> {
    const node = this.nodes.get(undefined, name);
    if (!node) return;
    const { add, remove } = noScheduleTaintChanges(node);
    if (!add.length && !remove.length) return;
    if (!(await this.swapTaints(node, add, remove))) throw new Error(`failed to swap taints of node ${name}`);
  }

  /**
   * Adds and removes taints with a merge patch guarded by the resourceVersion, re-reading the
   * node on conflict. False when it could not be done.
   */
  private async swapTaints(node: Node, add: Taint[], remove: Taint[]): Promise<boolean> {
    let current: Node = node;
    const name = node.metadata!.name!;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) {
        try {
          current = await this.client.get<Node>({ ...resources.nodes, name });
        } catch (e) {
          if (isNotFound(e)) return false;
          throw e;
        }
      }
      const taints = swapTaints(current.spec?.taints ?? [], add, remove, rfc3339(new Date(this.now())));
      if (!taints) return true;
      try {
        await this.client.patch(
          { ...resources.nodes, name },
          { metadata: { resourceVersion: current.metadata!.resourceVersion }, spec: { taints: taints.length ? taints : null } },
          'merge',
        );
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        if (!isConflict(e)) {
          this.log(`failed to update taints of node ${name}: ${(e as Error).message}`);
          return false;
        }
      }
    }
    return false;
  }

  /** Upstream's MarkPodsNotReady: the pods' Ready condition goes False (pods without one are left). */
  private async markPodsNotReady(pods: Pod[], nodeName: string): Promise<void> {
    const errors: string[] = [];
    const now = rfc3339(new Date(this.now()));
    for (const p of pods) {
      if (p.spec?.nodeName !== nodeName) continue;
      const conditions = p.status?.conditions ?? [];
      const i = conditions.findIndex((c) => c.type === 'Ready');
      if (i < 0 || conditions[i]!.status === 'False') continue;
      try {
        // A patch of the one condition, not the cached pod sent back: the cache holds a trimmed
        // pod (no last-applied-configuration, containers cut to what controllers read), and a
        // status update keeps the labels and annotations it is sent. The resourceVersion makes it
        // conditional, as upstream's UpdateStatus of the pod it read.
        await this.client.patch(
          { ...resources.pods, subresource: 'status', namespace: p.metadata!.namespace, name: p.metadata!.name! },
          {
            metadata: { resourceVersion: p.metadata!.resourceVersion },
            status: { conditions: [{ ...conditions[i], status: 'False', lastTransitionTime: now }] },
          },
          'strategic',
        );
        this.recorder.event(p, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e)) errors.push(`${p.metadata!.namespace}/${p.metadata!.name}: ${(e as Error).message}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  /**
   * Zone states decide the tainting rate: normal in a healthy zone, slow or none in a partially
   * disrupted one, and when every zone is fully down nothing is tainted and taints come off.
   */
  private async handleDisruption(zoneConditions: Map<string, Array<ReturnType<typeof nodeCondition>>>, nodes: Node[]): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFull = true;
    for (const [zone, conditions] of zoneConditions) {
      const { state } = computeZoneState(conditions, this.o.unhealthyZoneThreshold);
      if (state !== 'FullDisruption') allAreFull = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWasFull = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFull = false;
        break;
      }
    }
    if (allAreFull && allWasFull) return;
    if (allAreFull) {
      this.log('all nodes are not Ready: entering master disruption mode (no taint-based evictions)');
      for (const n of nodes) await this.markNodeAsReachable(n);
      for (const zone of this.zoneStates.keys()) {
        this.tainter(zone).swapLimiter(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFull) {
      this.log('some nodes are Ready: exiting master disruption mode');
      const now = this.now();
      for (const n of nodes) {
        const h = this.health.get(n.metadata!.name!);
        if (h) this.health.set(n.metadata!.name!, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
      }
    }
    for (const [zone, state] of [...this.zoneStates]) {
      const next = newStates.get(zone)!;
      if (!allWasFull && state === next) continue;
      this.tainter(zone).swapLimiter(this.zoneQPS(next, zoneConditions.get(zone)!.length));
      this.zoneStates.set(zone, next);
    }
  }

  private zoneQPS(state: ZoneState, size: number): number {
    if (state === 'PartialDisruption') return size > this.o.largeClusterThreshold ? this.o.secondaryEvictionLimiterQPS : 0;
    return this.o.evictionLimiterQPS;
  }
}

function nodeRef(n: Node) {
  return { apiVersion: 'v1', kind: 'Node', name: n.metadata!.name!, uid: n.metadata!.uid };
}
