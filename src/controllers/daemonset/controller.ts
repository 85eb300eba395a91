// The DaemonSet controller (upstream pkg/controller/daemon): one pod per eligible node, pinned to
// it through node affinity and bound by the scheduler; pods for new nodes, none on nodes that no
// longer fit; ControllerRevisions of the template; a rolling update (maxUnavailable, or maxSurge
// with a new pod beside the old one) or OnDelete; status counted per node.
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import {
  isNotFound,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  byNamespace,
  resources,
  runWorkers,
  WorkQueue,
  type Informer,
  type Mutable,
} from '../../client/index.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { Expectations } from '../expectations.js';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../active-pods.js';
import { CONTROLLER_INDEX, byController, controllerIndexKey } from '../controller-ref.js';
import { controllerOf, controllerRef, PodControl, slowStartBatch } from '../pod-control.js';
import { scaledValue } from '../deployment/util.js';
import { daemonPodSpec, nodeShouldRunDaemonPod, targetNodeName } from './placement.js';
import { ensureRevision, REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL, truncateHistory } from '../history.js';

export const DAEMONSET_COMPONENT = 'daemonset-controller';
const API_VERSION = 'apps/v1';
const KIND = 'DaemonSet';
/** Upstream's BurstReplicas for daemon pods. */
const BURST = 250;
/** Failed daemon pods are replaced after this back-off, doubling per node up to the max (upstream failedPodsBackoff 1 s .. 15 min). */
const FAILED_BACKOFF_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

export interface DaemonSetControllerOptions {
  workers?: number;
  now?: () => Date;
}

export function newDaemonSetController(ctx: ControllerContext, opts: DaemonSetControllerOptions = {}): Controller {
  return new DaemonSetController(ctx, opts);
}

const byAge = (a: Pod, b: Pod) => {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
};

const allowsSurge = (ds: DaemonSet) =>
  ds.spec?.updateStrategy?.type === 'RollingUpdate' && scaledValue(ds.spec.updateStrategy.rollingUpdate?.maxSurge, 1, true) > 0;

/** A pod of the current template: its revision hash, or (older pods) its template generation (upstream IsPodUpdated). */
function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  if (labels[REVISION_HASH_LABEL] !== undefined) return labels[REVISION_HASH_LABEL] === hash;
  return generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
}

