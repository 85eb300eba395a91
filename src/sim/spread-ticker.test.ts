import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpreadTicker, forEachConcurrent } from './spread-ticker.js';

test('each item runs once per period, at its own offset, never in a burst', async () => {
  let now = 0;
  const runs: Array<[number, number]> = [];
  const t = new SpreadTicker<number>({ periodMs: 1000, concurrency: 100, now: () => now, run: async (i) => void runs.push([i, now]) });
  t.setItems([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.start();
  for (now = 0; now <= 2500; now += 50) {
    t.tick();
    await new Promise((r) => setImmediate(r));
  }
  await t.stop();
  // Items 0..9 at offsets 0, 100, ... 900 in each of the periods seen.
  const first = runs.filter(([, at]) => at < 1000).map(([i]) => i);
  assert.deepEqual(first, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const second = runs.filter(([, at]) => at >= 1000 && at < 2000).map(([i]) => i);
  assert.deepEqual(second, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // At most one item per 100 ms window: spread, not a burst.
  const perTick = new Map<number, number>();
  for (const [, at] of runs) perTick.set(at, (perTick.get(at) ?? 0) + 1);
  assert.ok(Math.max(...perTick.values()) <= 1, `runs per tick: ${[...perTick.values()]}`);
  // Item 3 ran every 1000 ms.
  const three = runs.filter(([i]) => i === 3).map(([, at]) => at);
  assert.deepEqual(three, [300, 1300, 2300]);
});

test('concurrency is bounded and an item still running is not started again', async () => {
  let now = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const t = new SpreadTicker<number>({
    periodMs: 100,
    concurrency: 2,
    now: () => now,
    run: (i) =>
      new Promise<void>((resolve) => {
        started.push(i);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        releases.push(() => {
          inFlight--;
          resolve();
        });
      }),
  });
  t.setItems([0, 1, 2, 3]);
  t.start();
  for (now = 0; now <= 250; now += 10) t.tick();
  assert.equal(maxInFlight, 2);
  assert.deepEqual(started, [0, 1], 'two slots, both held');
  assert.equal(t.backlog, 2, 'items 2 and 3 wait; 0 and 1 are not queued again while running');
  releases.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  const stopped = t.stop();
  for (const r of releases.splice(0)) r();
  await new Promise((r) => setImmediate(r));
  for (const r of releases.splice(0)) r();
  await stopped;
  assert.equal(inFlight, 0);
});

test('forEachConcurrent visits every item with bounded concurrency', async () => {
  let inFlight = 0;
  let max = 0;
  const seen: number[] = [];
  await forEachConcurrent([...Array(50).keys()], 7, async (i) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    seen.push(i);
    inFlight--;
  });
  assert.equal(max, 7);
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    [...Array(50).keys()],
  );
});
