// The scheduler: informers feed the cache (bound pods, nodes, namespaces) and the queue (pods
// waiting for a node); one loop takes a pod at a time through the scheduling cycle, assumes it on
// the chosen node, and binds it in the background so the next cycle starts at once.
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { CSINode, StorageClass } from 'kubernetes-types/storage/v1';
import { resources, SharedInformerFactory, type Informer, type InformerScope, type RestClient } from '../client/index.js';
import { SchedulerCache } from './cache.js';
import { defaultConfig, type SchedulerConfig } from './config.js';
import type { Framework } from './framework/runtime.js';
import type { PodInfo } from './framework/pod-info.js';
import { podKey } from './framework/pod-info.js';
import type { EventObject, QueuedPodInfo } from './framework/types.js';
import { buildFramework } from './profile.js';
import { schedulerTransformFor } from './pod-transform.js';
import { pluginRegistry, type SchedulerHandle } from './plugins/index.js';
import { SchedulingQueue, type ObservedEvent } from './queue.js';
import { FitError, SchedulingAlgorithm } from './schedule-pod.js';
import { PodStatusWriter, type EventSink } from './pod-status.js';
import { observeAttempt, observePodScheduled, reportPendingPods } from './metrics.js';
import { componentLogger, type Logger } from '../log/logger.js';

export interface SchedulerOptions {
  client: RestClient;
  config?: SchedulerConfig;
  events: EventSink;
  log?: Logger;
  random?: () => number;
  /** The process's shared informers (berth server's); the scheduler makes its own without. */
  informers?: SharedInformerFactory;
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  private readonly frameworks = new Map<string, Framework>();
  private readonly algorithm: SchedulingAlgorithm;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly nsInformer: Informer<Namespace>;
  /** Its handlers on the informers, removed on stop (shared informers outlive a scheduler). */
  private readonly informers: InformerScope;
  /** Claims, volumes and classes, for VolumeBinding. */
  private readonly claimInformer: Informer<PersistentVolumeClaim>;
  private readonly volumeInformer: Informer<PersistentVolume>;
  private readonly classInformer: Informer<StorageClass>;
  /** The CSI drivers' attach limits per node, for NodeVolumeLimits. */
  private readonly csiNodeInformer: Informer<CSINode>;
  private readonly status: PodStatusWriter;
  private readonly log: Logger;
  private stopped = false;
  private loop?: Promise<void>;
  /** Binding cycles in flight, so stop() can wait for them. */
  private readonly binding = new Set<Promise<void>>();

  constructor(private readonly opts: SchedulerOptions) {
    this.log = opts.log ?? componentLogger('scheduler');
    const config = opts.config ?? defaultConfig();
    this.status = new PodStatusWriter(opts.client, opts.events);
    const handle: SchedulerHandle = {
      snapshot: () => this.cache,
      client: opts.client,
      framework: () => this.currentFramework!,
      nominatedPodsForNode: (n) => this.queue.nominatedPodsForNode(n),
      evictVictim: (victim, preemptor, node) => this.status.evictVictim(victim, preemptor, node, this.currentFramework!.profileName),
      clearNomination: async (pod) => {
        this.queue.deleteNomination(podKey(pod));
        await this.status.setNominatedNode(pod, undefined);
      },
      ownerSelector: () => undefined,
      stopping: () => this.stopped,
      volumes: {
        claim: (ns, name) => this.claimInformer.getByKey(`${ns}/${name}`),
        volume: (name) => this.volumeInformer.getByKey(name),
        volumes: () => this.volumeInformer.list(),
        storageClass: (name) => this.classInformer.getByKey(name),
      },
      csiNodes: { csiNode: (name) => this.csiNodeInformer.getByKey(name) },
    };
    const registry = pluginRegistry();
    for (const profile of config.profiles) this.frameworks.set(profile.schedulerName, buildFramework(profile, registry, handle));
    this.algorithm = new SchedulingAlgorithm(
      opts.random,
      (n) => this.queue.nominatedPodsForNode(n),
      (p) => this.queue.nominatedNodeFor(podKey(p)),
    );
    this.queue = new SchedulingQueue((p) => this.frameworkFor(p), [...this.frameworks.values()]);

    // One pod informer for bound and waiting pods alike: the cache needs the first, the queue
    // the second, and in berth server the controllers read the same informer (one watch). Its
    // own informers keep only what scheduling reads of a pod (pod-transform.ts).
    this.informers = opts.informers
      ? opts.informers.scope()
      : new SharedInformerFactory(opts.client, { name: 'scheduler', log: this.log, transformFor: schedulerTransformFor }).scope({
          shutdownFactoryOnStop: true,
        });
    this.podInformer = this.informers.for<Pod>(resources.pods);
    this.nodeInformer = this.informers.for<Node>(resources.nodes);
    this.nsInformer = this.informers.for<Namespace>(resources.namespaces);
    this.claimInformer = this.informers.for<PersistentVolumeClaim>(resources.persistentvolumeclaims);
    this.volumeInformer = this.informers.for<PersistentVolume>(resources.persistentvolumes);
    this.classInformer = this.informers.for<StorageClass>(resources.storageclasses);
    this.csiNodeInformer = this.informers.for<CSINode>(resources.csinodes);
    this.wireInformers();
  }

