import { test } from 'node:test';
import assert from 'node:assert/strict';
import { microTime, parseTime, rfc3339 } from './time.js';

test('rfc3339 drops the milliseconds, and a new second gives a new text', () => {
  assert.equal(rfc3339(new Date('2026-12-05T09:10:11.999Z')), '2026-12-05T09:10:11Z');
  assert.equal(rfc3339(new Date('2026-12-05T09:10:11.001Z')), '2026-12-05T09:10:11Z');
  assert.equal(rfc3339(new Date('2026-12-05T09:10:12.000Z')), '2026-12-05T09:10:12Z');
  // Going back in time is a different second too.
  assert.equal(rfc3339(new Date('1999-01-01T00:00:00.500Z')), '1999-01-01T00:00:00Z');
  assert.throws(() => rfc3339(new Date('nonsense')), RangeError);
});

test('microTime keeps six fractional digits; parseTime reads both and refuses junk', () => {
  assert.equal(microTime(new Date('2026-12-05T09:10:11.123Z')), '2026-12-05T09:10:11.123000Z');
  assert.equal(parseTime('2026-12-05T09:10:11Z')?.getTime(), Date.UTC(2026, 11, 5, 9, 10, 11));
  assert.equal(parseTime('2026-12-05T09:10:11.123000Z')?.getTime(), Date.UTC(2026, 11, 5, 9, 10, 11, 123));
  assert.equal(parseTime('nonsense'), undefined);
  assert.equal(parseTime(undefined), undefined);
});
