import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { StatusError } from '../../client/index.js';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { defaultJob } from '../../registry/jobs/defaults.js';
import { generateSelector } from '../../registry/jobs/strategy.js';
import { JOB_TRACKING_FINALIZER, newJobController, newTTLAfterFinishedController } from './index.js';

const NS = 'default';
type Any = Record<string, any>;

/**
 * Creates a Job as the API server would: defaulted, with its generated selector, in one write (a
 * second write adding them let the controller act on the Job without them first).
 */
async function createJob(api: FakeApi, name: string, spec: Any = {}): Promise<Job> {
  const job: Any = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  };
  api.prepareCreate = (resource, obj) => {
    if (resource !== 'batch/jobs') return;
    defaultJob(obj as never);
    generateSelector(obj);
  };
  return api.create<Job>({ group: 'batch', version: 'v1', resource: 'jobs', namespace: NS }, job as Job);
}

const jobRef = (name: string) => ({ group: 'batch', version: 'v1', resource: 'jobs', namespace: NS, name });
const podRef = (name: string) => ({ group: '', version: 'v1', resource: 'pods', namespace: NS, name });
const getJob = (api: FakeApi, name: string) => api.objects<Job>('batch/jobs', NS).find((j) => j.metadata?.name === name);
const podsOf = (api: FakeApi, job: string) => api.objects<Pod>('/pods', NS).filter((p) => p.metadata?.labels?.['batch.kubernetes.io/job-name'] === job);
const running = (api: FakeApi, job: string) =>
  podsOf(api, job).filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
const cond = (job: Job | undefined, type: string) => job?.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** What a kubelet reports when the pod's only container exits with code. */
async function finish(api: FakeApi, pod: Pod, exitCode: number, extraConditions: Any[] = []): Promise<void> {
  const cur = await api.get<Pod>(podRef(pod.metadata!.name!));
  await api.updateStatus(podRef(pod.metadata!.name!), {
    ...cur,
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      conditions: extraConditions,
      containerStatuses: [
        {
          name: 'c',
          image: 'busybox',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } },
        },
      ],
    },
  });
}

async function start(api = new FakeApi(), backoffBaseMs = 0) {
  const run = await runControllers(
    api,
    (ctx) => newJobController(ctx, { backoffBaseMs }),
    (ctx) => newTTLAfterFinishedController(ctx),
  );
  return { api, ...run };
}

test('completions 3 at parallelism 2: never more than 2 pods, each counted once, then SuccessCriteriaMet and Complete', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'pi', { completions: 3, parallelism: 2 });
    let maxActive = 0;
    for (let done = 0; done < 3; done++) {
      const pod = await waitFor(() => running(api, 'pi')[0], `pod ${done}`);
      maxActive = Math.max(maxActive, running(api, 'pi').length);
      assert.ok(pod.metadata!.finalizers!.includes(JOB_TRACKING_FINALIZER), 'pods carry the tracking finalizer');
      assert.equal(pod.metadata!.generateName, 'pi-');
      await finish(api, pod, 0);
      await waitFor(() => (getJob(api, 'pi')?.status?.succeeded ?? 0) === done + 1, `succeeded ${done + 1}`);
    }
    const job = await waitFor(() => cond(getJob(api, 'pi'), 'Complete') && getJob(api, 'pi'), 'Complete');
    assert.equal(maxActive, 2);
    assert.equal(job.status!.succeeded, 3);
    assert.equal(job.status!.failed ?? 0, 0);
    assert.equal(cond(job, 'SuccessCriteriaMet')!.reason, 'CompletionsReached');
    assert.equal(cond(job, 'Complete')!.reason, 'CompletionsReached');
    assert.ok(job.status!.completionTime && job.status!.startTime);
    assert.deepEqual(job.status!.uncountedTerminatedPods ?? {}, {});
    assert.equal(podsOf(api, 'pi').length, 3);
    assert.ok(
      podsOf(api, 'pi').every((p) => !p.metadata!.finalizers?.includes(JOB_TRACKING_FINALIZER)),
      'finalizers removed',
    );
  } finally {
    await stop();
  }
});

