// The StatefulSet controller (upstream pkg/controller/statefulset): pods NAME-ORDINAL with a stable
// identity and claims, created in ordinal order and each waited for (OrderedReady) or all at once
// (Parallel), scaled down from the highest ordinal; revisions of the template, a rolling update
// from the highest ordinal down to the partition (one at a time, or maxUnavailable), or OnDelete;
// claim retention by owner references; status as upstream's.
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import {
  isAlreadyExists,
  isNotFound,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  byNamespace,
  resources,
  runWorkers,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type Mutable,
} from '../../client/index.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../active-pods.js';
import { CONTROLLER_INDEX, byController, claimObjects, controllerIndexKey, recheckDeletion } from '../controller-ref.js';
import { controllerOf, controllerRef } from '../pod-control.js';
import { scaledValue } from '../deployment/util.js';
import { ensureRevision, revisionTemplate, truncateHistory } from '../history.js';
import { claimsFor, identityLabelsPatch, isMemberOf, newPod, ordinalOf, podName, podRevision, replicasOf, startOrdinal } from './identity.js';
import { claimMatchesPolicy, claimOwnerRefs } from './retention.js';

export const STATEFULSET_COMPONENT = 'statefulset-controller';
const API_VERSION = 'apps/v1';
const KIND = 'StatefulSet';

export interface StatefulSetControllerOptions {
  workers?: number;
  now?: () => Date;
}

export function newStatefulSetController(ctx: ControllerContext, opts: StatefulSetControllerOptions = {}): Controller {
  return new StatefulSetController(ctx, opts);
}

const isTerminating = (p: Pod) => !!p.metadata?.deletionTimestamp;
const isFinished = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

/** What one sync decided, to be turned into status. */
interface Revisions {
  current: ControllerRevision;
  update: ControllerRevision;
}

