// The ReplicaSet controller (upstream pkg/controller/replicaset): keeps spec.replicas active pods
// matching the selector. Pods are created from the template in slow-start batches and deleted
// least valuable first; orphans that match are adopted and owned pods that stopped matching are
// released; expectations keep a burst of events from acting twice on the same change. The legacy
// ReplicationController is the same controller over another kind (upstream's ReplicationManager
// wraps the ReplicaSet controller the same way): only its selector, a plain label map, differs.
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import {
  byNamespace,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  resources,
  rfc3339,
  runWorkers,
  WorkQueue,
  type GroupVersionResource,
  type Informer,
  type KubeObject,
  type Mutable,
} from '../client/index.js';
import { selectorFromLabelSelector, selectorFromSet, type Selector } from '../api/labels.js';
import { deepEqual } from '../api/object.js';
import type { Controller, ControllerContext } from './context.js';
import { Expectations } from './expectations.js';
import { filterActivePods, isPodAvailable, isPodReady, msUntilAvailable, podsToDelete } from './active-pods.js';
import { claimObjects, CONTROLLER_INDEX, byController, controllerIndexKey, recheckDeletion } from './controller-ref.js';
import { controllerOf, controllerRef, PodControl } from './pod-control.js';

export const REPLICASET_COMPONENT = 'replicaset-controller';
/** Upstream's BurstReplicas: creates or deletes per sync. */
export const BURST_REPLICAS = 500;
const STATUS_UPDATE_RETRIES = 1;

/** The kind a replica controller keeps pods for: ReplicaSet or ReplicationController. */
interface ReplicatedKind {
  /** The controller's name (queue, logs). */
  name: string;
  /** The events' source component, as upstream's. */
  component: string;
  gvr: GroupVersionResource;
  apiVersion: string;
  kind: string;
  /** The object's pod selector; undefined when it cannot be parsed. */
  selector(obj: ReplicaSet): Selector | undefined;
}

const REPLICA_SET: ReplicatedKind = {
  name: 'replicaset',
  component: REPLICASET_COMPONENT,
  gvr: resources.replicasets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  selector: (rs) => {
    try {
      return selectorFromLabelSelector(rs.spec?.selector);
    } catch {
      return undefined;
    }
  },
};

const REPLICATION_CONTROLLER: ReplicatedKind = {
  name: 'replicationcontroller',
  component: 'replication-controller',
  gvr: resources.replicationcontrollers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  selector: (rc) => selectorFromSet(rc.spec?.selector as Record<string, string> | undefined),
};

export interface ReplicaSetControllerOptions {
  workers?: number;
  burstReplicas?: number;
  now?: () => Date;
}

export function newReplicaSetController(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}): Controller {
  return new ReplicaSetController(ctx, opts, REPLICA_SET);
}

/** The ReplicationController controller (upstream's ReplicationManager): the same, for the legacy kind. */
export function newReplicationControllerController(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}): Controller {
  return new ReplicaSetController(ctx, opts, REPLICATION_CONTROLLER);
}

