import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS, restartBackoffMs } from './backoff.js';

test('restart backoff: first retry at once, then 10 s doubling to the maximum, measured from the exit', () => {
  let now = 0;
  const b = new Backoff(10_000, 40_000, () => now);
  // First exit: no entry yet, restart at once.
  assert.equal(b.isInBackOffSince('c', now), false);
  b.next('c', now);
  now = 1_000; // crashed again after 1 s
  assert.equal(b.isInBackOffSince('c', now), true);
  assert.equal(b.remainingMs('c', now), 10_000);
  now = 11_000;
  assert.equal(b.isInBackOffSince('c', 1_000), false);
  b.next('c', 1_000);
  assert.equal(b.currentMs('c'), 20_000);
  b.next('c', now);
  b.next('c', now);
  assert.equal(b.currentMs('c'), 40_000, 'capped at the maximum');
});

test('an entry older than twice the maximum starts over', () => {
  let now = 0;
  const b = new Backoff(10_000, 40_000, () => now);
  b.next('c', 0);
  b.next('c', 0);
  assert.equal(b.currentMs('c'), 20_000);
  now = 100_000;
  assert.equal(b.isInBackOffSince('c', now), false);
  b.next('c', now);
  assert.equal(b.currentMs('c'), 10_000);
});

test('image pull backoff counts from the last attempt', () => {
  let now = 0;
  const b = new Backoff(10_000, 300_000, () => now);
  assert.equal(b.isInBackOffSinceUpdate('i'), false);
  b.next('i');
  now = 4_000;
  assert.equal(b.isInBackOffSinceUpdate('i'), true);
  assert.equal(b.remainingSinceUpdateMs('i'), 6_000);
  now = 10_001;
  assert.equal(b.isInBackOffSinceUpdate('i'), false);
});

test('restartBackoffMs and a Backoff with the container constants agree on every restart of a crash loop', () => {
  let now = 0;
  const b = new Backoff(CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS, () => now);
  assert.equal(restartBackoffMs(0), 0);
  // Each exit comes right after the previous restart, so the entry never expires.
  for (let restarts = 1; restarts <= 8; restarts++) {
    b.next('c', now);
    assert.equal(b.currentMs('c'), restartBackoffMs(restarts), `restart ${restarts}`);
    now += b.currentMs('c');
  }
  assert.equal(restartBackoffMs(8), 300_000);
  assert.equal(restartBackoffMs(2, 0.1), 2_000, 'scaled for tests');
});
