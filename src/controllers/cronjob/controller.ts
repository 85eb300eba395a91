// The CronJob controller (upstream pkg/controller/cronjob, v2): at each scheduled time a Job is
// made from the template, named <cronjob>-<minutes since the epoch> so a retried sync can never
// run a schedule twice. After downtime only the most recent missed time runs (more than 100
// missed: a warning). concurrencyPolicy Forbid skips while a Job is active, Replace deletes the
// active ones first; finished Jobs beyond the history limits are deleted. The clock is an
// option so tests move time instead of waiting for it.
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import {
  byNamespace,
  isAlreadyExists,
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
import { isValidTimeZone, parseSchedule, type CronSchedule } from '../../api/cron.js';
import { deepEqual } from '../../api/object.js';
import type { Controller, ControllerContext } from '../context.js';
import { CONTROLLER_INDEX, byController, controllerIndexKey } from '../controller-ref.js';
import { controllerRef } from '../pod-control.js';
import { jobNameFor, MAX_MISSED_SCHEDULES, mostRecentScheduleTime, rfc3339In } from './schedule.js';

export const CRONJOB_COMPONENT = 'cronjob-controller';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const API_VERSION = 'batch/v1';
const KIND = 'CronJob';
/** Upstream requeues a little after the next schedule so the clock has surely passed it. */
const NEXT_SCHEDULE_DELTA_MS = 100;

export interface CronJobControllerOptions {
  workers?: number;
  now?: () => Date;
}

export function newCronJobController(ctx: ControllerContext, opts: CronJobControllerOptions = {}): Controller {
  return new CronJobController(ctx, opts);
}

const finishedCondition = (job: Job) =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as 'Complete' | 'Failed' | undefined;

class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly queue = new WorkQueue<string>({ name: 'cronjob' });
  private readonly cronJobs: Informer<CronJob>;
  private readonly jobs: Informer<Job>;
  private readonly now: () => Date;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: CronJobControllerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.cronJobs = ctx.informers.for<CronJob>(resources.cronjobs, { [NAMESPACE_INDEX]: byNamespace });
    this.jobs = ctx.informers.for<Job>(resources.jobs, { [NAMESPACE_INDEX]: byNamespace, [CONTROLLER_INDEX]: byController });
    this.cronJobs.addEventHandler({
      onAdd: (cj) => this.queue.add(metaNamespaceKey(cj)),
      onUpdate: (_o, cur) => this.queue.add(metaNamespaceKey(cur)),
    });
    const onJob = (job: Job) => {
      const ref = job.metadata?.ownerReferences?.find((r) => r.controller && r.kind === KIND);
      if (!ref) return;
      const cj = this.cronJobs.get(job.metadata?.namespace, ref.name);
      if (cj?.metadata?.uid === ref.uid) this.queue.add(metaNamespaceKey(cj));
    };
    this.jobs.addEventHandler({ onAdd: onJob, onUpdate: (_o, cur) => onJob(cur), onDelete: onJob });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`cronjob ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private event(cj: CronJob, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.recorder(CRONJOB_COMPONENT).event(cj, type, reason, message);
  }

  private async sync(key: string): Promise<void> {
    const cached = this.cronJobs.getByKey(key);
    if (!cached) return;
    const cj: CronJob = cached.kind ? cached : { ...cached, apiVersion: API_VERSION, kind: KIND };
    const ns = cj.metadata!.namespace!;
    const status: Mutable<CronJobStatus> = structuredClone(cj.status ?? {});
    const owned = this.jobs.byIndex(CONTROLLER_INDEX, controllerIndexKey(ns, cj.metadata!.uid!));

    await this.reconcileActive(cj, status, owned);
    let requeueMs: number | undefined;
    if (!cj.metadata?.deletionTimestamp) requeueMs = await this.schedule(cj, status);
    await this.cleanupHistory(cj, owned);

    if (!deepEqual(cj.status ?? {}, status)) {
      await this.ctx.client.updateStatus<CronJob>(resources.cronjobs, { ...cj, status });
    }
    if (requeueMs !== undefined) this.queue.addAfter(key, requeueMs);
  }

  /** The active list against the Jobs that exist: finished ones leave it, vanished ones too. */
  private async reconcileActive(cj: CronJob, status: Mutable<CronJobStatus>, owned: Job[]): Promise<void> {
    const active = new Map((status.active ?? []).map((r) => [r.uid!, r]));
    const uids = new Set(owned.map((j) => j.metadata!.uid!));
    for (const job of owned) {
      const uid = job.metadata!.uid!;
      const done = finishedCondition(job);
      if (!active.has(uid) && !done) {
        // Ours, running, yet not in the list: a crash between create and status, or `kubectl create job --from`.
        this.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata!.name}`);
      } else if (active.has(uid) && done) {
        active.delete(uid);
        this.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata!.name}, condition: ${done}`);
      }
      if (done === 'Complete' && job.status?.completionTime) {
        const last = status.lastSuccessfulTime ? Date.parse(status.lastSuccessfulTime) : -Infinity;
        if (Date.parse(job.status.completionTime) > last) status.lastSuccessfulTime = job.status.completionTime;
      }
    }
    for (const [uid, ref] of active) {
      if (uids.has(uid)) continue;
      // The Job cache may simply lag the CronJob's: only the API server can say it is gone.
      try {
        const job = await this.ctx.client.get<Job>({ ...resources.jobs, namespace: cj.metadata!.namespace, name: ref.name! });
        if (job.metadata?.uid === uid) continue;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      active.delete(uid);
      this.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
    }
    status.active = [...active.values()];
    if (!status.active.length) delete status.active;
  }

  /** Runs the schedule due now, if any; returns ms until the next look. */
  private async schedule(cj: CronJob, status: Mutable<CronJobStatus>): Promise<number | undefined> {
    const spec = cj.spec!;
    if (spec.timeZone != null && !isValidTimeZone(spec.timeZone)) {
      this.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${spec.timeZone}": unknown time zone ${spec.timeZone}`);
      return undefined;
    }
    if (spec.suspend) return undefined;
    let sched: CronSchedule;
    try {
      sched = parseSchedule(spec.schedule, spec.timeZone ?? undefined);
    } catch (e) {
      this.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${(e as Error).message}`);
      return undefined;
    }
    const now = this.now();
    const untilNext = () => Math.max(0, sched.next(now).getTime() - now.getTime()) + NEXT_SCHEDULE_DELTA_MS;
    const earliest = new Date(status.lastScheduleTime ?? cj.metadata!.creationTimestamp ?? now.toISOString());
    const { scheduled, missed } = mostRecentScheduleTime(sched, earliest, now, spec.startingDeadlineSeconds);
    if (missed > MAX_MISSED_SCHEDULES) {
      this.event(
        cj,
        'Warning',
        'TooManyMissedTimes',
        `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      );
    }
    if (!scheduled) return untilNext();
    if (spec.startingDeadlineSeconds != null && scheduled.getTime() + spec.startingDeadlineSeconds * 1000 < now.getTime()) {
      this.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339(scheduled)}`);
      return untilNext();
    }
    const name = jobNameFor(cj.metadata!.name!, scheduled);
    if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) >= scheduled.getTime()))
      return untilNext();
    // Acting on a stale cache could start a schedule that a write not yet seen already started:
    // one read per scheduled run confirms the CronJob is as cached, else the update event will come.
    const fresh = await this.ctx.client.get<CronJob>({ ...resources.cronjobs, namespace: cj.metadata!.namespace, name: cj.metadata!.name! });
    if (fresh.metadata?.resourceVersion !== cj.metadata?.resourceVersion) return undefined;
    const running = (status.active ?? []).length > 0;
    if (spec.concurrencyPolicy === 'Forbid' && running) {
      this.ctx.log(`cronjob ${metaNamespaceKey(cj)}: not starting job because prior execution is still running and concurrency policy is Forbid`);
      return untilNext();
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of status.active ?? []) {
        if (await this.deleteJob(cj, ref.name!)) status.active = (status.active ?? []).filter((r) => r.uid !== ref.uid);
      }
      if (!status.active?.length) delete status.active;
    }
    const job = await this.createJob(cj, name, scheduled);
    if (!job) return untilNext();
    const ref: ObjectReference = {
      apiVersion: API_VERSION,
      kind: 'Job',
      name: job.metadata!.name,
      namespace: job.metadata!.namespace,
      uid: job.metadata!.uid,
      resourceVersion: job.metadata!.resourceVersion,
    };
    if (!(status.active ?? []).some((r) => r.uid === ref.uid) && !finishedCondition(job)) status.active = [...(status.active ?? []), ref];
    status.lastScheduleTime = rfc3339(scheduled);
    return untilNext();
  }

  /** The Job for one scheduled time (upstream getJobFromTemplate2); an existing one of ours is reused. */
  private async createJob(cj: CronJob, name: string, scheduled: Date): Promise<Job | undefined> {
    const tmpl = cj.spec!.jobTemplate;
    const job: Job = {
      apiVersion: API_VERSION,
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata!.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}) },
        annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduled, cj.spec!.timeZone ?? 'UTC') },
        ownerReferences: [controllerRef(cj, API_VERSION, KIND)],
      },
      spec: structuredClone(tmpl.spec!),
    };
    try {
      const created = await this.ctx.client.create<Job>({ ...resources.jobs, namespace: cj.metadata!.namespace }, job);
      this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return created;
    } catch (e) {
      if (!isAlreadyExists(e)) {
        this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      // Created by an earlier attempt whose status write was lost: ours if it names us.
      const existing = await this.ctx.client.get<Job>({ ...resources.jobs, namespace: cj.metadata!.namespace, name });
      return existing.metadata?.ownerReferences?.some((r) => r.uid === cj.metadata!.uid) ? existing : undefined;
    }
  }

  private async deleteJob(cj: CronJob, name: string): Promise<boolean> {
    try {
      await this.ctx.client.delete({ ...resources.jobs, namespace: cj.metadata!.namespace, name }, { propagationPolicy: 'Background' });
    } catch (e) {
      if (!isNotFound(e)) {
        this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
        return false;
      }
    }
    this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    return true;
  }

  /** Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest first. */
  private async cleanupHistory(cj: CronJob, owned: Job[]): Promise<void> {
    const startOf = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata?.creationTimestamp ?? '') || 0;
    for (const [type, limit] of [
      ['Complete', cj.spec!.successfulJobsHistoryLimit],
      ['Failed', cj.spec!.failedJobsHistoryLimit],
    ] as const) {
      if (limit == null) continue;
      const done = owned.filter((j) => finishedCondition(j) === type && !j.metadata?.deletionTimestamp).sort((a, b) => startOf(a) - startOf(b));
      for (const job of done.slice(0, Math.max(0, done.length - limit))) await this.deleteJob(cj, job.metadata!.name!);
    }
  }
}
