// The disruption controller (upstream pkg/controller/disruption): keeps each PodDisruptionBudget's
// status (currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods and the
// DisruptionAllowed condition) current from the pods it selects and their controllers' scale.
// The eviction subresource reads that status and spends disruptionsAllowed; this controller
// gives it back as pods become healthy again.
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { Pod, ReplicationController } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import {
  byNamespace,
  isConflict,
  isNotFound,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  resources,
  rfc3339,
  runWorkers,
  WorkQueue,
  type Informer,
  type KubeObject,
} from '../../client/index.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { controllerOf } from '../pod-control.js';
import { budgetSelects } from '../../registry/poddisruptionbudgets/selects.js';
import {
  budgetStatus,
  conditionUpToDate,
  countHealthyPods,
  disruptedPodMap,
  expectedPodCount,
  setCondition,
  DISRUPTION_ALLOWED,
  type OwnerScale,
} from './budget.js';

export const DISRUPTION_COMPONENT = 'controllermanager';

export interface DisruptionControllerOptions {
  workers?: number;
  now?: () => Date;
}

export function newDisruptionController(ctx: ControllerContext, opts: DisruptionControllerOptions = {}): Controller {
  return new DisruptionController(ctx, opts);
}

/** A pod's controller was named but is not there (upstream: "found no controllers for pod"). */
class MissingController extends Error {}

