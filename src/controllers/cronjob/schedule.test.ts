import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../api/cron.js';
import { jobNameFor, mostRecentScheduleTime, rfc3339In } from './schedule.js';

const d = (s: string) => new Date(s);

test('the most recent scheduled time after the last one, and how many were missed', () => {
  const every = parseSchedule('*/1 * * * *');
  assert.deepEqual(mostRecentScheduleTime(every, d('2024-01-01T00:00:00Z'), d('2024-01-01T00:00:59Z')), { scheduled: undefined, missed: 0 });
  assert.deepEqual(mostRecentScheduleTime(every, d('2024-01-01T00:00:00Z'), d('2024-01-01T00:03:30Z')), { scheduled: d('2024-01-01T00:03:00Z'), missed: 3 });
  // startingDeadlineSeconds narrows the window to the last 90 s.
  assert.deepEqual(mostRecentScheduleTime(every, d('2024-01-01T00:00:00Z'), d('2024-01-01T00:03:30Z'), 90), {
    scheduled: d('2024-01-01T00:03:00Z'),
    missed: 1,
  });
  // Downtime of 5 hours: 300 missed, the latest is the one to run.
  assert.deepEqual(mostRecentScheduleTime(every, d('2024-01-01T00:00:00Z'), d('2024-01-01T05:00:30Z')), { scheduled: d('2024-01-01T05:00:00Z'), missed: 300 });
  const hourly = parseSchedule('@hourly');
  assert.deepEqual(mostRecentScheduleTime(hourly, d('2024-01-01T00:00:00Z'), d('2024-01-10T00:30:00Z')), { scheduled: d('2024-01-10T00:00:00Z'), missed: 216 });
});

test('Job names and scheduled timestamps as upstream', () => {
  assert.equal(jobNameFor('hello', d('2024-01-01T00:01:00Z')), 'hello-28401121');
  assert.equal(rfc3339In(d('2024-07-01T12:00:00Z')), '2024-07-01T12:00:00Z');
  assert.equal(rfc3339In(d('2024-07-01T12:00:00Z'), 'Europe/Berlin'), '2024-07-01T14:00:00+02:00');
  assert.equal(rfc3339In(d('2024-01-01T12:00:00Z'), 'America/New_York'), '2024-01-01T07:00:00-05:00');
});

test('schedules in a time zone follow its clock, daylight saving included', () => {
  const nine = parseSchedule('0 9 * * *', 'Europe/Berlin');
  assert.deepEqual(nine.next(d('2024-01-01T00:00:00Z')), d('2024-01-01T08:00:00Z'));
  assert.deepEqual(nine.next(d('2024-07-01T00:00:00Z')), d('2024-07-01T07:00:00Z'));
});