test('an Indexed Job gives each pod its index: annotation, label, env, hostname; completedIndexes', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' });
    const pods = await waitFor(() => (running(api, 'idx').length === 3 ? running(api, 'idx') : undefined), '3 pods');
    const indexes = pods.map((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of pods) {
      const i = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.equal(p.metadata!.labels!['batch.kubernetes.io/job-completion-index'], i);
      assert.equal(p.spec!.hostname, `idx-${i}`);
      assert.ok(p.metadata!.name!.startsWith(`idx-${i}-`));
      assert.deepEqual(p.spec!.containers[0]!.env, [
        {
          name: 'JOB_COMPLETION_INDEX',
          valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
        },
      ]);
    }
    const byIndex = (i: string) => pods.find((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === i)!;
    await finish(api, byIndex('1'), 0);
    await waitFor(() => getJob(api, 'idx')?.status?.completedIndexes === '1', 'index 1 done');
    await finish(api, byIndex('0'), 0);
    await finish(api, byIndex('2'), 0);
    const job = await waitFor(() => cond(getJob(api, 'idx'), 'Complete') && getJob(api, 'idx'), 'Complete');
    assert.equal(job.status!.completedIndexes, '0-2');
    assert.equal(job.status!.succeeded, 3);
  } finally {
    await stop();
  }
});

test('backoffLimit 1: the second failure fails the Job with BackoffLimitExceeded after FailureTarget', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'bad', { backoffLimit: 1 });
    const first = await waitFor(() => running(api, 'bad')[0], 'first pod');
    await finish(api, first, 1);
    const second = await waitFor(() => running(api, 'bad').find((p) => p.metadata!.uid !== first.metadata!.uid), 'a replacement');
    await finish(api, second, 1);
    const job = await waitFor(() => cond(getJob(api, 'bad'), 'Failed') && getJob(api, 'bad'), 'Failed');
    assert.equal(cond(job, 'Failed')!.reason, 'BackoffLimitExceeded');
    assert.equal(cond(job, 'Failed')!.message, 'Job has reached the specified backoff limit');
    assert.equal(cond(job, 'FailureTarget')!.reason, 'BackoffLimitExceeded');
    assert.equal(job.status!.failed, 2);
    assert.equal(job.status!.completionTime, undefined);
    assert.equal(podsOf(api, 'bad').length, 2, 'no third pod');
  } finally {
    await stop();
  }
});

test('re-creation after a failure waits the back-off (base * 2^(failures-1))', async () => {
  const { api, stop } = await start(new FakeApi(), 400);
  try {
    await createJob(api, 'slow', { backoffLimit: 3 });
    const first = await waitFor(() => running(api, 'slow')[0], 'first pod');
    const failedAt = Date.now();
    await finish(api, first, 1);
    await waitFor(() => running(api, 'slow').length === 1, 'a replacement', 3000);
    assert.ok(Date.now() - failedAt >= 350, `replacement waited ${Date.now() - failedAt} ms`);
  } finally {
    await stop();
  }
});

test('podFailurePolicy: an ignored exit code is not counted; a FailJob exit code fails the Job at once', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'pfp', {
      backoffLimit: 6,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } },
          { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [3] } },
        ],
      },
    });
    const first = await waitFor(() => running(api, 'pfp')[0], 'first pod');
    await finish(api, first, 42);
    const second = await waitFor(() => running(api, 'pfp').find((p) => p.metadata!.uid !== first.metadata!.uid), 'a replacement');
    assert.equal(getJob(api, 'pfp')!.status!.failed ?? 0, 0, 'ignored failure not counted');
    await finish(api, second, 3);
    const job = await waitFor(() => cond(getJob(api, 'pfp'), 'Failed') && getJob(api, 'pfp'), 'Failed');
    assert.equal(cond(job, 'Failed')!.reason, 'PodFailurePolicy');
    assert.equal(cond(job, 'Failed')!.message, `Container c for pod ${NS}/${second.metadata!.name} failed with exit code 3 matching FailJob rule at index 1`);
    assert.equal(job.status!.failed, 1);
  } finally {
    await stop();
  }
});

