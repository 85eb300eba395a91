import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidTimeZone, parseSchedule } from './cron.js';

test('five fields or a descriptor, as robfig ParseStandard; anything else says why', () => {
  assert.deepEqual(parseSchedule('*/15 * * * *').next(new Date('2024-01-01T00:14:59Z')), new Date('2024-01-01T00:15:00Z'));
  assert.deepEqual(parseSchedule('@daily').next(new Date('2024-01-01T10:00:00Z')), new Date('2024-01-02T00:00:00Z'));
  assert.deepEqual(parseSchedule('@midnight').next(new Date('2024-01-01T10:00:00Z')), new Date('2024-01-02T00:00:00Z'));
  assert.deepEqual(parseSchedule('0 0 * * MON').next(new Date('2024-01-01T10:00:00Z')), new Date('2024-01-08T00:00:00Z'));
  assert.throws(() => parseSchedule('* * * * * *'), /expected exactly 5 fields, found 6/);
  assert.throws(() => parseSchedule('@every 1m'), /unrecognized descriptor: @every 1m/);
  assert.throws(() => parseSchedule('61 * * * *'), /61/);
  assert.throws(() => parseSchedule('  '), /empty spec string/);
});

test('a TZ= or CRON_TZ= prefix names the zone; a timeZone given beside wins; zones are IANA names', () => {
  const s = parseSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *');
  assert.equal(s.prefixZone, 'Asia/Tokyo');
  // 09:00 in Tokyo is 00:00 UTC; next() is strictly after the time given.
  assert.deepEqual(s.next(new Date('2024-01-01T00:00:00Z')), new Date('2024-01-02T00:00:00Z'));
  assert.deepEqual(s.next(new Date('2023-12-31T23:59:00Z')), new Date('2024-01-01T00:00:00Z'));
  assert.deepEqual(parseSchedule('0 9 * * *', 'UTC').next(new Date('2024-01-01T00:00:00Z')), new Date('2024-01-01T09:00:00Z'));
  assert.throws(() => parseSchedule('TZ=Nowhere/City * * * * *'), /unknown time zone Nowhere\/City/);
  assert.equal(isValidTimeZone('Europe/Paris'), true);
  assert.equal(isValidTimeZone('Local'), false);
  assert.equal(isValidTimeZone('Mars/Olympus'), false);
});