class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly queue = new WorkQueue<string>({ name: 'statefulset' });
  private readonly sets: Informer<StatefulSet>;
  private readonly pods: Informer<Pod>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly recorder: EventRecorder;
  private readonly now: () => Date;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: StatefulSetControllerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.recorder = ctx.recorder(STATEFULSET_COMPONENT);
    this.sets = ctx.informers.for<StatefulSet>(resources.statefulsets, { [NAMESPACE_INDEX]: byNamespace });
    this.pods = ctx.informers.for<Pod>(resources.pods, { [CONTROLLER_INDEX]: byController });
    this.revisions = ctx.informers.for<ControllerRevision>(resources.controllerrevisions, { [CONTROLLER_INDEX]: byController });
    this.claims = ctx.informers.for<PersistentVolumeClaim>(resources.persistentvolumeclaims);
    this.sets.addEventHandler({
      onAdd: (s) => this.enqueue(s),
      onUpdate: (_o, cur) => this.enqueue(cur),
      onDelete: (s) => this.enqueue(s),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion !== cur.metadata?.resourceVersion) this.onPod(cur);
      },
      onDelete: (p) => this.onPod(p),
    });
    this.revisions.addEventHandler({
      onAdd: (r) => this.enqueueOwner(r),
      onDelete: (r) => this.enqueueOwner(r),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`statefulset ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private enqueue(set: StatefulSet, afterMs = 0): void {
    const key = metaNamespaceKey(set);
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  private owner(obj: Pod | ControllerRevision): StatefulSet | undefined {
    const ref = controllerOf(obj);
    if (ref?.kind !== KIND) return undefined;
    const set = this.sets.get(obj.metadata?.namespace, ref.name);
    return set?.metadata?.uid === ref.uid ? set : undefined;
  }

  private enqueueOwner(obj: ControllerRevision): void {
    const set = this.owner(obj);
    if (set) this.enqueue(set);
  }

  /** A pod's set, or for an orphan every set of its namespace that might adopt it. */
  private onPod(pod: Pod): void {
    if (controllerOf(pod)) {
      const set = this.owner(pod);
      if (set) this.enqueue(set);
      return;
    }
    for (const set of this.sets.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
      if (isMemberOf(set, pod) && matches(set, pod)) this.enqueue(set);
    }
  }

  private async sync(key: string): Promise<void> {
    const cached = this.sets.getByKey(key);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const set: StatefulSet = cached.kind ? cached : { ...cached, apiVersion: API_VERSION, kind: KIND };
    const ns = set.metadata!.namespace!;
    const uid = set.metadata!.uid!;
    const candidates = [
      ...this.pods.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, uid)),
      ...this.pods.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, '')),
    ];
    let selector;
    try {
      selector = selectorFromLabelSelector(set.spec?.selector);
    } catch (e) {
      this.recorder.event(set, 'Warning', 'InvalidSelector', `Invalid selector: ${(e as Error).message}`);
      return;
    }
    const claimed = await claimObjects(candidates, {
      client: this.ctx.client,
      gvr: resources.pods,
      controller: set,
      ref: controllerRef(set, API_VERSION, KIND),
      selector,
      recheck: recheckDeletion(() => this.ctx.client.get<StatefulSet>({ ...resources.statefulsets, namespace: ns, name: set.metadata!.name! }), set),
    });
    const pods = claimed.filter((p) => isMemberOf(set, p));
    // Revisions are claimed as pods are: a set re-created after an orphaning delete adopts its history.
    const owned = await claimObjects(
      [...this.revisions.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, uid)), ...this.revisions.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, ''))],
      {
        client: this.ctx.client,
        gvr: resources.controllerrevisions,
        controller: set,
        ref: controllerRef(set, API_VERSION, KIND),
        selector,
        recheck: recheckDeletion(() => this.ctx.client.get<StatefulSet>({ ...resources.statefulsets, namespace: ns, name: set.metadata!.name! }), set),
      },
    );
    const update = await ensureRevision({
      client: this.ctx.client,
      owner: set,
      apiVersion: API_VERSION,
      kind: KIND,
      owned,
      collisionCount: set.status?.collisionCount,
      raiseCollisionCount: async () => {
        await this.ctx.client.updateStatus<StatefulSet>(resources.statefulsets, {
          ...set,
          status: { ...(set.status ?? { replicas: 0 }), collisionCount: (set.status?.collisionCount ?? 0) + 1 },
        });
      },
    });
    const current = owned.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    const revs: Revisions = { current, update };
    let error: unknown;
    try {
      await this.updatePods(set, pods, revs);
    } catch (e) {
      error = e;
    }
    await this.updateStatus(set, this.ownedPods(set), revs);
    const inUse = new Set([current.metadata!.name!, update.metadata!.name!, ...pods.map((p) => podRevision(p) ?? '')]);
    await truncateHistory(this.ctx.client, owned, (r) => inUse.has(r.metadata!.name!), set.spec?.revisionHistoryLimit ?? 10);
    if (error) throw error;
  }

  private ownedPods(set: StatefulSet): Pod[] {
    return this.pods.byIndex(CONTROLLER_INDEX, controllerIndexKey(set.metadata!.namespace!, set.metadata!.uid!)).filter((p) => isMemberOf(set, p));
  }

  /**
   * One pass of upstream's updateStatefulSet: missing and failed replicas first (in ordinal
   * order, stopping at the first one not yet Running and available when OrderedReady), then the
   * condemned ordinals from the highest, then the rolling update.
   */
  private async updatePods(set: StatefulSet, pods: Pod[], revs: Revisions): Promise<void> {
    const start = startOrdinal(set);
    const count = replicasOf(set);
    const replicas: Array<Pod | undefined> = new Array(count).fill(undefined);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      const ord = ordinalOf(pod);
      if (ord >= start && ord < start + count) replicas[ord - start] = pod;
      else if (ord >= 0) condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.now();
    const healthy = (p: Pod) => isRunningAndReady(p) && isPodAvailable(p, minReady, now) && !isTerminating(p);

    for (let i = 0; i < count; i++) {
      const pod = replicas[i];
      const ord = start + i;
      if (!pod) {
        await this.createReplica(set, revs, i, ord);
        if (monotonic) return;
        continue;
      }
      if (isFinished(pod) && !isTerminating(pod)) {
        // Upstream recreates failed (and succeeded) pods: delete now, create on a later pass.
        if (pod.status?.phase === 'Failed')
          this.recorder.event(
            set,
            'Warning',
            'RecreatingFailedPod',
            `StatefulSet ${set.metadata!.namespace}/${set.metadata!.name} is recreating failed Pod ${pod.metadata!.name}`,
          );
        await this.deletePod(set, pod);
        if (monotonic) return;
        continue;
      }
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      await this.fixIdentityAndStorage(set, pod, ord);
      if (!healthy(pod)) {
        const ms = msUntilAvailable(pod, minReady, now);
        if (ms !== undefined) this.enqueue(set, ms + 1);
        if (monotonic) return;
      }
    }

    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      // OrderedReady scales down only while every other pod is healthy (upstream: the condemned pod must be the first unhealthy one, replicas in order, then condemned from the highest).
      if (monotonic && !healthy(pod)) {
        const firstUnhealthy = [...replicas, ...condemned].find((p) => !p || !healthy(p));
        if (firstUnhealthy !== pod) return;
      }
      await this.retainClaimsOf(set, pod);
      await this.deletePod(set, pod);
      if (monotonic) return;
    }

    if (set.spec?.updateStrategy?.type !== 'RollingUpdate') return;
    const ru = set.spec.updateStrategy.rollingUpdate;
    const updateMin = ru?.partition ?? 0;
    const updateName = revs.update.metadata!.name!;
    if (ru?.maxUnavailable === undefined) {
      for (let t = count - 1; t >= updateMin; t--) {
        const pod = replicas[t];
        if (!pod) return;
        if (podRevision(pod) !== updateName && !isTerminating(pod)) {
          await this.deletePod(set, pod);
          return;
        }
        if (!healthy(pod)) return;
      }
      return;
    }
    // maxUnavailable: as many old pods at once as the budget leaves, from the highest ordinal.
    const maxUnavailable = Math.max(1, scaledValue(ru.maxUnavailable, count, false));
    let unavailable = 0;
    for (let t = count - 1; t >= updateMin; t--) if (!replicas[t] || !healthy(replicas[t]!)) unavailable++;
    const victims: Pod[] = [];
    for (let t = count - 1; t >= updateMin && unavailable + victims.length < maxUnavailable; t--) {
      const pod = replicas[t];
      if (pod && podRevision(pod) !== updateName && !isTerminating(pod) && healthy(pod)) victims.push(pod);
    }
    for (const pod of victims) await this.deletePod(set, pod);
  }

  /** The pod for an index, from the current revision below the partition and the update revision above (upstream newVersionedStatefulSetPod). */
  private async createReplica(set: StatefulSet, revs: Revisions, index: number, ord: number): Promise<void> {
    const st = set.spec?.updateStrategy;
    const partition = st?.rollingUpdate?.partition;
    const fromCurrent =
      st?.type === 'RollingUpdate' &&
      (partition === undefined ? index < (set.status?.currentReplicas ?? 0) : index < partition) &&
      revs.current !== revs.update;
    const rev = fromCurrent ? revs.current : revs.update;
    const template: PodTemplateSpec = rev === revs.update ? set.spec!.template : revisionTemplate(rev);
    const pod = newPod(set, template, rev.metadata!.name!, ord, controllerRef(set, API_VERSION, KIND));
    await this.createClaims(set, ord, undefined);
    try {
      await this.ctx.client.create<Pod>({ ...resources.pods, namespace: set.metadata!.namespace }, pod);
    } catch (e) {
      // The name is taken: by our own pod the cache has not seen yet, or by a pod of a deleted
      // set of the same name, still terminating. No event of that pod will reach this set, so
      // the sync fails and is retried with backoff (as upstream's CreateStatefulPod), without a
      // FailedCreate event.
      if (isAlreadyExists(e)) throw e;
      this.recorder.event(
        set,
        'Warning',
        'FailedCreate',
        `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${(e as Error).message}`,
      );
      throw e;
    }
    this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
  }

  /** Creates the pod's missing claims (upstream createPersistentVolumeClaims); a claim being deleted stops the pod's creation. */
  private async createClaims(set: StatefulSet, ord: number, pod: Pod | undefined): Promise<void> {
    const ns = set.metadata!.namespace!;
    for (const claim of claimsFor(set, ord).values()) {
      const name = claim.metadata!.name!;
      const existing = this.claims.get(ns, name);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) throw new Error(`pvc ${name} is being deleted`);
        continue;
      }
      const refs = claimOwnerRefs(claim, set, pod);
      if (refs.length) claim.metadata!.ownerReferences = refs;
      try {
        await this.ctx.client.create<PersistentVolumeClaim>({ ...resources.persistentvolumeclaims, namespace: ns }, claim);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.recorder.event(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${name} for Pod ${podName(set, ord)} in StatefulSet ${set.metadata!.name} failed error: ${(e as Error).message}`,
        );
        throw e;
      }
      this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName(set, ord)} in StatefulSet ${set.metadata!.name} success`);
    }
  }

  /** A running replica keeps its identity labels, its claims, and their retention references (upstream processReplica's fix-ups). */
  private async fixIdentityAndStorage(set: StatefulSet, pod: Pod, ord: number): Promise<void> {
    const labels = identityLabelsPatch(set, pod);
    if (labels) {
      await this.ctx.client.patch<Pod>({ ...resources.pods, namespace: pod.metadata!.namespace, name: pod.metadata!.name! }, { metadata: { labels } }, 'merge');
    }
    await this.createClaims(set, ord, pod);
    await this.retainClaimsOf(set, pod);
  }

  /** Sets the retention owner references on the pod's existing claims. */
  private async retainClaimsOf(set: StatefulSet, pod: Pod): Promise<void> {
    const ns = set.metadata!.namespace!;
    for (const want of claimsFor(set, ordinalOf(pod)).values()) {
      const claim = this.claims.get(ns, want.metadata!.name!);
      if (!claim || claimMatchesPolicy(claim, set, pod)) continue;
      try {
        await this.ctx.client.patch<PersistentVolumeClaim>(
          { ...resources.persistentvolumeclaims, namespace: ns, name: claim.metadata!.name! },
          { metadata: { ownerReferences: claimOwnerRefs(claim, set, pod), resourceVersion: claim.metadata!.resourceVersion } },
          'merge',
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  private async deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.delete({ ...resources.pods, namespace: pod.metadata!.namespace, name: pod.metadata!.name! });
    } catch (e) {
      if (isNotFound(e)) return;
      this.recorder.event(
        set,
        'Warning',
        'FailedDelete',
        `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${(e as Error).message}`,
      );
      throw e;
    }
    this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
  }

  /** upstream updateStatefulSetStatus with computeReplicaStatus and completeRollingUpdate. */
  private async updateStatus(set: StatefulSet, pods: Pod[], revs: Revisions): Promise<void> {
    const now = this.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    const s: Mutable<StatefulSetStatus> = {
      observedGeneration: set.metadata?.generation,
      replicas: 0,
      readyReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
      currentRevision: revs.current.metadata!.name,
      updateRevision: revs.update.metadata!.name,
    };
    if (set.status?.collisionCount !== undefined) s.collisionCount = set.status.collisionCount;
    if (set.status?.conditions) s.conditions = set.status.conditions;
    for (const pod of pods) {
      s.replicas++;
      if (isRunningAndReady(pod)) {
        s.readyReplicas!++;
        if (isPodAvailable(pod, minReady, now)) s.availableReplicas!++;
      }
      if (!isTerminating(pod)) {
        if (podRevision(pod) === s.currentRevision) s.currentReplicas!++;
        if (podRevision(pod) === s.updateRevision) s.updatedReplicas!++;
      }
    }
    const want = replicasOf(set);
    if (set.spec?.updateStrategy?.type === 'RollingUpdate' && s.updatedReplicas === want && s.readyReplicas === want && s.replicas === want) {
      s.currentReplicas = s.updatedReplicas;
      s.currentRevision = s.updateRevision;
    }
    const cur = (set.status ?? {}) as Record<string, unknown>;
    if ((Object.keys(s) as Array<keyof StatefulSetStatus>).every((k) => deepEqual(cur[k] ?? 0, s[k] ?? 0))) return;
    try {
      await this.ctx.client.updateStatus<StatefulSet>(resources.statefulsets, { ...set, status: s });
    } catch (e) {
      if (isNotFound(e)) return;
      // A conflict: the next pass (queued by the set's own update event) computes it again.
      this.enqueue(set, 100);
    }
  }
}

function matches(set: StatefulSet, pod: Pod): boolean {
  try {
    return selectorFromLabelSelector(set.spec?.selector).matches(pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}
