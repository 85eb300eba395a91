import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, percentile } from './common.js';

test('percentile is the nearest rank: the smallest value with at least p% of the values at or below it', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile([7, 3, 5], 50), 5);
  assert.equal(percentile([7, 3, 5], 99), 7);
  assert.equal(percentile([42], 1), 42);
  assert.deepEqual(xs.slice(0, 2), [100, 99], 'the input is left unsorted');
});

test('median of an even count is the mean of the middle two', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([9, 1, 5]), 5);
});