  private currentFramework: Framework | undefined;
  /** Counters for diagnosis, logged at debug level (--v 4) every 1000 cycles and 200 failures. */
  readonly stats = { cycles: 0, evaluated: 0, failures: 0, postFilterMs: 0 };

  frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get(pod.spec?.schedulerName || 'default-scheduler');
  }

  private responsibleFor(pod: Pod): boolean {
    return this.frameworks.has(pod.spec?.schedulerName || 'default-scheduler');
  }

  private wireInformers(): void {
    this.nsInformer.addEventHandler({
      onAdd: (ns) => {
        this.cache.setNamespace(ns);
        this.move({ resource: 'Namespace', action: 'Add' });
      },
      onUpdate: (_o, ns) => {
        this.cache.setNamespace(ns);
        this.move({ resource: 'Namespace', action: 'Update' });
      },
      onDelete: (ns) => this.cache.setNamespace(ns, true),
    });
    this.nodeInformer.addEventHandler({
      onAdd: (n) => {
        this.cache.addOrUpdateNode(n);
        this.move({ resource: 'Node', action: 'Add' }, undefined, n);
      },
      onUpdate: (old, n) => {
        this.cache.addOrUpdateNode(n);
        for (const action of nodeUpdateActions(old, n)) this.move({ resource: 'Node', action }, old, n);
      },
      onDelete: (n) => {
        this.cache.removeNode(n.metadata!.name!);
        this.move({ resource: 'Node', action: 'Delete' }, n, undefined);
      },
    });
    // A claim appearing or being bound (or provisioned) may let pods waiting on it in.
    this.claimInformer.addEventHandler({
      onAdd: (c) => this.move({ resource: 'PersistentVolumeClaim', action: 'Add' }, undefined, c),
      onUpdate: (old, c) => this.move({ resource: 'PersistentVolumeClaim', action: 'Update' }, old, c),
    });
    // A volume appearing tells NodeVolumeLimits its driver; a CSINode, a node's attach limits.
    this.volumeInformer.addEventHandler({ onAdd: () => this.move({ resource: 'PersistentVolume', action: 'Add' }) });
    this.csiNodeInformer.addEventHandler({
      onAdd: (n) => this.move({ resource: 'CSINode', action: 'Add' }, undefined, n),
      onUpdate: (old, n) => this.move({ resource: 'CSINode', action: 'Update' }, old, n),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (old, p) => this.podUpdated(old, p),
      onDelete: (p) => this.podDeleted(p),
    });
  }

  private podAdded(p: Pod): void {
    if (p.spec?.nodeName) {
      if (isTerminal(p)) return;
      this.cache.addOrUpdatePod(p);
      this.queue.deleteNomination(podKey(p));
      this.move({ resource: 'AssignedPod', action: 'Add' }, undefined, p);
    } else if (this.responsibleFor(p) && !isTerminal(p) && !p.metadata?.deletionTimestamp) {
      this.queue.add(p);
    }
  }

  private podUpdated(old: Pod, p: Pod): void {
    if (p.spec?.nodeName) {
      if (!old.spec?.nodeName) this.queue.delete(p);
      if (isTerminal(p)) {
        // A finished pod no longer holds its resources.
        if (this.cache.hasPod(p)) {
          this.cache.removePod(p);
          this.move({ resource: 'AssignedPod', action: 'Delete' }, old, p);
        }
        return;
      }
      this.cache.addOrUpdatePod(p);
      if (old.spec?.nodeName) {
        if (JSON.stringify(old.metadata?.labels) !== JSON.stringify(p.metadata?.labels))
          this.move({ resource: 'AssignedPod', action: 'UpdatePodLabel' }, old, p);
      } else this.move({ resource: 'AssignedPod', action: 'Add' }, undefined, p);
    } else if (this.responsibleFor(p)) {
      if (p.metadata?.deletionTimestamp || isTerminal(p)) this.queue.delete(p);
      else this.queue.add(p);
    }
  }

  private podDeleted(p: Pod): void {
    if (p.spec?.nodeName || this.cache.hasPod(p)) {
      this.cache.removePod(p);
      this.move({ resource: 'AssignedPod', action: 'Delete' }, p, undefined);
    } else this.queue.delete(p);
  }

  private move(e: ObservedEvent, oldObj?: EventObject, newObj?: EventObject): void {
    this.queue.moveOnEvent(e, oldObj, newObj);
  }

  async start(): Promise<void> {
    const volumeInformers = [this.claimInformer, this.volumeInformer, this.classInformer, this.csiNodeInformer] as Array<
      Informer<PersistentVolumeClaim | PersistentVolume | StorageClass | CSINode>
    >;
    this.nsInformer.start();
    this.nodeInformer.start();
    for (const i of volumeInformers) i.start();
    // Nodes, namespaces and volumes first, so the first pods already find them.
    await Promise.all([this.nsInformer.waitForSync(), this.nodeInformer.waitForSync(), ...volumeInformers.map((i) => i.waitForSync())]);
    this.podInformer.start();
    await this.podInformer.waitForSync();
    this.queue.run();
    this.stopReporting = reportPendingPods(() => this.queue.counts);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopReporting?.();
    this.queue.close();
    await this.informers.stop();
    await this.loop;
    await Promise.allSettled([...this.binding]);
  }

  private stopReporting?: () => void;

  private async run(): Promise<void> {
    while (!this.stopped) {
      const q = await this.queue.pop();
      if (!q) return;
      try {
        await this.scheduleOne(q);
      } catch (e) {
        this.log.error(`scheduling ${q.podInfo.key}: ${(e as Error).stack ?? e}`);
        observeAttempt('error', q.podInfo.pod.spec?.schedulerName || 'default-scheduler', (performance.now() - q.cycleStart!) / 1000);
        this.queue.addUnschedulable(q, new Set(), true);
      }
      // Let informer events in between cycles, as upstream's goroutines interleave.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** One scheduling cycle; the binding cycle continues in the background. */
  private async scheduleOne(q: QueuedPodInfo): Promise<void> {
    const key = q.podInfo.key;
    q.cycleStart = performance.now();
    // The pod as the informer knows it now: it may have been deleted or bound meanwhile.
    const pod = this.podInformer.getByKey(key);
    if (!pod || pod.spec?.nodeName || pod.metadata?.deletionTimestamp || this.cache.hasPod(pod)) {
      this.queue.done(key);
      return;
    }
    const fwk = this.frameworkFor(pod);
    if (!fwk) {
      this.queue.done(key);
      return;
    }
    this.currentFramework = fwk;
    const state = fwk.newCycleState();
    let host: string;
    try {
      const r = this.algorithm.schedulePod(fwk, state, pod, this.cache);
      host = r.suggestedHost;
      this.stats.cycles++;
      this.stats.evaluated += r.evaluatedNodes;
      if (this.stats.cycles % 1000 === 0 && this.log.enabled('debug'))
        this.log.debug(
          `stats: ${this.stats.cycles} cycles, ${Math.round(this.stats.evaluated / this.stats.cycles)} nodes evaluated per cycle, queue ${JSON.stringify(this.queue.counts)}`,
        );
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      let nominated: string | undefined;
      this.stats.failures++;
      // With no nodes at all there is nothing to preempt (upstream skips PostFilter too).
      if (fwk.plugins.postFilter.length && e.numAllNodes > 0) {
        const statuses = new Map(e.diagnosis.nodeToStatus);
        const t0 = performance.now();
        const r = await fwk.runPostFilter(state, pod, statuses);
        this.stats.postFilterMs += performance.now() - t0;
        if (this.stats.failures % 200 === 0 && this.log.enabled('debug'))
          this.log.debug(
            `stats: ${this.stats.failures} failed cycles, ${Math.round(this.stats.postFilterMs)} ms in PostFilter, queue ${JSON.stringify(this.queue.counts)}`,
          );
        if (r.status.isSuccess()) nominated = r.result?.nominatedNodeName;
        else e.diagnosis.postFilterMsg = r.status.message();
      }
      if (nominated) this.queue.addNomination(q.podInfo, nominated);
      observeAttempt('unschedulable', fwk.profileName, (performance.now() - q.cycleStart) / 1000);
      this.status.recordFailure(pod, e.message, 'Unschedulable', nominated);
      this.queue.addUnschedulable(q, e.diagnosis.unschedulablePlugins);
      return;
    }

    const assumed = this.cache.assume(pod, host);
    const reserve = fwk.runReserve(state, pod, host);
    const permit = reserve.isSuccess() ? fwk.runPermit(state, pod, host) : reserve;
    if (!permit.isSuccess()) {
      fwk.runUnreserve(state, pod, host);
      this.cache.forget(pod);
      observeAttempt(permit.isRejected() ? 'unschedulable' : 'error', fwk.profileName, (performance.now() - q.cycleStart) / 1000);
      this.status.recordFailure(pod, permit.message(), permit.isRejected() ? 'Unschedulable' : 'SchedulerError');
      this.queue.addUnschedulable(q, new Set([permit.plugin]), !permit.isRejected());
      return;
    }
    this.queue.deleteNomination(key);
    const cycle = this.bindingCycle(fwk, state, q, pod, assumed, host);
    this.binding.add(cycle);
    void cycle.finally(() => this.binding.delete(cycle));
  }

  private async bindingCycle(
    fwk: Framework,
    state: ReturnType<Framework['newCycleState']>,
    q: QueuedPodInfo,
    pod: Pod,
    _assumed: PodInfo,
    host: string,
  ): Promise<void> {
    try {
      let s = await fwk.runPreBind(state, pod, host);
      if (s.isSuccess()) s = await fwk.runBind(state, pod, host);
      if (!s.isSuccess()) {
        fwk.runUnreserve(state, pod, host);
        this.cache.forget(pod);
        observeAttempt('error', fwk.profileName, (performance.now() - q.cycleStart!) / 1000);
        this.status.recordFailure(pod, `binding rejected: ${s.message()}`, 'SchedulerError');
        this.queue.addUnschedulable(q, new Set(), true);
        // The node we counted on is free again for others.
        this.move({ resource: 'AssignedPod', action: 'Delete' }, pod, undefined);
        return;
      }
      this.queue.done(q.podInfo.key);
      observeAttempt('scheduled', fwk.profileName, (performance.now() - q.cycleStart!) / 1000);
      observePodScheduled(q.attempts, (Date.now() - q.initialAttemptTimestamp) / 1000);
      this.status.recordScheduled(pod, host);
      fwk.runPostBind(state, pod, host);
    } catch (e) {
      this.log.error(`binding ${q.podInfo.key}: ${(e as Error).message}`);
      observeAttempt('error', fwk.profileName, (performance.now() - q.cycleStart!) / 1000);
      this.cache.forget(pod);
      this.queue.addUnschedulable(q, new Set(), true);
    }
  }
}

/** Which kinds of node change happened, as upstream's nodeSchedulingPropertiesChange. */
export function nodeUpdateActions(old: Node, n: Node): ObservedEvent['action'][] {
  const out: ObservedEvent['action'][] = [];
  const j = (v: unknown) => JSON.stringify(v ?? null);
  if (old.spec?.unschedulable !== n.spec?.unschedulable || j(old.spec?.taints) !== j(n.spec?.taints)) out.push('UpdateNodeTaint');
  if (j(old.status?.allocatable) !== j(n.status?.allocatable)) out.push('UpdateNodeAllocatable');
  if (j(old.metadata?.labels) !== j(n.metadata?.labels)) out.push('UpdateNodeLabel');
  const conds = (x: Node) => j((x.status?.conditions ?? []).map((c) => [c.type, c.status]));
  if (conds(old) !== conds(n)) out.push('UpdateNodeCondition');
  if (j(old.metadata?.annotations) !== j(n.metadata?.annotations)) out.push('UpdateNodeAnnotation');
  return out;
}