class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly queue = new WorkQueue<string>({ name: 'daemonset' });
  private readonly expectations: Expectations;
  private readonly sets: Informer<DaemonSet>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly podControl: PodControl;
  private readonly now: () => Date;
  /** Per DaemonSet and node: when a failed pod may next be replaced, and the current back-off. */
  private readonly failedBackoff = new Map<string, { until: number; ms: number }>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: DaemonSetControllerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(() => this.now().getTime());
    this.podControl = new PodControl(ctx.client, ctx.recorder(DAEMONSET_COMPONENT));
    this.sets = ctx.informers.for<DaemonSet>(resources.daemonsets, { [NAMESPACE_INDEX]: byNamespace });
    this.pods = ctx.informers.for<Pod>(resources.pods, { [CONTROLLER_INDEX]: byController });
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.revisions = ctx.informers.for<ControllerRevision>(resources.controllerrevisions, { [CONTROLLER_INDEX]: byController });
    this.sets.addEventHandler({
      onAdd: (ds) => this.enqueue(ds),
      onUpdate: (_o, cur) => this.enqueue(cur),
      onDelete: (ds) => {
        this.expectations.delete(metaNamespaceKey(ds));
        this.enqueue(ds);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.onPod(pod, 'add'),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion !== cur.metadata?.resourceVersion)
          this.onPod(cur, cur.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp ? 'delete' : 'update');
      },
      onDelete: (pod) => this.onPod(pod, 'delete'),
    });
    this.nodes.addEventHandler({
      onAdd: () => this.enqueueAll(),
      onUpdate: (old, cur) => {
        if (nodeMattersChanged(old, cur)) this.enqueueAll();
      },
      onDelete: () => this.enqueueAll(),
    });
    this.revisions.addEventHandler({
      onAdd: (r) => this.enqueueOwner(r),
      onUpdate: (_o, cur) => this.enqueueOwner(cur),
      onDelete: (r) => this.enqueueOwner(r),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`daemonset ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private enqueue(ds: DaemonSet, afterMs = 0): void {
    const key = metaNamespaceKey(ds);
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  private enqueueAll(): void {
    for (const ds of this.sets.list()) this.enqueue(ds);
  }

  private owner(obj: Pod | ControllerRevision): DaemonSet | undefined {
    const ref = controllerOf(obj);
    if (ref?.kind !== KIND) return undefined;
    const ds = this.sets.get(obj.metadata?.namespace, ref.name);
    return ds?.metadata?.uid === ref.uid ? ds : undefined;
  }

  private enqueueOwner(obj: ControllerRevision): void {
    const ds = this.owner(obj);
    if (ds) this.enqueue(ds);
  }

  private onPod(pod: Pod, what: 'add' | 'update' | 'delete'): void {
    const ds = this.owner(pod);
    if (!ds) return;
    const key = metaNamespaceKey(ds);
    if (what === 'add') this.expectations.creationObserved(key);
    if (what === 'delete') this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.queue.add(key);
  }

  private async sync(key: string): Promise<void> {
    const ds = this.sets.getByKey(key);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const set: DaemonSet = ds.kind ? ds : { ...ds, apiVersion: API_VERSION, kind: KIND };
    if (set.metadata?.deletionTimestamp) return;
    const nodes = this.nodes.list();
    const hash = await this.currentRevision(set);
    if (!this.expectations.satisfied(key)) {
      const ms = this.expectations.expiresIn(key);
      if (ms !== undefined) this.queue.addAfter(key, ms + 1);
      await this.updateStatus(set, nodes, hash);
      return;
    }
    let error: unknown;
    try {
      await this.manage(set, nodes, hash);
      if (this.expectations.satisfied(key) && set.spec?.updateStrategy?.type === 'RollingUpdate') await this.rollingUpdate(set, nodes, hash);
      await this.cleanupHistory(set, hash);
    } catch (e) {
      error = e;
    }
    await this.updateStatus(set, nodes, hash);
    if (error) throw error;
  }

  /** This DaemonSet's pods by the node they are for (upstream getNodesToDaemonPods). */
  private podsByNode(ds: DaemonSet): Map<string, Pod[]> {
    const out = new Map<string, Pod[]>();
    for (const pod of this.pods.byIndex(CONTROLLER_INDEX, controllerIndexKey(ds.metadata!.namespace!, ds.metadata!.uid!))) {
      const node = targetNodeName(pod);
      if (!node) continue;
      let list = out.get(node);
      if (!list) out.set(node, (list = []));
      list.push(pod);
    }
    return out;
  }

  /** The hash of the current template's revision, creating or renumbering the revision as needed (upstream constructHistory). */
  private async currentRevision(ds: DaemonSet): Promise<string> {
    const rev = await ensureRevision({
      client: this.ctx.client,
      owner: ds,
      apiVersion: API_VERSION,
      kind: KIND,
      owned: this.revisions.byIndex(CONTROLLER_INDEX, controllerIndexKey(ds.metadata!.namespace!, ds.metadata!.uid!)),
      collisionCount: ds.status?.collisionCount,
      raiseCollisionCount: async () => {
        const status = { ...(ds.status ?? emptyStatus()), collisionCount: (ds.status?.collisionCount ?? 0) + 1 };
        await this.ctx.client.updateStatus<DaemonSet>(resources.daemonsets, { ...ds, status });
      },
    });
    return rev.metadata!.labels![REVISION_HASH_LABEL]!;
  }

  /** Creates the pods nodes are missing and deletes those that should go (upstream manage + podsShouldBeOnNode). */
  private async manage(ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
    const byNode = this.podsByNode(ds);
    const create: string[] = [];
    const remove: Pod[] = [];
    const now = this.now().getTime();
    const known = new Set<string>();
    for (const node of nodes) {
      const nodeName = node.metadata!.name!;
      known.add(nodeName);
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      const pods = byNode.get(nodeName) ?? [];
      if (shouldRun && !pods.length) {
        create.push(nodeName);
      } else if (shouldContinueRunning) {
        const running: Pod[] = [];
        for (const pod of pods) {
          if (pod.metadata?.deletionTimestamp) continue;
          const phase = pod.status?.phase;
          if (phase === 'Failed' || phase === 'Succeeded') {
            const wait = this.failedPodBackoff(ds, nodeName, now);
            if (wait > 0) {
              this.enqueue(ds, wait);
              continue;
            }
            if (phase === 'Failed') {
              this.ctx
                .recorder(DAEMONSET_COMPONENT)
                .event(
                  ds,
                  'Warning',
                  'FailedDaemonPod',
                  `Found failed daemon pod ${pod.metadata!.namespace}/${pod.metadata!.name} on node ${nodeName}, will try to kill it`,
                );
            }
            remove.push(pod);
          } else running.push(pod);
        }
        remove.push(...excessPods(ds, running.sort(byAge), hash, this.now()));
      } else {
        remove.push(...pods.filter((p) => !p.metadata?.deletionTimestamp));
      }
    }
    // Pods for nodes that are gone.
    for (const [nodeName, pods] of byNode) if (!known.has(nodeName)) remove.push(...pods.filter((p) => !p.metadata?.deletionTimestamp));
    await this.syncNodes(ds, remove, create, hash);
  }

  /** ms until a failed pod on the node may be replaced; starts or doubles the back-off when 0. */
  private failedPodBackoff(ds: DaemonSet, node: string, now: number): number {
    const key = `${ds.metadata!.uid}/${node}`;
    const cur = this.failedBackoff.get(key);
    if (cur && cur.until > now) return cur.until - now;
    const ms = cur ? Math.min(cur.ms * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_MS;
    this.failedBackoff.set(key, { until: now + ms, ms });
    return 0;
  }

  /** Deletes pods and creates one per node, within the burst, with expectations (upstream syncNodes). */
  private async syncNodes(ds: DaemonSet, remove: Pod[], createOn: string[], hash: string): Promise<void> {
    const key = metaNamespaceKey(ds);
    const ns = ds.metadata!.namespace!;
    const creates = createOn.slice(0, BURST);
    const deletes = remove.slice(0, BURST);
    const errors: unknown[] = [];
    if (creates.length) {
      this.expectations.expectCreations(key, creates.length);
      const template = { ...ds.spec!.template, metadata: { ...ds.spec!.template.metadata } };
      template.metadata.labels = {
        ...(template.metadata.labels ?? {}),
        [REVISION_HASH_LABEL]: hash,
        [TEMPLATE_GENERATION_LABEL]: String(ds.metadata?.generation ?? 1),
      };
      const queue = [...creates];
      const { successes, error } = await slowStartBatch(creates.length, 1, async () => {
        const node = queue.shift()!;
        await this.podControl.createPod(ns, template, ds, controllerRef(ds, API_VERSION, KIND), (pod) => {
          pod.spec = daemonPodSpec(ds, node);
        });
      });
      for (let i = successes; i < creates.length; i++) this.expectations.creationObserved(key);
      if (error) errors.push(error);
    }
    if (deletes.length) {
      try {
        await this.podControl.deletePodsExpected(this.expectations, key, ns, ds, deletes);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }

  /** Replaces old pods within maxUnavailable, or beside them within maxSurge (upstream rollingUpdate). */
  private async rollingUpdate(ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
    const byNode = this.podsByNode(ds);
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const available = (p: Pod) => isPodAvailable(p, minReady, now);
    // The nodes that should run the pod or have one (upstream updatedDesiredNodeCounts).
    const wanted = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).map((n) => n.metadata!.name!);
    const desired = wanted.length;
    const nodeNames = [...new Set([...wanted, ...byNode.keys()])];
    const ru = ds.spec?.updateStrategy?.rollingUpdate;
    const maxSurge = scaledValue(ru?.maxSurge, desired, true);
    let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, true);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const generation = ds.metadata?.generation;
    if (maxSurge === 0) {
      let unavailable = 0;
      const replaceNow: Pod[] = [];
      const candidates: Pod[] = [];
      for (const nodeName of nodeNames) {
        const split = splitPods(byNode.get(nodeName) ?? [], hash, generation);
        if (!split) continue;
        const { newPod, oldPod } = split;
        if ((!newPod && !oldPod) || (newPod && oldPod)) unavailable++;
        else if (newPod) {
          if (!available(newPod)) unavailable++;
        } else if (!available(oldPod!)) replaceNow.push(oldPod!);
        else candidates.push(oldPod!);
      }
      const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
      await this.syncNodes(ds, [...replaceNow, ...candidates.slice(0, room)], [], hash);
      return;
    }
    let surging = 0;
    const createNow: string[] = [];
    const candidates: string[] = [];
    const remove: Pod[] = [];
    for (const nodeName of nodeNames) {
      const split = splitPods(byNode.get(nodeName) ?? [], hash, generation);
      if (!split) continue;
      const { newPod, oldPod } = split;
      if (oldPod && !newPod) {
        if (!available(oldPod)) createNow.push(nodeName);
        else candidates.push(nodeName);
      } else if (oldPod && newPod) {
        surging++;
        if (available(newPod)) remove.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, maxSurge - surging), candidates.length);
    await this.syncNodes(ds, remove, [...createNow, ...candidates.slice(0, room)], hash);
  }

  /** Deletes revisions beyond revisionHistoryLimit that no pod uses, oldest first (upstream cleanupHistory). */
  private async cleanupHistory(ds: DaemonSet, hash: string): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? 10;
    const owned = this.revisions.byIndex(CONTROLLER_INDEX, controllerIndexKey(ds.metadata!.namespace!, ds.metadata!.uid!));
    const inUse = new Set<string>([hash]);
    for (const pod of this.pods.byIndex(CONTROLLER_INDEX, controllerIndexKey(ds.metadata!.namespace!, ds.metadata!.uid!))) {
      const h = pod.metadata?.labels?.[REVISION_HASH_LABEL];
      if (h) inUse.add(h);
    }
    await truncateHistory(this.ctx.client, owned, (r) => inUse.has(r.metadata?.labels?.[REVISION_HASH_LABEL] ?? ''), limit);
  }

  private async updateStatus(ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
    const byNode = this.podsByNode(ds);
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const s: Mutable<DaemonSetStatus> = emptyStatus();
    let nextAvailableIn: number | undefined;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
      const pods = (byNode.get(node.metadata!.name!) ?? []).filter(
        (p) => !(p.metadata?.deletionTimestamp && ['Failed', 'Succeeded'].includes(p.status?.phase ?? '')),
      );
      if (!shouldRun) {
        if (pods.length) s.numberMisscheduled++;
        continue;
      }
      s.desiredNumberScheduled++;
      if (!pods.length) continue;
      s.currentNumberScheduled++;
      const pod = [...pods].sort(byAge)[0]!;
      if (isPodReady(pod)) {
        s.numberReady++;
        if (isPodAvailable(pod, minReady, now)) s.numberAvailable!++;
        else {
          const ms = msUntilAvailable(pod, minReady, now);
          if (ms !== undefined) nextAvailableIn = Math.min(nextAvailableIn ?? ms, ms);
        }
      }
      if (isPodUpdated(pod, hash, ds.metadata?.generation)) s.updatedNumberScheduled!++;
    }
    s.numberUnavailable = s.desiredNumberScheduled - s.numberAvailable!;
    s.observedGeneration = ds.metadata?.generation;
    if (ds.status?.collisionCount !== undefined) s.collisionCount = ds.status.collisionCount;
    if (ds.status?.conditions) s.conditions = ds.status.conditions;
    if (nextAvailableIn !== undefined) this.enqueue(ds, nextAvailableIn + 1);
    const cur = ds.status ?? emptyStatus();
    const same = (Object.keys(s) as Array<keyof DaemonSetStatus>).every((k) => deepEqual(cur[k] ?? 0, s[k] ?? 0));
    if (same) return;
    try {
      await this.ctx.client.updateStatus<DaemonSet>(resources.daemonsets, { ...ds, status: s });
    } catch (e) {
      if (isNotFound(e)) return;
      const fresh = await this.ctx.client.get<DaemonSet>({ ...resources.daemonsets, namespace: ds.metadata!.namespace, name: ds.metadata!.name! });
      await this.ctx.client.updateStatus<DaemonSet>(resources.daemonsets, {
        ...fresh,
        status: { ...s, observedGeneration: fresh.metadata?.generation === ds.metadata?.generation ? s.observedGeneration : fresh.status?.observedGeneration },
      });
    }
  }
}

function emptyStatus(): Mutable<DaemonSetStatus> & { numberAvailable: number; updatedNumberScheduled: number } {
  return { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, numberAvailable: 0, updatedNumberScheduled: 0 };
}

/** The node's current and old pod, or undefined when there is more than one of either (upstream findUpdatedPodsOnNode). */
function splitPods(pods: Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod } | undefined {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return undefined;
      newPod = pod;
    } else {
      if (oldPod) return undefined;
      oldPod = pod;
    }
  }
  return { newPod, oldPod };
}

/**
 * The running pods a node has too many of. Without surge all but the oldest; with surge the
 * oldest current and oldest old pod may stay together while the new one is not yet available.
 */
function excessPods(ds: DaemonSet, running: Pod[], hash: string, now: Date): Pod[] {
  if (running.length <= 1) return [];
  if (!allowsSurge(ds)) return running.slice(1);
  const out: Pod[] = [];
  let oldestNew: Pod | undefined;
  let oldestOld: Pod | undefined;
  for (const pod of running) {
    if (pod.metadata?.labels?.[REVISION_HASH_LABEL] === hash) {
      if (!oldestNew) {
        oldestNew = pod;
        continue;
      }
    } else if (!oldestOld) {
      oldestOld = pod;
      continue;
    }
    out.push(pod);
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, now))) out.push(oldestOld);
  return out;
}

/** Whether a node changed in a way that moves daemon pods: labels, taints, schedulability, readiness. */
function nodeMattersChanged(old: Node, cur: Node): boolean {
  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return (
    !deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {}) ||
    !deepEqual(old.spec?.taints ?? [], cur.spec?.taints ?? []) ||
    !!old.spec?.unschedulable !== !!cur.spec?.unschedulable ||
    ready(old) !== ready(cur)
  );
}