test('a DisruptionTarget condition matched by an Ignore rule is not counted against backoffLimit 0', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'dis', { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } });
    const first = await waitFor(() => running(api, 'dis')[0], 'first pod');
    await finish(api, first, 137, [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }]);
    const second = await waitFor(() => running(api, 'dis').find((p) => p.metadata!.uid !== first.metadata!.uid), 'a replacement');
    assert.equal(cond(getJob(api, 'dis'), 'Failed'), undefined);
    await finish(api, second, 0);
    await waitFor(() => cond(getJob(api, 'dis'), 'Complete'), 'Complete');
  } finally {
    await stop();
  }
});

test('backoffLimitPerIndex fails one index, the others complete, then FailedIndexes', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'per', { completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 0 });
    const pods = await waitFor(() => (running(api, 'per').length === 2 ? running(api, 'per') : undefined), '2 pods');
    const at = (i: string) => pods.find((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === i)!;
    await finish(api, at('0'), 1);
    await waitFor(() => getJob(api, 'per')?.status?.failedIndexes === '0', 'index 0 failed');
    assert.equal(running(api, 'per').length, 1, 'a failed index is not retried');
    await finish(api, at('1'), 0);
    const job = await waitFor(() => cond(getJob(api, 'per'), 'Failed') && getJob(api, 'per'), 'Failed');
    assert.equal(cond(job, 'Failed')!.reason, 'FailedIndexes');
    assert.equal(job.status!.completedIndexes, '1');
  } finally {
    await stop();
  }
});

test('suspend deletes active pods (not counted as failures) and says Suspended; resume recreates them', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'sus', { completions: 2, parallelism: 2, backoffLimit: 0 });
    await waitFor(() => running(api, 'sus').length === 2, '2 pods');
    const job = getJob(api, 'sus')!;
    await api.update(jobRef('sus'), { ...job, spec: { ...job.spec!, suspend: true } });
    const suspended = await waitFor(() => cond(getJob(api, 'sus'), 'Suspended') && getJob(api, 'sus'), 'Suspended');
    assert.equal(cond(suspended, 'Suspended')!.reason, 'JobSuspended');
    await waitFor(() => running(api, 'sus').length === 0, 'pods deleted');
    // The fake API keeps deleted pods until their finalizer goes: the controller must let them go.
    await waitFor(() => podsOf(api, 'sus').length === 0, 'pods gone');
    assert.equal(getJob(api, 'sus')!.status!.failed ?? 0, 0);
    assert.equal(getJob(api, 'sus')!.status!.active, 0);
    const cur = getJob(api, 'sus')!;
    await api.update(jobRef('sus'), { ...cur, spec: { ...cur.spec!, suspend: false } });
    await waitFor(() => running(api, 'sus').length === 2, 'pods again');
    const resumed = await waitFor(
      () => getJob(api, 'sus')?.status?.conditions?.find((c) => c.type === 'Suspended' && c.status === 'False' && c.reason === 'JobResumed'),
      'JobResumed',
    );
    assert.equal(resumed.message, 'Job resumed');
    assert.equal(cond(getJob(api, 'sus'), 'Failed'), undefined);
  } finally {
    await stop();
  }
});

test('activeDeadlineSeconds: the Job fails with DeadlineExceeded and its pods are deleted', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'dl', { activeDeadlineSeconds: 1 });
    await waitFor(() => running(api, 'dl').length === 1, 'pod');
    const job = await waitFor(() => cond(getJob(api, 'dl'), 'Failed') && getJob(api, 'dl'), 'Failed', 4000);
    assert.equal(cond(job, 'Failed')!.reason, 'DeadlineExceeded');
    assert.equal(cond(job, 'Failed')!.message, 'Job was active longer than specified deadline');
    assert.equal(running(api, 'dl').length, 0);
  } finally {
    await stop();
  }
});