/** The status a ReplicaSet's claimed active pods give it (upstream calculateStatus). */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: Pod[], manageError: unknown, now: Date): Mutable<ReplicaSetStatus> {
  const status: Mutable<ReplicaSetStatus> = structuredClone(rs.status ?? { replicas: 0 });
  const template = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (template.matches(pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond: ReplicaSetCondition = {
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: rfc3339(now),
      reason,
      message: (manageError as Error).message ?? String(manageError),
    };
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
  } else if (!manageError && failure) {
    status.conditions = status.conditions!.filter((c) => c.type !== 'ReplicaFailure');
    if (!status.conditions.length) delete status.conditions;
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly queue: WorkQueue<string>;
  private readonly expectations: Expectations;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly podControl: PodControl;
  private readonly burst: number;
  private readonly now: () => Date;
  /**
   * The status this controller last wrote to each ReplicaSet (by uid), while the informer has not
   * yet shown that write: its next status write starts from what is really stored rather than
   * from the informer's older copy, which would only meet a conflict (or rewrite the same status).
   */
  private readonly ownStatusWrites = new Map<string, { informerVersion: string; written: ReplicaSet }>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: ReplicaSetControllerOptions,
    private readonly rk: ReplicatedKind,
  ) {
    this.name = rk.name;
    this.queue = new WorkQueue<string>({ name: rk.name });
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(() => this.now().getTime());
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.podControl = new PodControl(ctx.client, ctx.recorder(rk.component));
    this.rsInformer = ctx.informers.for<ReplicaSet>(rk.gvr, { [NAMESPACE_INDEX]: byNamespace, [CONTROLLER_INDEX]: byController });
    this.podInformer = ctx.informers.for<Pod>(resources.pods, { [NAMESPACE_INDEX]: byNamespace, [CONTROLLER_INDEX]: byController });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (old, cur) => {
        if (old.metadata?.uid !== cur.metadata?.uid) this.onDeleteReplicaSet(old);
        // The informer has moved on: what this controller last wrote is no longer ahead of it.
        this.ownStatusWrites.delete(cur.metadata?.uid ?? '');
        this.enqueue(cur);
      },
      onDelete: (rs) => this.onDeleteReplicaSet(rs),
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.onAddPod(pod),
      onUpdate: (old, cur) => this.onUpdatePod(old, cur),
      onDelete: (pod) => this.onDeletePod(pod),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`${this.name} ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private enqueue(rs: KubeObject, afterMs = 0): void {
    const key = metaNamespaceKey(rs);
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  private onDeleteReplicaSet(rs: ReplicaSet): void {
    this.ownStatusWrites.delete(rs.metadata?.uid ?? '');
    const key = metaNamespaceKey(rs);
    this.expectations.delete(key);
    this.queue.add(key);
  }

  /** The ReplicaSet a controller reference names, if it is in the cache with that uid. */
  private resolve(namespace: string | undefined, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== this.rk.kind) return undefined;
    const rs = this.rsInformer.get(namespace, ref.name);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose (non-empty) selector matches it. */
  private replicaSetsMatching(pod: Pod): ReplicaSet[] {
    const ns = pod.metadata?.namespace ?? '';
    return this.rsInformer.byIndex(NAMESPACE_INDEX, ns).filter((rs) => {
      const sel = this.rk.selector(rs);
      return !!sel && !sel.empty() && sel.matches(pod.metadata?.labels);
    });
  }

  private onAddPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already being deleted (e.g. after a restart): not a creation.
      this.onDeletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      const key = metaNamespaceKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    // An orphan: whoever matches may want to adopt it. No creation is observed for it.
    for (const rs of this.replicaSetsMatching(pod)) this.enqueue(rs);
  }

  private onUpdatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = !deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // A graceful delete starts: replace the pod now rather than when it is finally gone.
      this.onDeletePod(cur);
      if (labelsChanged) this.onDeletePod(old);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !deepEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata?.namespace, oldRef);
      if (rs) this.enqueue(rs);
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata?.namespace, curRef);
      if (!rs) return;
      this.enqueue(rs);
      // Newly ready: look again once minReadySeconds have passed, when it becomes available.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.enqueue(rs, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.replicaSetsMatching(cur)) this.enqueue(rs);
  }

  private onDeletePod(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolve(pod.metadata?.namespace, ref);
    if (!rs) return;
    const key = metaNamespaceKey(rs);
    this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.queue.add(key);
  }

  private async sync(key: string): Promise<void> {
    const cached = this.rsInformer.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    // Lists may leave kind out; events and owner references need it.
    const rs = (cached.kind ? cached : { ...cached, apiVersion: this.rk.apiVersion, kind: this.rk.kind }) as ReplicaSet;
    const needsSync = this.expectations.satisfied(key);
    const selector = this.rk.selector(rs);
    if (!selector) {
      this.ctx.log(`${this.name} ${key}: invalid selector`);
      return;
    }
    const ns = rs.metadata!.namespace!;
    // Pods we own (matching or not, to release them) and orphans that might match.
    const candidates = [
      ...this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, rs.metadata!.uid!)),
      ...this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, '')),
    ];
    const pods = await claimObjects(filterActivePods(candidates), {
      client: this.ctx.client,
      gvr: resources.pods,
      controller: rs,
      ref: controllerRef(rs, this.rk.apiVersion, this.rk.kind),
      selector,
      recheck: recheckDeletion(() => this.ctx.client.get<ReplicaSet>({ ...this.rk.gvr, namespace: ns, name: rs.metadata!.name! }), rs),
    });
    let manageError: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, pods, rs);
      } catch (e) {
        manageError = e;
      }
    } else if (!needsSync) {
      // Expectations that never come true expire; look again then in case no event comes.
      const ms = this.expectations.expiresIn(key);
      if (ms !== undefined) this.queue.addAfter(key, ms + 1);
    }
    const now = this.now();
    const updated = await this.updateStatus(rs, calculateReplicaSetStatus(rs, pods, manageError, now));
    const replicas = updated.spec?.replicas ?? 1;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (!manageError && minReady > 0 && (updated.status?.readyReplicas ?? 0) === replicas && (updated.status?.availableReplicas ?? 0) !== replicas) {
      const waits = pods.map((p) => msUntilAvailable(p, minReady, now)).filter((ms): ms is number => ms !== undefined);
      this.queue.addAfter(key, waits.length ? Math.min(...waits) : minReady * 1000);
    }
    if (manageError) throw manageError;
  }

  private async manageReplicas(key: string, pods: Pod[], rs: ReplicaSet): Promise<void> {
    let diff = pods.length - (rs.spec?.replicas ?? 1);
    const ns = rs.metadata!.namespace!;
    if (diff < 0) {
      const count = Math.min(-diff, this.burst);
      await this.podControl.createPodsExpected(this.expectations, key, {
        namespace: ns,
        template: rs.spec!.template!,
        owner: rs,
        ref: controllerRef(rs, this.rk.apiVersion, this.rk.kind),
        count,
      });
      return;
    }
    if (diff > 0) {
      const victims = podsToDelete(pods, this.relatedPods(rs), Math.min(diff, this.burst), this.now());
      await this.podControl.deletePodsExpected(this.expectations, key, ns, rs, victims);
    }
  }

  /** Pods of every ReplicaSet with the same controller as rs (a Deployment's old and new). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    if (!owner) return [];
    const ns = rs.metadata!.namespace!;
    const siblings = this.rsInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, owner.uid));
    const seen = new Set<string>();
    const out: Pod[] = [];
    for (const sibling of siblings) {
      for (const pod of this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, sibling.metadata!.uid!))) {
        const uid = pod.metadata!.uid!;
        if (seen.has(uid)) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  /** Writes the status unless nothing changed (upstream updateReplicaSetStatus): one retry on a fresh read. */
  private async updateStatus(informed: ReplicaSet, status: Mutable<ReplicaSetStatus>): Promise<ReplicaSet> {
    const uid = informed.metadata!.uid!;
    const own = this.ownStatusWrites.get(uid);
    if (own && own.informerVersion !== informed.metadata!.resourceVersion) this.ownStatusWrites.delete(uid);
    const rs = own && own.informerVersion === informed.metadata!.resourceVersion ? own.written : informed;
    const cur: ReplicaSetStatus = rs.status ?? { replicas: 0 };
    if (
      (cur.replicas ?? 0) === status.replicas &&
      (cur.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
      (cur.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
      (cur.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
      (rs.metadata?.generation ?? 0) === (cur.observedGeneration ?? 0) &&
      deepEqual(cur.conditions ?? [], status.conditions ?? [])
    ) {
      return rs;
    }
    status.observedGeneration = rs.metadata?.generation;
    let obj: ReplicaSet = rs;
    for (let i = 0; ; i++) {
      try {
        const written = await this.ctx.client.updateStatus<ReplicaSet>(this.rk.gvr, { ...obj, status });
        this.ownStatusWrites.set(uid, { informerVersion: informed.metadata!.resourceVersion!, written });
        return written;
      } catch (e) {
        if (i >= STATUS_UPDATE_RETRIES) throw e;
        obj = await this.ctx.client.get<ReplicaSet>({ ...this.rk.gvr, namespace: rs.metadata!.namespace, name: rs.metadata!.name! });
      }
    }
  }
}
