import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartGate } from './start-gate.js';

test('the gate bounds steps in flight and serves earlier pods first', async () => {
  const gate = new StartGate(2);
  const order: number[] = [];
  let inFlight = 0;
  let most = 0;
  const step = (prio: number) =>
    gate.run(prio, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      order.push(prio);
      inFlight--;
    });
  await Promise.all([step(5), step(4), step(3), step(2), step(1), step(0)]);
  assert.equal(most, 2);
  // 5 and 4 took the free slots; the rest by priority.
  assert.deepEqual(order.slice(2), [0, 1, 2, 3]);
});

test('a gate without a limit runs everything at once', async () => {
  const gate = new StartGate(0);
  let inFlight = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      gate.run(i, async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
      }),
    ),
  );
  assert.equal(most, 10);
});

test('a failing step frees its slot', async () => {
  const gate = new StartGate(1);
  await assert.rejects(
    gate.run(0, async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await gate.run(0, async () => 7), 7);
});
