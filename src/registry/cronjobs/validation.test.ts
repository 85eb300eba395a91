import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCronJob } from './defaults.js';
import { cronJobValidator } from './validation.js';
import { cronJobPrinter } from './printer.js';

type Any = Record<string, any>;

function newCronJob(spec: Any = {}, name = 'hello'): Any {
  const cj: Any = {
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
  defaultCronJob(cj as never);
  return cj;
}
const fields = (errs: Any[]) => errs.map((e) => `${e.field}: ${e.detail ?? e.type}`);

test('defaults as upstream: Allow, not suspended, history 3 and 1, the template defaulted as a Job', () => {
  const cj = newCronJob();
  assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, 6);
  assert.deepEqual(cronJobValidator.create(cj as never), []);
});

test('schedules: five fields or a descriptor, no TZ prefix, a known time zone', () => {
  assert.deepEqual(cronJobValidator.create(newCronJob({ schedule: '@hourly', timeZone: 'Europe/Berlin' }) as never), []);
  assert.deepEqual(fields(cronJobValidator.create(newCronJob({ schedule: '* * * * * *' }) as never)), [
    'spec.schedule: expected exactly 5 fields, found 6: [* * * * * *]',
  ]);
  assert.deepEqual(fields(cronJobValidator.create(newCronJob({ schedule: 'CRON_TZ=UTC * * * * *' }) as never)), [
    'spec.schedule: cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
  ]);
  assert.deepEqual(fields(cronJobValidator.create(newCronJob({ timeZone: 'Mars/Olympus' }) as never)), ['spec.timeZone: unknown time zone Mars/Olympus']);
  assert.deepEqual(fields(cronJobValidator.create(newCronJob({ schedule: '' }) as never)), ['spec.schedule: ']);
  // An object stored with a prefix before the rule may keep it, but not beside timeZone.
  const legacy = newCronJob({ schedule: 'TZ=UTC 0 * * * *' });
  assert.deepEqual(cronJobValidator.update!(legacy as never, legacy as never), []);
});

test('policy, limits, the job template and the name length are checked', () => {
  const errs = fields(
    cronJobValidator.create(newCronJob({ concurrencyPolicy: 'Sometimes', startingDeadlineSeconds: -1, failedJobsHistoryLimit: -1 }, 'x'.repeat(53)) as never),
  );
  assert.deepEqual(errs, [
    'metadata.name: must be no more than 52 characters',
    'spec.concurrencyPolicy: supported values: "Allow", "Forbid", "Replace"',
    'spec.startingDeadlineSeconds: must be greater than or equal to 0',
    'spec.failedJobsHistoryLimit: must be greater than or equal to 0',
  ]);
  const always = newCronJob();
  always.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
  assert.deepEqual(fields(cronJobValidator.create(always as never)), [
    'spec.jobTemplate.spec.template.spec.restartPolicy: supported values: "OnFailure", "Never"',
  ]);
});

test('printer: schedule, zone, suspend, active count and last schedule as upstream', () => {
  const cj = newCronJob();
  cj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  const now = new Date('2024-01-01T01:00:00Z');
  assert.deepEqual(
    cronJobPrinter.columns.filter((c) => c.priority === 0).map((c) => c.name),
    ['Name', 'Schedule', 'TimeZone', 'Suspend', 'Active', 'Last Schedule', 'Age'],
  );
  assert.deepEqual(cronJobPrinter.cells(cj as never, now).slice(0, 7), ['hello', '*/1 * * * *', '<none>', 'False', 0, '<none>', '60m']);
  cj.status = { active: [{ name: 'a' }], lastScheduleTime: '2024-01-01T00:59:00Z' };
  assert.deepEqual(cronJobPrinter.cells(cj as never, now).slice(4, 6), [1, '60s']);
});
