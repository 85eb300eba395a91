// Jobs and CronJobs end to end: a real server (its controller manager runs the job, ttl-after-
// finished and cronjob controllers), `berth sim` nodes running the pods (the annotations
// sim.berth.dev/exit-after and exit-code end their containers), and the real kubectl 1.32:
// completions at a parallelism, `kubectl wait --for=condition=complete`, Indexed pods,
// backoffLimit, suspend/resume, ttlSecondsAfterFinished, the table columns, and CronJobs
// (`kubectl create job --from=cronjob/x`, and a real one-minute schedule).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import YAML from 'yaml';
import { BERTH, eventually, kubectl, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';

let s: RunningServer;
let sim: ChildProcess | undefined;
let simOutput = '';
const K = () => kubectlPath('1.32');
const ok = (args: string[], input?: string, timeoutMs?: number) => kubectlOk(s, args, { input, timeoutMs, version: '1.32' });
const json = (args: string[]) => JSON.parse(ok([...args, '-o', 'json']));
const apply = (obj: unknown) => ok(['apply', '-f', '-'], YAML.stringify(obj));

function job(name: string, spec: Record<string, unknown>, annotations: Record<string, string>) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { ...spec, template: { metadata: { annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } } },
  };
}

before(async () => {
  requireFile(undefined, K(), 'kubectl 1.32');
  s = await startServer();
  sim = spawn(process.execPath, [BERTH, 'sim', '--kubeconfig', s.kubeconfig, '--nodes', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  sim.stdout!.on('data', (d) => (simOutput += d));
  sim.stderr!.on('data', (d) => (simOutput += d));
  await eventually(() => /nodes registered in/.test(simOutput) || undefined, `sim nodes registered:\n${simOutput}`, 60_000);
  // The real one-minute schedule starts now, so its minute passes while the other tests run.
  apply({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default' },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { annotations: { 'sim.berth.dev/exit-after': '1s' } },
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'tick', image: 'busybox' }] },
          },
        },
      },
    },
  });
});

after(async () => {
  if (sim && sim.exitCode === null) {
    sim.kill('SIGTERM');
    await new Promise((r) => sim!.once('exit', r));
  }
  await s?.stop();
  s?.cleanup();
});

