import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemberPausedError, ShortBreaker } from './etcd-breaker.js';

test('etcd breaker: three failures pause the member briefly; it is tried again after the pause', async () => {
  let now = 1000;
  const b = new ShortBreaker({ isFailure: (e) => e.message === 'down', pauseMs: 500, now: () => now });
  const down = () => Promise.reject(new Error('down'));
  for (let i = 0; i < 3; i++) await assert.rejects(b.execute(down), /down/);
  let called = false;
  await assert.rejects(
    b.execute(() => {
      called = true;
      return 1;
    }),
    MemberPausedError,
  );
  assert.equal(called, false, 'a paused member is not called');
  now += 500;
  assert.equal(await b.execute(() => 42), 42, 'tried again once the pause is over');
  // A success resets the count: two more failures do not pause it.
  for (let i = 0; i < 2; i++) await assert.rejects(b.execute(down), /down/);
  assert.equal(await b.execute(() => 7), 7);
});

test('etcd breaker: errors that do not say the member is unreachable never pause it', async () => {
  const b = new ShortBreaker({ isFailure: () => false, now: () => 0 });
  for (let i = 0; i < 5; i++)
    await assert.rejects(
      b.execute(() => Promise.reject(new Error('compacted'))),
      /compacted/,
    );
  assert.equal(await b.execute(() => 'ok'), 'ok');
});
