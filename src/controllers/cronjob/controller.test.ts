import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { Event } from 'kubernetes-types/core/v1';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { defaultCronJob } from '../../registry/cronjobs/defaults.js';
import { newCronJobController, SCHEDULED_TIMESTAMP_ANNOTATION } from './index.js';

const NS = 'default';
type Any = Record<string, any>;
const CJ = { group: 'batch', version: 'v1', resource: 'cronjobs', namespace: NS };
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespace: NS };

/** A clock tests move by hand; the controller and the fake API both read it. */
function fakeClock(start: string) {
  let t = Date.parse(start);
  return { now: () => new Date(t), set: (iso: string) => void (t = Date.parse(iso)) };
}

async function start(startAt: string) {
  const clock = fakeClock(startAt);
  const api = new FakeApi();
  api.now = clock.now;
  const run = await runControllers(api, (ctx) => newCronJobController(ctx, { now: clock.now }));
  return { api, clock, ...run };
}

async function createCronJob(api: FakeApi, name: string, spec: Any = {}): Promise<CronJob> {
  const cj: Any = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      },
      ...spec,
    },
  };
  defaultCronJob(cj as never);
  return api.create<CronJob>(CJ, cj as CronJob);
}

const getCJ = (api: FakeApi, name: string) => api.objects<CronJob>('batch/cronjobs', NS).find((c) => c.metadata?.name === name)!;
const jobsOf = (api: FakeApi, name: string) =>
  api
    .objects<Job>('batch/jobs', NS)
    .filter((j) => j.metadata?.ownerReferences?.[0]?.name === name)
    .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
const events = (api: FakeApi, reason: string) => api.objects<Event>('/events', NS).filter((e) => e.reason === reason);

/** Moves the clock and makes the controller look (a touch of the CronJob, as any update would). */
async function at(api: FakeApi, clock: ReturnType<typeof fakeClock>, iso: string, name: string): Promise<void> {
  clock.set(iso);
  const cj = getCJ(api, name);
  await api.update(CJ, { ...cj, metadata: { ...cj.metadata, annotations: { ...(cj.metadata?.annotations ?? {}), touched: iso } } });
}

async function finishJob(api: FakeApi, job: Job, type: 'Complete' | 'Failed', when: string): Promise<void> {
  const cur = api.objects<Job>('batch/jobs', NS).find((j) => j.metadata?.uid === job.metadata?.uid)!;
  await api.updateStatus(
    { ...JOBS, name: job.metadata!.name },
    {
      ...cur,
      status: { startTime: when, ...(type === 'Complete' ? { completionTime: when } : {}), conditions: [{ type, status: 'True', lastTransitionTime: when }] },
    },
  );
}

const settle = () => new Promise((r) => setTimeout(r, 100));

test('fires at the scheduled minute: Job named by minutes since the epoch, annotated, owned, active, once', async () => {
  const { api, clock, stop } = await start('2024-01-01T00:00:30Z');
  try {
    await createCronJob(api, 'hello');
    await settle();
    assert.equal(jobsOf(api, 'hello').length, 0, 'nothing before the first minute');
    await at(api, clock, '2024-01-01T00:01:05Z', 'hello');
    const [job] = await waitFor(() => (jobsOf(api, 'hello').length === 1 ? jobsOf(api, 'hello') : undefined), 'a Job');
    assert.equal(job!.metadata!.name, `hello-${Date.parse('2024-01-01T00:01:00Z') / 60000}`);
    assert.equal(job!.metadata!.annotations![SCHEDULED_TIMESTAMP_ANNOTATION], '2024-01-01T00:01:00Z');
    assert.equal(job!.metadata!.labels!.app, 'hello');
    assert.deepEqual(
      job!.metadata!.ownerReferences!.map((r) => [r.kind, r.name, r.controller]),
      [['CronJob', 'hello', true]],
    );
    const cj = await waitFor(() => (getCJ(api, 'hello').status?.active?.length ? getCJ(api, 'hello') : undefined), 'active');
    assert.equal(cj.status!.active![0]!.name, job!.metadata!.name);
    assert.equal(cj.status!.lastScheduleTime, '2024-01-01T00:01:00Z');
    await at(api, clock, '2024-01-01T00:01:40Z', 'hello');
    await settle();
    assert.equal(jobsOf(api, 'hello').length, 1, 'the same minute never runs twice');
    assert.equal(events(api, 'SuccessfulCreate').length, 1);
  } finally {
    await stop();
  }
});

