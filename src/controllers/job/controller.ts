// The Job controller (upstream pkg/controller/job): runs a Job's pods to completion. Pods carry
// the batch.kubernetes.io/job-tracking finalizer; a finished pod is first recorded in the Job's
// status (uncountedTerminatedPods, or completedIndexes for Indexed Jobs), then its finalizer is
// removed, then it is counted, so a pod is never lost nor counted twice across crashes and
// stale caches. A Job that meets its success or failure criteria first gets SuccessCriteriaMet or
// FailureTarget, its remaining pods are deleted, and only when none is left running it becomes
// Complete or Failed (upstream's delayed terminal condition).
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  byNamespace,
  isNotFound,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  resources,
  rfc3339,
  runWorkers,
  WorkQueue,
  type Informer,
  type Mutable,
} from '../../client/index.js';
import { selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { Expectations } from '../expectations.js';
import { isPodReady, podsToDelete } from '../active-pods.js';
import { claimObjects, CONTROLLER_INDEX, byController, controllerIndexKey, recheckDeletion } from '../controller-ref.js';
import { controllerOf, controllerRef, PodControl } from '../pod-control.js';
import { DEFAULT_BACKOFF_BASE_MS, nextBackoffRecord, remainingBackoffMs, type BackoffRecord } from './backoff.js';
import { matchPodFailurePolicy } from './failure-policy.js';
import { COMPLETION_INDEX_ANNOTATION, formatIndexes, INDEX_FAILURE_COUNT_ANNOTATION, indexFailureCount, indexSet, podIndex } from './indexes.js';
import { matchSuccessPolicy } from './success-policy.js';

export const JOB_COMPONENT = 'job-controller';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const API_VERSION = 'batch/v1';
const KIND = 'Job';
/** Upstream's job controller burst of pod creates or deletes per sync. */
const BURST = 500;

type Status = Mutable<JobStatus> & { terminating?: number };
type Target = { type: 'FailureTarget' | 'SuccessCriteriaMet'; reason: string; message: string };

export interface JobControllerOptions {
  workers?: number;
  now?: () => Date;
  /** The first pod re-creation back-off after a failure (upstream 10 s); doubles per failure. */
  backoffBaseMs?: number;
}

export function newJobController(ctx: ControllerContext, opts: JobControllerOptions = {}): Controller {
  return new JobController(ctx, opts);
}

const condition = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
export const isJobFinished = (job: Job) => !!(condition(job, 'Complete') ?? condition(job, 'Failed'));
const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const hasFinalizer = (pod: Pod) => !!pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER);
const onlyReplaceFailed = (job: Job) => job.spec?.podReplacementPolicy === 'Failed';

/**
 * Whether a pod counts as failed (upstream isPodFailed): deleted unfinished pods do, unless only
 * Failed pods are replaced, or the controller itself deleted them (suspended, or finishing).
 */
