import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATE_INTERVAL_MS, EventCorrelator, SPAM_BURST, type EventFacts } from './event-correlator.js';

const rs = (message: string, reason = 'SuccessfulCreate'): EventFacts => ({
  component: 'replicaset-controller',
  host: '',
  object: ['ReplicaSet', 'default', 'web-1', 'uid-1', 'apps/v1'],
  fieldPath: '',
  type: 'Normal',
  reason,
  message,
});

test("a ReplicaSet creating 100 pods: nine events of their own, then one combined, and the source's burst of 25 ends it", () => {
  let now = 0;
  const c = new EventCorrelator(() => now);
  const out = Array.from({ length: 100 }, (_, i) => c.correlate(rs(`Created pod: web-1-${i}`)));
  const written = out.filter((o) => o.write);
  assert.equal(written.length, SPAM_BURST);
  const keys = new Set(written.map((o) => (o.write ? o.key : '')));
  assert.equal(keys.size, 10, 'nine distinct events and one aggregate');
  assert.equal(written[8]!.write && written[8]!.message, 'Created pod: web-1-8');
  assert.equal(written[9]!.write && written[9]!.message, '(combined from similar events): Created pod: web-1-9');
  assert.equal(written[24]!.write && written[24]!.message, '(combined from similar events): Created pod: web-1-24');
  assert.ok(out.slice(25).every((o) => !o.write));
  // One token comes back every five minutes.
  now += 300_000;
  assert.equal(c.correlate(rs('Created pod: web-1-100')).write, true);
  assert.equal(c.correlate(rs('Created pod: web-1-101')).write, false);
});

test('the same event again keeps its key (one Event, counted); another object or reason has its own budget and group', () => {
  const c = new EventCorrelator(() => 0);
  const a = c.correlate(rs('Created pod: x'));
  const b = c.correlate(rs('Created pod: x'));
  assert.ok(a.write && b.write && a.key === b.key && b.message === 'Created pod: x');
  const other = { ...rs('Created pod: x'), object: ['ReplicaSet', 'default', 'web-2', 'uid-2', 'apps/v1'] };
  const o = c.correlate(other);
  assert.ok(o.write && o.key !== a.key);
  const deleted = c.correlate(rs('Deleted pod: x', 'SuccessfulDelete'));
  assert.ok(deleted.write && deleted.key !== a.key && deleted.message === 'Deleted pod: x');
  // 1 000 pods, one Scheduled event each: none held back.
  const pods = Array.from({ length: 1000 }, (_, i) =>
    c.correlate({
      ...rs(`Successfully assigned default/p-${i} to n1`, 'Scheduled'),
      component: 'default-scheduler',
      object: ['Pod', 'default', `p-${i}`, `u-${i}`, 'v1'],
    }),
  );
  assert.ok(pods.every((p) => p.write && !p.message.startsWith('(combined')));
});

test('after ten quiet minutes similar events start a new group', () => {
  let now = 0;
  const c = new EventCorrelator(() => now);
  for (let i = 0; i < 10; i++) c.correlate(rs(`m${i}`));
  const folded = c.correlate(rs('m10'));
  assert.ok(folded.write && folded.message.startsWith('(combined'));
  now += AGGREGATE_INTERVAL_MS + 1;
  const fresh = c.correlate(rs('m11'));
  assert.ok(fresh.write && fresh.message === 'm11');
});
