// The Deployment controller (upstream pkg/controller/deployment): a work queue of deployments
// fed by deployment, ReplicaSet and pod events, and syncDeployment, which claims the
// deployment's ReplicaSets and then pauses, rolls back, scales or rolls out.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { byNamespace, metaNamespaceKey, NAMESPACE_INDEX, resources, runWorkers, WorkQueue, type Informer, type KubeObject } from '../../client/index.js';
import { selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { byController, claimObjects, CONTROLLER_INDEX, controllerIndexKey, recheckDeletion } from '../controller-ref.js';
import { controllerOf, controllerRef } from '../pod-control.js';
import { rolloutRecreate, type PodMap } from './recreate.js';
import { getRollbackTo, rollback } from './rollback.js';
import { rolloutRolling } from './rolling.js';
import { asDeployment, checkPausedConditions, COMPONENT, isScalingEvent, sync, syncStatusOnly, updateDeploymentStatus, type SyncContext } from './sync.js';
import type { MutableDeployment } from './util.js';

/** Upstream gives up on a deployment after this many failed syncs in a row (until its next event). */
const MAX_RETRIES = 15;

export interface DeploymentControllerOptions {
  workers?: number;
  now?: () => Date;
}

export function newDeploymentController(ctx: ControllerContext, opts: DeploymentControllerOptions = {}): Controller {
  return new DeploymentController(ctx, opts);
}

class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly queue = new WorkQueue<string>({ name: 'deployment' });
  private readonly dInformer: Informer<Deployment>;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly sc: SyncContext;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: DeploymentControllerOptions,
  ) {
    this.dInformer = ctx.informers.for<Deployment>(resources.deployments, { [NAMESPACE_INDEX]: byNamespace });
    this.rsInformer = ctx.informers.for<ReplicaSet>(resources.replicasets, { [NAMESPACE_INDEX]: byNamespace, [CONTROLLER_INDEX]: byController });
    this.podInformer = ctx.informers.for<Pod>(resources.pods, { [NAMESPACE_INDEX]: byNamespace, [CONTROLLER_INDEX]: byController });
    this.sc = {
      client: ctx.client,
      recorder: ctx.recorder(COMPONENT),
      rsInformer: this.rsInformer,
      now: opts.now ?? (() => new Date()),
      enqueueAfter: (d, ms) => this.queue.addAfter(metaNamespaceKey(d), ms),
      enqueueRateLimited: (d) => this.queue.addRateLimited(metaNamespaceKey(d)),
      log: ctx.log,
    };
    this.dInformer.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, cur) => this.enqueue(cur),
      onDelete: (d) => this.enqueue(d),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.onAddReplicaSet(rs),
      onUpdate: (old, cur) => this.onUpdateReplicaSet(old, cur),
      onDelete: (rs) => this.onDeleteReplicaSet(rs),
    });
    this.podInformer.addEventHandler({ onDelete: (pod) => this.onDeletePod(pod) });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.syncDeployment(key), {
      signal,
      maxRetries: MAX_RETRIES,
      onError: (key, e) => this.ctx.log(`deployment ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private enqueue(d: KubeObject): void {
    this.queue.add(metaNamespaceKey(d));
  }

  private resolve(namespace: string | undefined, ref: OwnerReference): Deployment | undefined {
    if (ref.kind !== 'Deployment') return undefined;
    const d = this.dInformer.get(namespace, ref.name);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments in the ReplicaSet's namespace whose (non-empty) selector matches its labels. */
  private deploymentsMatching(rs: ReplicaSet): Deployment[] {
    return this.dInformer.byIndex(NAMESPACE_INDEX, rs.metadata?.namespace ?? '').filter((d) => {
      const sel = safeSelector(d);
      return !!sel && !sel.empty() && sel.matches(rs.metadata?.labels);
    });
  }

  private onAddReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata?.deletionTimestamp) return this.onDeleteReplicaSet(rs);
    const ref = controllerOf(rs);
    if (ref) {
      const d = this.resolve(rs.metadata?.namespace, ref);
      if (d) this.enqueue(d);
      return;
    }
    for (const d of this.deploymentsMatching(rs)) this.enqueue(d);
  }

  private onUpdateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !deepEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const d = this.resolve(old.metadata?.namespace, oldRef);
      if (d) this.enqueue(d);
    }
    if (curRef) {
      const d = this.resolve(cur.metadata?.namespace, curRef);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged = !deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.deploymentsMatching(cur)) this.enqueue(d);
  }

  private onDeleteReplicaSet(rs: ReplicaSet): void {
    const ref = controllerOf(rs);
    if (!ref) return;
    const d = this.resolve(rs.metadata?.namespace, ref);
    if (d) this.enqueue(d);
  }

  /** Recreate waits for every old pod to be gone: the last one's deletion wakes it. */
  private onDeletePod(pod: Pod): void {
    const rsRef = controllerOf(pod);
    if (!rsRef || rsRef.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.get(pod.metadata?.namespace, rsRef.name);
    if (!rs || rs.metadata?.uid !== rsRef.uid) return;
    const dRef = controllerOf(rs);
    const d = dRef && this.resolve(rs.metadata?.namespace, dRef);
    if (!d || d.spec?.strategy?.type !== 'Recreate') return;
    const owned = this.rsInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(d.metadata!.namespace!, d.metadata!.uid!));
    const podMap = this.podMap(d, owned);
    let n = 0;
    for (const pods of podMap.values()) n += pods.length;
    if (n === 0) this.enqueue(d);
  }

  /** The deployment's pods (matching its selector), by the uid of the ReplicaSet that controls them. */
  private podMap(d: Deployment, rsList: ReplicaSet[]): PodMap {
    const sel = safeSelector(d);
    const map: PodMap = new Map();
    for (const rs of rsList) {
      const uid = rs.metadata!.uid!;
      const pods = this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(rs.metadata!.namespace!, uid));
      map.set(uid, sel ? pods.filter((p) => sel.matches(p.metadata?.labels)) : []);
    }
    return map;
  }

  /** The deployment's ReplicaSets, adopting matching orphans and releasing owned ones that stopped matching. */
  private async replicaSetsFor(d: MutableDeployment, selector: Selector): Promise<ReplicaSet[]> {
    const ns = d.metadata.namespace!;
    const candidates = [
      ...this.rsInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, d.metadata.uid!)),
      ...this.rsInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, '')),
    ];
    return claimObjects(candidates, {
      client: this.ctx.client,
      gvr: resources.replicasets,
      controller: d,
      ref: controllerRef(d, 'apps/v1', 'Deployment'),
      selector,
      recheck: recheckDeletion(() => this.ctx.client.get<Deployment>({ ...resources.deployments, namespace: ns, name: d.metadata.name! }), d),
    });
  }

  private async syncDeployment(key: string): Promise<void> {
    const cached = this.dInformer.getByKey(key);
    if (!cached) return;
    const d = asDeployment(structuredClone(cached) as MutableDeployment);
    const sel = d.spec?.selector;
    if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
      this.sc.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation };
        await updateDeploymentStatus(this.sc, d);
      }
      return;
    }
    const selector = safeSelector(d);
    if (!selector) throw new Error(`deployment ${key} has invalid label selector`);
    const rsList = await this.replicaSetsFor(d, selector);
    const podMap = this.podMap(d, rsList);
    if (d.metadata.deletionTimestamp) return syncStatusOnly(this.sc, d, rsList);
    await checkPausedConditions(this.sc, d);
    const rollbackTo = getRollbackTo(d);
    if (d.spec?.paused) return sync(this.sc, d, rsList, rollbackTo !== undefined);
    // Rollback first: it must not run again once the ReplicaSets carry the new revision.
    if (rollbackTo !== undefined) return rollback(this.sc, d, rsList);
    if (await isScalingEvent(this.sc, d, rsList)) return sync(this.sc, d, rsList, false);
    switch (d.spec?.strategy?.type) {
      case 'Recreate':
        return rolloutRecreate(this.sc, d, rsList, podMap);
      case 'RollingUpdate':
        return rolloutRolling(this.sc, d, rsList);
    }
    throw new Error(`unexpected deployment strategy type: ${d.spec?.strategy?.type}`);
  }
}

function safeSelector(d: Deployment): Selector | undefined {
  try {
    return selectorFromLabelSelector(d.spec?.selector);
  } catch {
    return undefined;
  }
}