function isPodFailed(pod: Pod, job: Job, deletionsFail: boolean): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailed(job) || !deletionsFail) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** With restartPolicy OnFailure, container restarts of running pods count against backoffLimit (upstream pastBackoffLimitOnFailure). */
function pastBackoffLimitOnFailure(job: Job, active: Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of active) {
    if (pod.status?.phase !== 'Running' && pod.status?.phase !== 'Pending') continue;
    for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

function setCondition(status: Status, type: string, cstatus: 'True' | 'False', reason: string, message: string, now: Date): boolean {
  const conds = (status.conditions ??= []) as Mutable<JobCondition>[];
  const cur = conds.find((c) => c.type === type);
  if (cur && cur.status === cstatus && cur.reason === reason && cur.message === message) return false;
  const stamp = rfc3339(now);
  const next: JobCondition = {
    type,
    status: cstatus,
    reason,
    message,
    lastProbeTime: stamp,
    lastTransitionTime: cur && cur.status === cstatus ? cur.lastTransitionTime : stamp,
  };
  if (cur) conds.splice(conds.indexOf(cur), 1, next);
  else conds.push(next);
  return true;
}

class JobController implements Controller {
  readonly name = 'job';
  private readonly queue = new WorkQueue<string>({ name: 'job' });
  private readonly expectations: Expectations;
  private readonly jobInformer: Informer<Job>;
  private readonly podInformer: Informer<Pod>;
  private readonly podControl: PodControl;
  private readonly backoff = new Map<string, BackoffRecord>();
  /**
   * Pods (by uid) whose finalizer this controller removed but the pod cache still shows: already
   * counted, so a sync on the stale cache must not record them again (upstream's
   * uidTrackingExpectations).
   */
  private readonly releasing = new Set<string>();
  private readonly now: () => Date;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: JobControllerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(() => this.now().getTime());
    this.podControl = new PodControl(ctx.client, ctx.recorder(JOB_COMPONENT));
    this.jobInformer = ctx.informers.for<Job>(resources.jobs, { [NAMESPACE_INDEX]: byNamespace });
    this.podInformer = ctx.informers.for<Pod>(resources.pods, { [NAMESPACE_INDEX]: byNamespace, [CONTROLLER_INDEX]: byController });
    this.jobInformer.addEventHandler({
      onAdd: (job) => this.queue.add(metaNamespaceKey(job)),
      onUpdate: (_old, cur) => this.queue.add(metaNamespaceKey(cur)),
      onDelete: (job) => this.onDeleteJob(job),
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.onPod(pod, 'add'),
      onUpdate: (_old, cur) => this.onPod(cur, 'update'),
      onDelete: (pod) => this.onPod(pod, 'delete'),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`job ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private resolve(pod: Pod): Job | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== KIND || ref.apiVersion?.split('/')[0] !== 'batch') return undefined;
    const job = this.jobInformer.get(pod.metadata?.namespace, ref.name);
    return job?.metadata?.uid === ref.uid ? job : undefined;
  }

  private onPod(pod: Pod, what: 'add' | 'update' | 'delete'): void {
    if (what === 'delete' || !hasFinalizer(pod)) this.releasing.delete(pod.metadata!.uid!);
    const job = this.resolve(pod);
    if (!job) {
      // The Job is gone: nothing will count this pod, so it must not be held by the finalizer.
      if (what !== 'delete' && hasFinalizer(pod) && controllerOf(pod)?.kind === KIND && this.jobInformer.hasSynced()) void this.removeFinalizer(pod);
      return;
    }
    const key = metaNamespaceKey(job);
    if (what === 'add' && !pod.metadata?.deletionTimestamp) this.expectations.creationObserved(key);
    if (what === 'delete' || (what === 'update' && pod.metadata?.deletionTimestamp)) this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.queue.add(key);
  }

  private onDeleteJob(job: Job): void {
    const key = metaNamespaceKey(job);
    this.expectations.delete(key);
    this.backoff.delete(key);
    for (const pod of this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(job.metadata!.namespace!, job.metadata!.uid!))) {
      if (hasFinalizer(pod)) void this.removeFinalizer(pod);
    }
  }

  /** Removes the tracking finalizer (upstream's strategic patch); true if it is gone. */
  private async removeFinalizer(pod: Pod): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    this.releasing.add(uid);
    try {
      await this.ctx.client.patch(
        { ...resources.pods, namespace: pod.metadata!.namespace, name: pod.metadata!.name! },
        { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [JOB_TRACKING_FINALIZER] } },
        'strategic',
      );
      return true;
    } catch (e) {
      if (isNotFound(e)) return true;
      this.releasing.delete(uid);
      this.ctx.log(`job: removing the tracking finalizer of pod ${metaNamespaceKey(pod)}: ${(e as Error).message}`);
      return false;
    }
  }

  private async sync(key: string): Promise<void> {
    const cached = this.jobInformer.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      this.backoff.delete(key);
      return;
    }
    const job: Job = cached.kind ? cached : { ...cached, apiVersion: API_VERSION, kind: KIND };
    const ns = job.metadata!.namespace!;
    let selector: Selector;
    try {
      selector = selectorFromLabelSelector(job.spec?.selector);
    } catch {
      this.ctx.log(`job ${key}: invalid selector`);
      return;
    }
    const candidates = [
      ...this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, job.metadata!.uid!)),
      ...this.podInformer.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, '')),
    ];
    const pods = await claimObjects(
      candidates.filter((p) => !isTerminal(p) || controllerOf(p)),
      {
        client: this.ctx.client,
        gvr: resources.pods,
        controller: job,
        ref: controllerRef(job, API_VERSION, KIND),
        selector,
        recheck: recheckDeletion(() => this.ctx.client.get<Job>({ ...resources.jobs, namespace: ns, name: job.metadata!.name! }), job),
      },
    );
    if (isJobFinished(job) || job.metadata?.deletionTimestamp) {
      // Finished: nothing more is counted; no pod may stay held by the finalizer.
      await Promise.all(pods.filter(hasFinalizer).map((p) => this.removeFinalizer(p)));
      return;
    }
    await this.syncJob(key, job, pods);
  }

  private async syncJob(key: string, job: Job, pods: Pod[]): Promise<void> {
    const now = this.now();
    const spec = job.spec!;
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;
    const parallelism = spec.parallelism ?? 1;
    const perIndex = indexed && spec.backoffLimitPerIndex != null;
    const status: Status = structuredClone(job.status ?? {}) as Status;
    const uncounted = { succeeded: new Set(status.uncountedTerminatedPods?.succeeded ?? []), failed: new Set(status.uncountedTerminatedPods?.failed ?? []) };
    const completed = indexSet(status.completedIndexes, completions ?? 0);
    const failedIndexes = indexSet(status.failedIndexes, completions ?? 0);
    let target: Target | undefined = (['FailureTarget', 'SuccessCriteriaMet'] as const)
      .map((t) => condition(job, t))
      .filter((c) => c)
      .map((c) => ({ type: c!.type as Target['type'], reason: c!.reason ?? '', message: c!.message ?? '' }))[0];

    // 1. Pods newly finished: recorded in the status before their finalizers go.
    let newSucceeded = 0;
    const newFailures: number[] = [];
    const failuresOfIndex = new Map<number, number>();
    let recorded = false;
    for (const pod of pods) {
      const idx = indexed ? podIndex(pod, completions ?? 0) : undefined;
      if (perIndex && idx !== undefined && pod.status?.phase === 'Failed')
        failuresOfIndex.set(idx, Math.max(failuresOfIndex.get(idx) ?? 0, indexFailureCount(pod) + 1));
      const uid = pod.metadata!.uid!;
      if (!hasFinalizer(pod) || this.releasing.has(uid)) continue;
      if (uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) continue;
      if (pod.status?.phase === 'Succeeded') {
        recorded = true;
        newSucceeded++;
        if (!indexed) uncounted.succeeded.add(uid);
        else if (idx !== undefined && !failedIndexes.has(idx)) completed.add(idx);
      } else if (isPodFailed(pod, job, spec.suspend !== true && !target)) {
        recorded = true;
        const match = pod.status?.phase === 'Failed' ? matchPodFailurePolicy(job, pod) : undefined;
        if (match?.action === 'Ignore') continue;
        newFailures.push(now.getTime());
        uncounted.failed.add(uid);
        if (match?.action === 'FailJob' && !target) target = { type: 'FailureTarget', reason: 'PodFailurePolicy', message: match.message };
        if (perIndex && idx !== undefined && !completed.has(idx)) {
          if (match?.action === 'FailIndex' || (failuresOfIndex.get(idx) ?? indexFailureCount(pod) + 1) > spec.backoffLimitPerIndex!) failedIndexes.add(idx);
        }
      }
    }
    const writeUncounted = () => {
      status.uncountedTerminatedPods = { succeeded: [...uncounted.succeeded], failed: [...uncounted.failed] };
      if (!status.uncountedTerminatedPods.succeeded!.length) delete status.uncountedTerminatedPods.succeeded;
      if (!status.uncountedTerminatedPods.failed!.length) delete status.uncountedTerminatedPods.failed;
      if (indexed) {
        status.completedIndexes = formatIndexes(completed);
        status.succeeded = completed.size;
      }
      if (perIndex) status.failedIndexes = formatIndexes(failedIndexes);
    };
    let current = job;
    if (recorded) {
      writeUncounted();
      current = await this.writeStatus(current, status);
    }
    this.backoff.set(key, nextBackoffRecord(this.backoff.get(key), newSucceeded, newFailures));

    // 2. Recorded pods lose their finalizer; 3. those whose finalizer is gone are counted.
    // A deleted pod still running keeps it only while its final phase is still to be counted
    // (podReplacementPolicy Failed); the pod GC marks Failed any that no kubelet will finish.
    const deletionsFail = spec.suspend !== true && !target;
    const releasesWhileDeleting = (p: Pod) => !!p.metadata?.deletionTimestamp && !(onlyReplaceFailed(job) && deletionsFail);
    const released = new Set<string>();
    await Promise.all(
      pods
        .filter((p) => hasFinalizer(p) && !this.releasing.has(p.metadata!.uid!) && (isTerminal(p) || releasesWhileDeleting(p)))
        .map(async (p) => {
          if (await this.removeFinalizer(p)) released.add(p.metadata!.uid!);
        }),
    );
    const held = new Map(pods.map((p) => [p.metadata!.uid!, p]));
    const settled = (uid: string) => released.has(uid) || this.releasing.has(uid) || !held.has(uid) || !hasFinalizer(held.get(uid)!);
    for (const uid of [...uncounted.succeeded]) {
      if (!settled(uid)) continue;
      uncounted.succeeded.delete(uid);
      status.succeeded = (status.succeeded ?? 0) + 1;
    }
    for (const uid of [...uncounted.failed]) {
      if (!settled(uid)) continue;
      uncounted.failed.delete(uid);
      status.failed = (status.failed ?? 0) + 1;
    }
    writeUncounted();

    // 4. Where the Job stands.
    const active = pods.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp);
    const terminating = pods.filter((p) => !isTerminal(p) && p.metadata?.deletionTimestamp);
    const succeeded = indexed ? completed.size : (status.succeeded ?? 0) + uncounted.succeeded.size;
    const failed = (status.failed ?? 0) + uncounted.failed.size;
    const suspended = spec.suspend === true;
    if (!suspended && condition(job, 'Suspended')) {
      setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
      this.ctx.recorder(JOB_COMPONENT).event(job, 'Normal', 'Resumed', 'Job resumed');
      status.startTime = rfc3339(now);
    }
    if (!suspended) status.startTime ??= rfc3339(now);
    if (!target) target = this.criteria(job, status, { active, succeeded, failed, completed, failedIndexes, now });

    let deadlineWait: number | undefined;
    let finished: ['Normal' | 'Warning', string, string] | undefined;
    if (target) {
      setCondition(status, target.type, 'True', target.reason, target.message, now);
      await this.deletePods(key, job, active);
      if (active.length === 0 && terminating.length === 0 && !uncounted.succeeded.size && !uncounted.failed.size) {
        const done = target.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
        setCondition(status, done, 'True', target.reason, target.message, now);
        if (done === 'Complete') status.completionTime = rfc3339(now);
        // Said once the status saying it is written: a sync on a stale copy of the Job (its
        // update not seen yet) is refused by the write, and says nothing.
        finished = done === 'Complete' ? ['Normal', 'Completed', 'Job completed'] : ['Warning', target.reason, target.message];
      }
      status.active = 0;
    } else if (suspended) {
      await this.deletePods(key, job, active);
      if (setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now))
        this.ctx.recorder(JOB_COMPONENT).event(job, 'Normal', 'Suspended', 'Job suspended');
      status.active = 0;
    } else {
      const created = await this.managePods(key, job, active, terminating, pods, { succeeded, completed, failedIndexes, failuresOfIndex, now });
      status.active = active.length + created;
      if (spec.activeDeadlineSeconds != null && status.startTime)
        deadlineWait = Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now.getTime();
    }
    status.ready = active.filter(isPodReady).length;
    status.terminating = terminating.length;
    if (!deepEqual(current.status ?? {}, status)) await this.writeStatus(current, status);
    if (finished) this.ctx.recorder(JOB_COMPONENT).event(job, ...finished);
    if (deadlineWait !== undefined) this.queue.addAfter(key, Math.max(deadlineWait, 0) + 1);
  }

  /** Whether the Job now fails or succeeds (upstream's order: failure policy, limits, deadline, success). */
  private criteria(
    job: Job,
    status: Status,
    c: { active: Pod[]; succeeded: number; failed: number; completed: Set<number>; failedIndexes: Set<number>; now: Date },
  ): Target | undefined {
    const spec = job.spec!;
    const perIndex = spec.completionMode === 'Indexed' && spec.backoffLimitPerIndex != null;
    if (perIndex && spec.maxFailedIndexes != null && c.failedIndexes.size > spec.maxFailedIndexes) {
      return { type: 'FailureTarget', reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
    }
    if (!perIndex) {
      const limit = spec.backoffLimit ?? 6;
      if (c.failed > limit || pastBackoffLimitOnFailure(job, c.active)) {
        return { type: 'FailureTarget', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      }
    }
    if (spec.activeDeadlineSeconds != null && status.startTime && c.now.getTime() - Date.parse(status.startTime) >= spec.activeDeadlineSeconds * 1000) {
      return { type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }
    const rule = matchSuccessPolicy(job, c.completed);
    if (rule !== undefined) return { type: 'SuccessCriteriaMet', reason: 'SuccessPolicy', message: `Matched rules at index ${rule}` };
    const completions = spec.completions ?? undefined;
    if (completions === undefined) {
      if (c.succeeded > 0 && c.active.length === 0)
        return { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      return undefined;
    }
    if (perIndex && c.failedIndexes.size > 0 && c.completed.size + c.failedIndexes.size >= completions) {
      return { type: 'FailureTarget', reason: 'FailedIndexes', message: 'Job has failed indexes' };
    }
    if (c.succeeded >= completions) return { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
    return undefined;
  }

  /** Creates and deletes pods towards the wanted active count; returns how many were created. */
  private async managePods(
    key: string,
    job: Job,
    active: Pod[],
    terminating: Pod[],
    all: Pod[],
    c: { succeeded: number; completed: Set<number>; failedIndexes: Set<number>; failuresOfIndex: Map<number, number>; now: Date },
  ): Promise<number> {
    if (!this.expectations.satisfied(key)) {
      const ms = this.expectations.expiresIn(key);
      if (ms !== undefined) this.queue.addAfter(key, ms + 1);
      return 0;
    }
    const spec = job.spec!;
    const parallelism = spec.parallelism ?? 1;
    // Under podReplacementPolicy Failed a terminating pod still holds its place.
    const holding = onlyReplaceFailed(job) ? active.length + terminating.length : active.length;
    if (spec.completionMode === 'Indexed') return this.manageIndexed(key, job, active, holding, c);
    const completions = spec.completions ?? undefined;
    const wanted = completions === undefined ? (c.succeeded > 0 ? active.length : parallelism) : Math.min(parallelism, Math.max(0, completions - c.succeeded));
    if (active.length > wanted) {
      await this.deletePods(key, job, podsToDelete(active, all, Math.min(active.length - wanted, BURST), c.now));
      return 0;
    }
    return this.createPods(key, job, Math.min(Math.max(0, wanted - holding), BURST), () => undefined);
  }

  private async manageIndexed(
    key: string,
    job: Job,
    active: Pod[],
    holding: number,
    c: { completed: Set<number>; failedIndexes: Set<number>; failuresOfIndex: Map<number, number>; now: Date },
  ): Promise<number> {
    const spec = job.spec!;
    const completions = spec.completions ?? 0;
    // One active pod per pending index; the rest (duplicates, finished or unknown indexes) go.
    const byIndex = new Map<number, Pod>();
    const extra: Pod[] = [];
    for (const pod of active) {
      const idx = podIndex(pod, completions);
      if (idx === undefined || c.completed.has(idx) || c.failedIndexes.has(idx) || byIndex.has(idx)) extra.push(pod);
      else byIndex.set(idx, pod);
    }
    if (extra.length) await this.deletePods(key, job, extra);
    const pending: number[] = [];
    for (let i = 0; i < completions && pending.length < BURST; i++) {
      if (!c.completed.has(i) && !c.failedIndexes.has(i) && !byIndex.has(i)) pending.push(i);
    }
    const room = Math.max(0, (spec.parallelism ?? 1) - (holding - extra.length));
    const next = pending.slice(0, room);
    const perIndex = spec.backoffLimitPerIndex != null;
    let n = 0;
    return this.createPods(key, job, next.length, (pod) => {
      const idx = next[n++]!;
      const name = job.metadata!.name!;
      pod.metadata!.generateName = `${name}-${idx}-`;
      (pod.metadata!.annotations ??= {})[COMPLETION_INDEX_ANNOTATION] = String(idx);
      (pod.metadata!.labels ??= {})[COMPLETION_INDEX_ANNOTATION] = String(idx);
      if (perIndex) pod.metadata!.annotations[INDEX_FAILURE_COUNT_ANNOTATION] = String(c.failuresOfIndex.get(idx) ?? 0);
      pod.spec!.hostname = `${name}-${idx}`;
      const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } };
      for (const ctr of [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers]) {
        if (!(ctr.env ?? []).some((e) => e.name === env.name)) ctr.env = [...(ctr.env ?? []), env];
      }
    });
  }

  private async createPods(key: string, job: Job, count: number, customize: (pod: Pod) => void): Promise<number> {
    if (count <= 0) return 0;
    const wait = remainingBackoffMs(this.backoff.get(key), this.now().getTime(), this.opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS);
    if (wait > 0) {
      this.queue.addAfter(key, wait);
      return 0;
    }
    return this.podControl.createPodsExpected(this.expectations, key, {
      namespace: job.metadata!.namespace!,
      template: job.spec!.template,
      owner: job,
      ref: controllerRef(job, API_VERSION, KIND),
      count,
      customize: (pod) => {
        customize(pod);
        pod.metadata!.finalizers = [...(pod.metadata!.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER];
      },
    });
  }

  private async deletePods(key: string, job: Job, victims: Pod[]): Promise<void> {
    if (!victims.length) return;
    await this.podControl.deletePodsExpected(this.expectations, key, job.metadata!.namespace!, job, victims);
  }

  private async writeStatus(job: Job, status: Status): Promise<Job> {
    return this.ctx.client.updateStatus<Job>(resources.jobs, { ...job, status: structuredClone(status) });
  }
}