test('Forbid skips while a Job runs; Replace deletes the running one and starts the next', async () => {
  const { api, clock, stop } = await start('2024-01-01T00:00:30Z');
  try {
    await createCronJob(api, 'forbid', { concurrencyPolicy: 'Forbid' });
    await createCronJob(api, 'replace', { concurrencyPolicy: 'Replace' });
    clock.set('2024-01-01T00:01:05Z');
    await at(api, clock, '2024-01-01T00:01:05Z', 'forbid');
    await at(api, clock, '2024-01-01T00:01:05Z', 'replace');
    await waitFor(
      () =>
        jobsOf(api, 'forbid').length === 1 &&
        jobsOf(api, 'replace').length === 1 &&
        getCJ(api, 'forbid').status?.active &&
        getCJ(api, 'replace').status?.active,
      'first Jobs',
    );
    const first = jobsOf(api, 'replace')[0]!;
    await at(api, clock, '2024-01-01T00:02:05Z', 'forbid');
    await at(api, clock, '2024-01-01T00:02:05Z', 'replace');
    await waitFor(() => getCJ(api, 'replace').status?.lastScheduleTime === '2024-01-01T00:02:00Z', 'replace ran');
    await settle();
    assert.equal(jobsOf(api, 'forbid').length, 1, 'Forbid: no second Job while the first runs');
    assert.equal(getCJ(api, 'forbid').status!.lastScheduleTime, '2024-01-01T00:01:00Z');
    const names = jobsOf(api, 'replace').map((j) => j.metadata!.name);
    assert.ok(!names.includes(first.metadata!.name!), 'Replace deleted the running Job');
    assert.deepEqual(
      getCJ(api, 'replace').status!.active!.map((r) => r.name),
      [`replace-${Date.parse('2024-01-01T00:02:00Z') / 60000}`],
    );
  } finally {
    await stop();
  }
});

test('finished Jobs leave the active list; history limits keep the newest; lastSuccessfulTime follows', async () => {
  const { api, clock, stop } = await start('2024-01-01T00:00:30Z');
  try {
    await createCronJob(api, 'hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    for (const [minute, outcome] of [
      [1, 'Complete'],
      [2, 'Complete'],
      [3, 'Failed'],
      [4, 'Failed'],
    ] as const) {
      await at(api, clock, `2024-01-01T00:0${minute}:05Z`, 'hist');
      const job = await waitFor(
        () => jobsOf(api, 'hist').find((j) => j.metadata!.annotations![SCHEDULED_TIMESTAMP_ANNOTATION] === `2024-01-01T00:0${minute}:00Z`),
        `Job ${minute}`,
      );
      await waitFor(() => getCJ(api, 'hist').status?.active?.some((r) => r.uid === job.metadata!.uid), `active ${minute}`);
      await finishJob(api, job, outcome, `2024-01-01T00:0${minute}:30Z`);
      await waitFor(() => !getCJ(api, 'hist').status?.active, `inactive ${minute}`);
    }
    await waitFor(() => jobsOf(api, 'hist').length === 2, 'two kept');
    const kept = jobsOf(api, 'hist')
      .map((j) => j.metadata!.annotations![SCHEDULED_TIMESTAMP_ANNOTATION])
      .sort();
    assert.deepEqual(kept, ['2024-01-01T00:02:00Z', '2024-01-01T00:04:00Z']);
    assert.equal(getCJ(api, 'hist').status!.lastSuccessfulTime, '2024-01-01T00:02:30Z');
    assert.ok(events(api, 'SawCompletedJob').length >= 4);
  } finally {
    await stop();
  }
});

test('after downtime only the most recent missed time runs; more than 100 missed warns', async () => {
  const { api, clock, stop } = await start('2024-01-01T00:00:30Z');
  try {
    await createCronJob(api, 'late');
    await at(api, clock, '2024-01-01T00:05:30Z', 'late');
    const [job] = await waitFor(() => (jobsOf(api, 'late').length ? jobsOf(api, 'late') : undefined), 'a Job');
    await settle();
    assert.equal(jobsOf(api, 'late').length, 1);
    assert.equal(job!.metadata!.annotations![SCHEDULED_TIMESTAMP_ANNOTATION], '2024-01-01T00:05:00Z');
    assert.equal(events(api, 'TooManyMissedTimes').length, 0);
    await at(api, clock, '2024-01-01T03:00:10Z', 'late');
    await waitFor(() => getCJ(api, 'late').status?.lastScheduleTime === '2024-01-01T03:00:00Z', 'ran the latest');
    const warn = await waitFor(() => events(api, 'TooManyMissedTimes')[0], 'warning');
    assert.equal(warn.type, 'Warning');
    assert.equal(warn.message, 'too many missed start times: 175. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    assert.equal(jobsOf(api, 'late').length, 2);
  } finally {
    await stop();
  }
});

test('startingDeadlineSeconds, suspend, and a timeZone', async () => {
  const { api, clock, stop } = await start('2024-01-01T00:00:30Z');
  try {
    await createCronJob(api, 'deadline', { schedule: '0 * * * *', startingDeadlineSeconds: 30 });
    await createCronJob(api, 'paused', { suspend: true });
    await createCronJob(api, 'india', { schedule: '0 9 * * *', timeZone: 'Asia/Kolkata' });
    await at(api, clock, '2024-01-01T01:00:50Z', 'deadline');
    await at(api, clock, '2024-01-01T01:00:50Z', 'paused');
    await settle();
    assert.equal(jobsOf(api, 'deadline').length, 0, 'the 01:00 start is more than 30 s late');
    assert.equal(jobsOf(api, 'paused').length, 0, 'suspended');
    await at(api, clock, '2024-01-01T03:30:02Z', 'india');
    const job = await waitFor(() => jobsOf(api, 'india')[0], 'the 09:00 IST Job');
    assert.equal(job.metadata!.annotations![SCHEDULED_TIMESTAMP_ANNOTATION], '2024-01-01T09:00:00+05:30');
    assert.equal(job.metadata!.name, `india-${Date.parse('2024-01-01T03:30:00Z') / 60000}`);
  } finally {
    await stop();
  }
});