test('successPolicy: index 0 succeeding is enough; the other pod is deleted and the Job completes', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'lead', { completions: 2, parallelism: 2, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } });
    const pods = await waitFor(() => (running(api, 'lead').length === 2 ? running(api, 'lead') : undefined), '2 pods');
    await finish(
      api,
      pods.find((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === '0')!,
      0,
    );
    const job = await waitFor(() => cond(getJob(api, 'lead'), 'Complete') && getJob(api, 'lead'), 'Complete');
    assert.equal(cond(job, 'SuccessCriteriaMet')!.reason, 'SuccessPolicy');
    assert.equal(cond(job, 'SuccessCriteriaMet')!.message, 'Matched rules at index 0');
    assert.equal(podsOf(api, 'lead').filter((p) => !p.status?.phase || p.status.phase === 'Running').length, 0);
  } finally {
    await stop();
  }
});

test("ttlSecondsAfterFinished 0 deletes a finished Job; deleting a Job releases its pods' finalizers", async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'ttl', { ttlSecondsAfterFinished: 0 });
    const pod = await waitFor(() => running(api, 'ttl')[0], 'pod');
    await finish(api, pod, 0);
    await waitFor(() => !getJob(api, 'ttl'), 'the Job deleted');
    assert.ok(api.writes('delete', 'batch/jobs').some((c) => c.name === 'ttl'));

    await createJob(api, 'orphan', { completions: 1 });
    await waitFor(() => running(api, 'orphan').length === 1, 'pod');
    await api.delete(jobRef('orphan'));
    await waitFor(() => podsOf(api, 'orphan').every((p) => !p.metadata!.finalizers?.includes(JOB_TRACKING_FINALIZER)), 'finalizer released');
  } finally {
    await stop();
  }
});

test('podReplacementPolicy Failed: a deleted pod holds its place until it is Failed, then counts and is replaced', async () => {
  const { api, stop } = await start();
  try {
    await createJob(api, 'repl', { podReplacementPolicy: 'Failed', backoffLimit: 3 });
    const first = await waitFor(() => running(api, 'repl')[0], 'first pod');
    await api.delete(podRef(first.metadata!.name!));
    await waitFor(() => getJob(api, 'repl')?.status?.terminating === 1, 'terminating 1');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(running(api, 'repl').length, 0, 'no replacement while the old pod terminates');
    assert.ok(podsOf(api, 'repl')[0]!.metadata!.finalizers!.includes(JOB_TRACKING_FINALIZER), 'its final phase is still to be counted');
    await finish(api, first, 137);
    await waitFor(() => running(api, 'repl').length === 1, 'a replacement');
    const job = await waitFor(() => (getJob(api, 'repl')?.status?.failed === 1 ? getJob(api, 'repl') : undefined), 'failed 1');
    assert.equal(job.status!.terminating, 0);
  } finally {
    await stop();
  }
});

test('Completed is said once, after the status saying so is written: a refused write (a stale copy) says nothing', async () => {
  const api = new FakeApi();
  let refused = 0;
  // The first write of the Complete condition meets a newer Job (as a sync on a stale cache does).
  api.failWith = (call, obj) => {
    const done = (obj as Any | undefined)?.status?.conditions?.some((c: Any) => c.type === 'Complete');
    if (call.verb === 'updateStatus' && call.resource === 'batch/jobs' && done && refused++ === 0)
      return new StatusError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 409, reason: 'Conflict', message: 'the object has been modified' });
    return undefined;
  };
  const { stop } = await start(api);
  try {
    await createJob(api, 'once', { completions: 1 });
    const pod = await waitFor(() => running(api, 'once')[0], 'pod');
    await finish(api, pod, 0);
    await waitFor(() => cond(getJob(api, 'once'), 'Complete'), 'Complete');
    assert.ok(refused >= 2, 'the refused write, then one that went through');
    const completed = () =>
      api
        .objects<Any>('/events', NS)
        .filter((e) => e.reason === 'Completed')
        .reduce((n, e) => n + (e.count ?? 1), 0);
    await waitFor(() => completed() > 0, 'the Completed event');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(completed(), 1);
  } finally {
    await stop();
  }
});
