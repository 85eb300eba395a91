import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './duration.js';

test('parses Go durations into milliseconds', () => {
  assert.equal(parseGoDuration('5s'), 5000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('2h45m'), 9_900_000);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-3s'), -3000);
  assert.equal(parseGoDuration(' 10s '), 10_000);
  for (const bad of ['', '5', 's', '5 s', '5sec', '1d', '-']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('formats durations as Go prints them', () => {
  assert.equal(formatGoDuration(10_000), '10s');
  assert.equal(formatGoDuration(20_000), '20s');
  assert.equal(formatGoDuration(80_000), '1m20s');
  assert.equal(formatGoDuration(160_000), '2m40s');
  assert.equal(formatGoDuration(300_000), '5m0s');
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  assert.equal(formatGoDuration(1500), '1.5s');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(0), '0s');
});