test('a Job of 3 completions at parallelism 2 completes; kubectl wait returns; columns as upstream', () => {
  apply(job('pi', { completions: 3, parallelism: 2 }, { 'sim.berth.dev/exit-after': '1s' }));
  const j = json(['get', 'job', 'pi']);
  assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': j.metadata.uid } });
  assert.equal(j.spec.backoffLimit, 6);
  ok(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s'], undefined, 70_000);
  const done = json(['get', 'job', 'pi']);
  assert.equal(done.status.succeeded, 3);
  assert.ok(done.status.conditions.some((c: any) => c.type === 'SuccessCriteriaMet' && c.status === 'True'));
  const pods = json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=pi']).items;
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p: any) => p.status.phase === 'Succeeded' && !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')));
  const table = ok(['get', 'jobs', 'pi']).split('\n');
  assert.match(table[0]!, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
  assert.match(table[1]!, /^pi\s+Complete\s+3\/3\s+\d+s\s+\d+s$/);
  const wide = ok(['get', 'jobs', 'pi', '-o', 'wide']).split('\n');
  assert.match(wide[0]!, /CONTAINERS\s+IMAGES\s+SELECTOR$/);
  assert.match(wide[1]!, new RegExp(`work\\s+busybox\\s+batch.kubernetes.io/controller-uid=${j.metadata.uid}$`));
});

test("bad Jobs are refused with upstream's field errors; kubectl describe shows the Job and its events", () => {
  const always = { ...job('always', {}, {}), spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox' }] } } } };
  const r = kubectl(s, ['apply', '-f', '-'], { version: '1.32', input: YAML.stringify(always) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
  const immutable = kubectl(s, ['patch', 'job', 'pi', '--type=merge', '-p', '{"spec":{"completions":5}}'], { version: '1.32' });
  assert.notEqual(immutable.code, 0);
  assert.match(immutable.stderr, /spec\.completions: Invalid value: 5: field is immutable/);
  const described = ok(['describe', 'job', 'pi']);
  assert.match(described, /^Completions:\s+3$/m);
  assert.match(described, /^Parallelism:\s+2$/m);
  assert.match(described, /^Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 0 Failed$/m);
  assert.match(described, /SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: pi-/);
  assert.match(described, /Completed\s+\S+\s+job-controller\s+Job completed/);
});

test("an Indexed Job's pods carry their index, hostname and JOB_COMPLETION_INDEX", () => {
  apply(job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }, { 'sim.berth.dev/exit-after': '1s' }));
  ok(['wait', '--for=condition=complete', 'job/idx', '--timeout=60s'], undefined, 70_000);
  const pods = json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=idx']).items;
  const seen = pods.map((p: any) => p.metadata.labels['batch.kubernetes.io/job-completion-index']).sort();
  assert.deepEqual(seen, ['0', '1', '2']);
  for (const p of pods) {
    const i = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
    assert.equal(p.spec.hostname, `idx-${i}`);
    assert.ok(p.spec.containers[0].env.some((e: any) => e.name === 'JOB_COMPLETION_INDEX'));
  }
  assert.equal(json(['get', 'job', 'idx']).status.completedIndexes, '0-2');
});

test('a failing Job stops at backoffLimit with Failed/BackoffLimitExceeded', () => {
  apply(job('fail', { backoffLimit: 1 }, { 'sim.berth.dev/exit-after': '500ms', 'sim.berth.dev/exit-code': '2' }));
  // Two failures, 10 s of re-creation back-off between them.
  ok(['wait', '--for=condition=failed', 'job/fail', '--timeout=60s'], undefined, 70_000);
  const j = json(['get', 'job', 'fail']);
  const failed = j.status.conditions.find((c: any) => c.type === 'Failed');
  assert.equal(failed.reason, 'BackoffLimitExceeded');
  assert.equal(j.status.failed, 2);
  assert.match(ok(['get', 'job', 'fail']).split('\n')[1]!, /^fail\s+Failed\s+0\/1\s/);
  // The replacement waited out the 10 s re-creation back-off (timestamps have whole seconds).
  const created = json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=fail'])
    .items.map((p: any) => Date.parse(p.metadata.creationTimestamp))
    .sort();
  assert.equal(created.length, 2);
  assert.ok(created[1] - created[0] >= 10_000, `second pod ${created[1] - created[0]} ms after the first`);
});

test('a Job created suspended starts nothing; suspend deletes running pods; resume recreates them', async () => {
  apply(job('sus', { completions: 4, parallelism: 2, suspend: true }, { 'sim.berth.dev/exit-after': '1h' }));
  ok(['wait', '--for=condition=suspended', 'job/sus', '--timeout=30s'], undefined, 40_000);
  assert.equal(json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=sus']).items.length, 0);
  assert.equal(json(['get', 'job', 'sus']).status.startTime, undefined);
  assert.match(ok(['get', 'job', 'sus']).split('\n')[1]!, /^sus\s+Suspended\s+0\/4\s/);
  ok(['patch', 'job', 'sus', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
  await eventually(() => json(['get', 'job', 'sus']).status?.active === 2 || undefined, 'two active pods');
  const resumed = json(['get', 'job', 'sus']).status.conditions.find((c: any) => c.type === 'Suspended');
  assert.equal(resumed.status, 'False');
  assert.equal(resumed.reason, 'JobResumed');
  assert.equal(json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=sus']).items.length, 2);
  ok(['patch', 'job', 'sus', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
  await eventually(
    () => json(['get', 'job', 'sus']).status.conditions.find((c: any) => c.type === 'Suspended' && c.status === 'True') || undefined,
    'Suspended again',
  );
  // The running pods go (the finalizer released, so they do not linger); none replaces them.
  await eventually(() => json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=sus']).items.length === 0 || undefined, 'pods deleted', 30_000);
  const j = json(['get', 'job', 'sus']);
  assert.equal(j.status.active, 0);
  assert.equal(j.status.failed ?? 0, 0, 'pods deleted by suspension are not failures');
  ok(['delete', 'job', 'sus', '--wait=false']);
});

test('ttlSecondsAfterFinished removes the finished Job and its pods', async () => {
  apply(job('ttl', { ttlSecondsAfterFinished: 1 }, { 'sim.berth.dev/exit-after': '500ms' }));
  await eventually(() => kubectl(s, ['get', 'job', 'ttl'], { version: '1.32' }).stderr.includes('NotFound') || undefined, 'the Job deleted', 40_000);
  await eventually(() => json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=ttl']).items.length === 0 || undefined, 'its pods deleted', 30_000);
});

test('CronJobs: columns, kubectl create job --from=cronjob, and the one-minute schedule firing', async () => {
  const table = ok(['get', 'cronjobs']).split('\n');
  assert.match(table[0]!, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
  assert.match(table[1]!, /^tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+\d+\s+\S+\s+\d+s$/);
  const bad = kubectl(s, ['create', 'cronjob', 'bad', '--image=busybox', '--schedule=TZ=UTC * * * * *'], { version: '1.32' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /spec.schedule: Invalid value: "TZ=UTC \* \* \* \* \*": cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);

  ok(['create', 'job', 'manual', '--from=cronjob/tick']);
  const manual = json(['get', 'job', 'manual']);
  assert.equal(manual.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
  assert.equal(manual.metadata.ownerReferences[0].kind, 'CronJob');
  ok(['wait', '--for=condition=complete', 'job/manual', '--timeout=60s'], undefined, 70_000);

  const cj = await eventually(
    () => {
      const c = json(['get', 'cronjob', 'tick']);
      return c.status?.lastScheduleTime ? c : undefined;
    },
    'the CronJob to fire',
    75_000,
  );
  const minutes = Date.parse(cj.status.lastScheduleTime) / 60_000;
  const scheduled = json(['get', 'job', `tick-${minutes}`]);
  assert.equal(scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], cj.status.lastScheduleTime);
  ok(['wait', '--for=condition=complete', `job/tick-${minutes}`, '--timeout=60s'], undefined, 70_000);
  await eventually(() => json(['get', 'cronjob', 'tick']).status?.lastSuccessfulTime || undefined, 'lastSuccessfulTime', 30_000);
  assert.match(ok(['get', 'jobs,cronjobs']), /cronjob.batch\/tick\s+\*\/1 \* \* \* \*/);
});
