import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWorkers, WorkQueue } from './workqueue.js';
import { BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, type RateLimiter } from './rate-limiter.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A limiter with fixed small delays, so queue timing tests stay fast. */
function fixed(ms: number): RateLimiter<string> & { calls: string[] } {
  const calls: string[] = [];
  const n = new Map<string, number>();
  return {
    calls,
    when(k) {
      calls.push(k);
      n.set(k, (n.get(k) ?? 0) + 1);
      return ms;
    },
    forget: (k) => void n.delete(k),
    numRequeues: (k) => n.get(k) ?? 0,
  };
}

test('workqueue: FIFO order, and a key added while queued is not duplicated', async () => {
  const q = new WorkQueue();
  for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
  assert.equal(q.len(), 3);
  const got = [await q.get(), await q.get(), await q.get()];
  assert.deepEqual(got, ['a', 'b', 'c']);
  assert.equal(q.len(), 0);
});

test('workqueue: a key added while processing is queued again only after done()', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not handed to a second worker while the first holds it');
  let second: string | undefined;
  void q.get().then((v) => (second = v));
  await tick();
  assert.equal(second, undefined);
  q.done('a');
  await tick();
  assert.equal(second, 'a', 'queued once after done');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('workqueue: a waiting get() receives the next add; shutDown drains then answers undefined', async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.add('x');
  assert.equal(await waiting, 'x');
  q.add('y');
  q.shutDown();
  q.add('z');
  assert.equal(await q.get(), 'y', 'keys queued before shutdown are still handed out');
  assert.equal(await q.get(), undefined);
  const q2 = new WorkQueue();
  const blocked = q2.get();
  q2.shutDown();
  assert.equal(await blocked, undefined);
});

test('workqueue: addAfter delays, and a key waiting twice keeps the earlier time', async () => {
  const q = new WorkQueue();
  const t0 = performance.now();
  q.addAfter('late', 200);
  q.addAfter('late', 40);
  q.addAfter('later', 80);
  q.add('now');
  assert.equal(await q.get(), 'now');
  assert.equal(await q.get(), 'late');
  const t1 = performance.now() - t0;
  assert.ok(t1 >= 35 && t1 < 150, `late came after ${t1} ms`);
  assert.equal(await q.get(), 'later');
  q.done('now');
  q.done('late');
  q.done('later');
  await tick(220);
  assert.equal(q.len(), 0, 'the superseded 200 ms add did not fire');
  q.shutDown();
});

test('workqueue: addRateLimited waits the limiter delay; forget resets it', async () => {
  const limiter = fixed(30);
  const q = new WorkQueue<string>({ rateLimiter: limiter });
  const t0 = performance.now();
  q.addRateLimited('k');
  assert.equal(q.len(), 0);
  assert.equal(await q.get(), 'k');
  assert.ok(performance.now() - t0 >= 25);
  q.addRateLimited('k');
  assert.equal(q.numRequeues('k'), 2);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.shutDown();
});

test('rate limiter: per-item exponential backoff 5 ms doubling to 1000 s, per item, reset by forget', () => {
  const r = new ItemExponentialFailureRateLimiter<string>();
  const seq = Array.from({ length: 6 }, () => r.when('a'));
  assert.deepEqual(seq, [5, 10, 20, 40, 80, 160]);
  assert.equal(r.when('b'), 5, 'items back off independently');
  assert.equal(r.numRequeues('a'), 6);
  for (let i = 0; i < 100; i++) r.when('a');
  assert.equal(r.when('a'), 1_000_000, 'capped at 1000 s');
  r.forget('a');
  assert.equal(r.when('a'), 5);
});

test('rate limiter: token bucket allows a burst then qps; the default is the max of both', () => {
  let now = 0;
  const b = new BucketRateLimiter<string>(10, 3, () => now);
  assert.deepEqual([b.when('a'), b.when('b'), b.when('c')], [0, 0, 0]);
  assert.equal(Math.round(b.when('d')), 100);
  assert.equal(Math.round(b.when('e')), 200);
  now = 1000; // 10 tokens refilled, capped at the burst, minus the 2 borrowed
  assert.equal(b.when('f'), 0);

  const max = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(5, 1000), new BucketRateLimiter(10, 1, () => 0));
  assert.equal(max.when('a'), 5);
  assert.equal(Math.round(max.when('a')), 100, 'the bucket is slower now');
  const d = defaultControllerRateLimiter<string>();
  assert.deepEqual([d.when('x'), d.when('x'), d.when('x')], [5, 10, 20]);
  d.forget('x');
  assert.equal(d.numRequeues('x'), 0);
});

test('runWorkers: n workers at most, never the same key twice at once, retries failures with backoff', async () => {
  const limiter = fixed(5);
  const q = new WorkQueue<string>({ rateLimiter: limiter });
  let active = 0;
  let maxActive = 0;
  const inFlight = new Set<string>();
  const processed: string[] = [];
  let failOnce = true;
  const errors: string[] = [];
  for (let i = 0; i < 10; i++) q.add(`k${i}`);
  q.add('flaky');
  q.add('k1'); // already queued: no duplicate
  const done = runWorkers(
    q,
    3,
    async (key) => {
      assert.ok(!inFlight.has(key), `${key} processed twice at once`);
      inFlight.add(key);
      active++;
      maxActive = Math.max(maxActive, active);
      await tick(10);
      if (key === 'flaky' && failOnce) {
        failOnce = false;
        active--;
        inFlight.delete(key);
        throw new Error('boom');
      }
      processed.push(key);
      active--;
      inFlight.delete(key);
    },
    { onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`) },
  );
  while (processed.length < 11) await tick(5);
  q.shutDown();
  await done;
  assert.equal(maxActive, 3);
  assert.deepEqual(processed.sort(), [...Array.from({ length: 10 }, (_, i) => `k${i}`), 'flaky'].sort());
  assert.deepEqual(errors, ['flaky: boom']);
  assert.deepEqual(limiter.calls, ['flaky']);
  assert.equal(q.numRequeues('flaky'), 0, 'forgotten after it succeeded');
});

test('runWorkers: maxRetries gives up on a key that keeps failing', async () => {
  const q = new WorkQueue<string>({ rateLimiter: fixed(1) });
  let attempts = 0;
  const done = runWorkers(
    q,
    1,
    () => {
      attempts++;
      throw new Error('always');
    },
    { maxRetries: 3, onError: () => {} },
  );
  q.add('bad');
  await tick(100);
  q.shutDown();
  await done;
  assert.equal(attempts, 4, 'first try plus three retries');
});

test('workqueue: shutDownWithDrain waits for keys being processed', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = (await q.get())!;
  let drained = false;
  const p = q.shutDownWithDrain().then(() => (drained = true));
  await tick(10);
  assert.equal(drained, false);
  q.done(k);
  await p;
  assert.equal(drained, true);
});

test('runWorkers with a signal: handles what is queued, and ends when the signal aborts (also one aborted already)', async () => {
  const q = new WorkQueue<string>({ name: 'signal' });
  const seen: string[] = [];
  const abort = new AbortController();
  const done = runWorkers(q, 2, (k) => void seen.push(k), { signal: abort.signal });
  q.add('a');
  q.add('b');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen.sort(), ['a', 'b']);
  abort.abort();
  await done;
  const q2 = new WorkQueue<string>({ name: 'aborted' });
  await runWorkers(q2, 2, () => assert.fail('nothing is handled'), { signal: AbortSignal.abort() });
});