class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly queue = new WorkQueue<string>({ name: 'disruption' });
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly pods: Informer<Pod>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly deployments: Informer<Deployment>;
  private readonly rcs: Informer<ReplicationController>;
  private readonly statefulSets: Informer<StatefulSet>;
  private readonly now: () => Date;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: DisruptionControllerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.pdbs = ctx.informers.for<PodDisruptionBudget>(resources.poddisruptionbudgets, { [NAMESPACE_INDEX]: byNamespace });
    this.pods = ctx.informers.for<Pod>(resources.pods, { [NAMESPACE_INDEX]: byNamespace });
    this.replicaSets = ctx.informers.for<ReplicaSet>(resources.replicasets);
    this.deployments = ctx.informers.for<Deployment>(resources.deployments);
    this.rcs = ctx.informers.for<ReplicationController>(resources.replicationcontrollers);
    this.statefulSets = ctx.informers.for<StatefulSet>(resources.statefulsets);
    this.pdbs.addEventHandler({
      onAdd: (pdb) => this.enqueue(pdb),
      onUpdate: (_old, cur) => this.enqueue(cur),
      onDelete: (pdb) => this.enqueue(pdb),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.enqueueFor(pod),
      onUpdate: (old, cur) => {
        if (!deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})) this.enqueueFor(old);
        this.enqueueFor(cur);
      },
      onDelete: (pod) => this.enqueueFor(pod),
    });
    // A controller's scale is a budget's denominator: a scale change re-counts its pods' budgets.
    const onScale = (obj: KubeObject) => {
      for (const pdb of this.pdbs.byIndex(NAMESPACE_INDEX, obj.metadata?.namespace ?? '')) this.enqueue(pdb);
    };
    for (const inf of [this.replicaSets, this.deployments, this.rcs, this.statefulSets] as Array<Informer<KubeObject>>) {
      inf.addEventHandler({ onAdd: onScale, onUpdate: (_o, cur) => onScale(cur), onDelete: onScale });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`disruption ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private enqueue(pdb: PodDisruptionBudget, afterMs = 0): void {
    const key = metaNamespaceKey(pdb);
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  /** The budgets covering a pod (upstream takes the first by name and warns; each is kept current here). */
  private enqueueFor(pod: Pod): void {
    for (const pdb of this.pdbs.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
      if (budgetSelects(pdb.spec?.selector, pod.metadata?.labels)) this.enqueue(pdb);
    }
  }

  private async sync(key: string): Promise<void> {
    const pdb = this.pdbs.getByKey(key);
    if (!pdb || pdb.metadata?.deletionTimestamp) return;
    try {
      await this.trySync(pdb);
    } catch (e) {
      if (isConflict(e)) throw e;
      // Anything else leaves the budget allowing nothing until a sync succeeds (upstream failSafe).
      await this.failSafe(pdb, e as Error);
      throw e;
    }
  }

  private async trySync(pdb: PodDisruptionBudget): Promise<void> {
    const recorder = this.ctx.recorder(DISRUPTION_COMPONENT);
    const ns = pdb.metadata!.namespace!;
    const pods = this.pods.byIndex(NAMESPACE_INDEX, ns).filter((p) => budgetSelects(pdb.spec?.selector, p.metadata?.labels));
    if (!pods.length) recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let counts;
    try {
      counts = expectedPodCount(pdb, pods, (pod) => this.ownerScale(pod));
    } catch (e) {
      recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(e as Error).message}`);
      throw e;
    }
    if (counts.unmanagedPods.length) {
      recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${selectorText(pdb)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.now();
    const { disrupted, recheckAt, overdue } = disruptedPodMap(pdb, pods, now.getTime());
    for (const name of overdue) {
      const pod = pods.find((p) => p.metadata?.name === name);
      if (pod) recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${ns}/${pdb.metadata!.name} to be deleted but it wasn't`);
    }
    const currentHealthy = countHealthyPods(pods, disrupted, now.getTime());
    const status = budgetStatus(pdb, { currentHealthy, desiredHealthy: counts.desiredHealthy, expectedCount: counts.expectedCount, disrupted }, rfc3339(now));
    await this.writeStatus(pdb, status);
    if (recheckAt !== undefined) this.enqueue(pdb, recheckAt - now.getTime() + 1);
  }

  /** The replicas of the pod's controller (upstream's finders: ReplicaSet or its Deployment, ReplicationController, StatefulSet, any scale). */
  private ownerScale(pod: Pod): OwnerScale | undefined {
    const ref = controllerOf(pod);
    if (!ref) return undefined;
    const ns = pod.metadata!.namespace!;
    const found = this.findScale(ref, ns);
    if (!found) throw new MissingController(`found no controllers for pod "${pod.metadata!.name}"`);
    return found;
  }

  private findScale(ref: OwnerReference, ns: string): OwnerScale | undefined {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
    if (ref.kind === 'ReplicaSet' && group === 'apps') {
      const rs = this.replicaSets.get(ns, ref.name);
      if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment' && owner.apiVersion.startsWith('apps/')) {
        const d = this.deployments.get(ns, owner.name);
        return d && d.metadata?.uid === owner.uid ? { uid: owner.uid, scale: d.spec?.replicas ?? 1 } : undefined;
      }
      return { uid: ref.uid, scale: rs.spec?.replicas ?? 1 };
    }
    if (ref.kind === 'ReplicationController' && group === '') {
      const rc = this.rcs.get(ns, ref.name);
      return rc && rc.metadata?.uid === ref.uid ? { uid: ref.uid, scale: rc.spec?.replicas ?? 1 } : undefined;
    }
    if (ref.kind === 'StatefulSet' && group === 'apps') {
      const sts = this.statefulSets.get(ns, ref.name);
      return sts && sts.metadata?.uid === ref.uid ? { uid: ref.uid, scale: sts.spec?.replicas ?? 1 } : undefined;
    }
    return undefined;
  }

  private async writeStatus(pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus): Promise<void> {
    const cur = pdb.status;
    if (
      cur &&
      cur.currentHealthy === status.currentHealthy &&
      cur.desiredHealthy === status.desiredHealthy &&
      cur.expectedPods === status.expectedPods &&
      cur.disruptionsAllowed === status.disruptionsAllowed &&
      deepEqual(cur.disruptedPods ?? {}, status.disruptedPods ?? {}) &&
      cur.observedGeneration === pdb.metadata?.generation &&
      conditionUpToDate(cur)
    ) {
      return;
    }
    await this.ctx.client.updateStatus<PodDisruptionBudget>(resources.poddisruptionbudgets, { ...pdb, status });
  }

  private async failSafe(pdb: PodDisruptionBudget, err: Error): Promise<void> {
    const status: PodDisruptionBudgetStatus = {
      ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }),
      disruptionsAllowed: 0,
    };
    status.conditions = setCondition(
      status.conditions,
      { type: DISRUPTION_ALLOWED, status: 'False', reason: 'SyncFailed', message: err.message, observedGeneration: status.observedGeneration },
      rfc3339(this.now()),
    );
    try {
      await this.ctx.client.updateStatus<PodDisruptionBudget>(resources.poddisruptionbudgets, { ...pdb, status });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

function selectorText(pdb: PodDisruptionBudget): string {
  return JSON.stringify(pdb.spec?.selector ?? null);
}
