import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultJob } from './defaults.js';
import { generateSelector } from './strategy.js';
import { jobValidator } from './validation.js';
import { jobCompletionsCell, jobDurationCell, jobStatusCell } from './printer.js';

type Any = Record<string, any>;

function newJob(spec: Any = {}, restartPolicy = 'Never'): Any {
  const job: Any = {
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: { template: { spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  };
  defaultJob(job as never);
  generateSelector(job);
  return job;
}

const fields = (errs: Any[]) => errs.map((e) => `${e.field}: ${e.type}`);

test('defaults as upstream: one completion, backoffLimit 6, NonIndexed, the uid selector and labels', () => {
  const job = newJob();
  assert.equal(job.spec.completions, 1);
  assert.equal(job.spec.parallelism, 1);
  assert.equal(job.spec.backoffLimit, 6);
  assert.equal(job.spec.completionMode, 'NonIndexed');
  assert.equal(job.spec.suspend, false);
  assert.equal(job.spec.manualSelector, false);
  assert.equal(job.spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.equal(job.spec.template.metadata.labels['batch.kubernetes.io/job-name'], 'pi');
  assert.equal(job.spec.template.metadata.labels['controller-uid'], 'u-1');
  assert.deepEqual(jobValidator.create(job as never), []);
});

test('only parallelism given leaves completions unset (a work queue); a failure policy defaults replacement to Failed', () => {
  const queue = newJob({ parallelism: 3 });
  assert.equal(queue.spec.completions, undefined);
  const pfp = newJob({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } });
  assert.equal(pfp.spec.podReplacementPolicy, 'Failed');
  assert.equal(pfp.spec.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  assert.deepEqual(jobValidator.create(pfp as never), []);
  assert.equal(newJob({ backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 2 }).spec.backoffLimit, 2147483647);
});

test('restartPolicy Always is refused, as are negative counts and a user selector without manualSelector', () => {
  assert.deepEqual(fields(jobValidator.create(newJob({}, 'Always') as never)), ['spec.template.spec.restartPolicy: FieldValueNotSupported']);
  assert.deepEqual(fields(jobValidator.create(newJob({ parallelism: -1, backoffLimit: -2, activeDeadlineSeconds: 0 }) as never)), [
    'spec.parallelism: FieldValueInvalid',
    'spec.backoffLimit: FieldValueInvalid',
    'spec.activeDeadlineSeconds: FieldValueInvalid',
  ]);
  const own = newJob({ selector: { matchLabels: { app: 'x' } } });
  assert.ok(fields(jobValidator.create(own as never)).includes('spec.selector: FieldValueInvalid'));
});

test('Indexed needs completions; per-index limits need Indexed; failure policy rules are checked', () => {
  assert.deepEqual(fields(jobValidator.create(newJob({ completionMode: 'Indexed', completions: null, parallelism: 2 }) as never)), [
    'spec.completions: FieldValueRequired',
  ]);
  assert.ok(fields(jobValidator.create(newJob({ backoffLimitPerIndex: 1 }) as never)).includes('spec.backoffLimitPerIndex: FieldValueForbidden'));
  const bad = newJob({ podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [0, 3, 2] } }] } });
  assert.deepEqual(fields(jobValidator.create(bad as never)), [
    'spec.podFailurePolicy.rules[0].action: FieldValueForbidden',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: FieldValueInvalid',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[2]: FieldValueInvalid',
  ]);
  const onFailure = newJob({ podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1] } }] } }, 'OnFailure');
  assert.deepEqual(fields(jobValidator.create(onFailure as never)), ['spec.template.spec.restartPolicy: FieldValueInvalid']);
  assert.ok(
    fields(jobValidator.create(newJob({ successPolicy: { rules: [{ succeededCount: 1 }] } }) as never)).includes('spec.successPolicy: FieldValueInvalid'),
  );
});

test('updates keep selector, completions and a started template; elastic Indexed Jobs may scale', () => {
  const old = newJob({ completions: 3, parallelism: 3 });
  const next = structuredClone(old);
  next.spec.completions = 4;
  next.spec.template.spec.containers[0].image = 'other';
  assert.deepEqual(fields(jobValidator.update!(next as never, old as never)), ['spec.completions: FieldValueInvalid', 'spec.template: FieldValueInvalid']);
  const elastic = newJob({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
  const scaled = structuredClone(elastic);
  scaled.spec.completions = scaled.spec.parallelism = 5;
  assert.deepEqual(jobValidator.update!(scaled as never, elastic as never), []);
});

test('printer cells: status by condition, completions, duration until completion', () => {
  const now = new Date('2024-01-01T00:10:00Z');
  const job: Any = { metadata: {}, spec: { completions: 3 }, status: { succeeded: 2, startTime: '2024-01-01T00:00:00Z' } };
  assert.equal(jobStatusCell(job), 'Running');
  assert.equal(jobCompletionsCell(job), '2/3');
  assert.equal(jobDurationCell(job, now), '10m');
  job.status.completionTime = '2024-01-01T00:01:05Z';
  job.status.conditions = [{ type: 'Complete', status: 'True' }];
  assert.equal(jobStatusCell(job), 'Complete');
  assert.equal(jobDurationCell(job, now), '65s');
  assert.equal(jobCompletionsCell({ spec: { parallelism: 4 }, status: {} }), '0/1 of 4');
  assert.equal(jobStatusCell({ metadata: {}, status: { conditions: [{ type: 'Suspended', status: 'True' }] } }), 'Suspended');
  assert.equal(jobStatusCell({ metadata: {}, status: { conditions: [{ type: 'Failed', status: 'True' }] } }), 'Failed');
});
