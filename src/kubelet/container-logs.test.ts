import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedNanoTimestamp } from './container-logs.js';

test('timestamps print with nine fraction digits in the zone the runtime wrote', () => {
  assert.equal(fixedNanoTimestamp('2026-11-27T20:00:00.123456789Z'), '2026-11-27T20:00:00.123456789Z');
  assert.equal(fixedNanoTimestamp('2026-11-27T20:00:00.1234Z'), '2026-11-27T20:00:00.123400000Z');
  assert.equal(fixedNanoTimestamp('2026-11-27T20:00:00Z'), '2026-11-27T20:00:00.000000000Z');
  assert.equal(fixedNanoTimestamp('2026-11-27T21:00:00.5+01:00'), '2026-11-27T21:00:00.500000000+01:00');
});
