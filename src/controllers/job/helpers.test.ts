import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIndexes, indexSet } from './indexes.js';
import { nextBackoffRecord, remainingBackoffMs } from './backoff.js';
import { jobExpiresAt } from './ttl-after-finished.js';

test('completed indexes are written as upstream: runs of three or more compressed', () => {
  assert.equal(formatIndexes([7, 1, 3, 4, 5]), '1,3-5,7');
  assert.equal(formatIndexes([0, 1]), '0,1');
  assert.equal(formatIndexes([]), '');
  assert.deepEqual([...indexSet('1,3-5,7', 8)], [1, 3, 4, 5, 7]);
  assert.deepEqual([...indexSet('1,3-5,7', 5)], [], 'an index beyond completions makes the string invalid');
});

test('re-creation back-off: 10 s doubling per consecutive failure, capped at 6 min, reset by a success', () => {
  let rec = nextBackoffRecord(undefined, 0, [1_000]);
  assert.equal(remainingBackoffMs(rec, 1_000), 10_000);
  rec = nextBackoffRecord(rec, 0, [5_000]);
  assert.equal(remainingBackoffMs(rec, 5_000), 20_000);
  for (let i = 0; i < 10; i++) rec = nextBackoffRecord(rec, 0, [6_000]);
  assert.equal(remainingBackoffMs(rec, 6_000), 360_000);
  assert.equal(remainingBackoffMs(nextBackoffRecord(rec, 1, []), 6_000), 0);
  assert.equal(remainingBackoffMs(rec, 6_000 + 360_000), 0);
});

test('a finished Job expires ttlSecondsAfterFinished after its finishing condition', () => {
  const job = {
    metadata: {},
    spec: { ttlSecondsAfterFinished: 30 },
    status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
  assert.equal(jobExpiresAt(job as never), Date.parse('2024-01-01T00:00:30Z'));
  assert.equal(jobExpiresAt({ ...job, spec: {} } as never), undefined);
  assert.equal(jobExpiresAt({ ...job, status: {} } as never), undefined);
});
