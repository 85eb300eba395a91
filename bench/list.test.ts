import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listMetadata, occurrences, StreamCounter } from './list.js';

/** Feeds `text` to a counter in chunks cut at `cuts` (offsets), as a socket may deliver it. */
function countInChunks(text: string, pattern: string, cuts: number[]): number {
  const buf = Buffer.from(text);
  const c = new StreamCounter(Buffer.from(pattern));
  let at = 0;
  for (const cut of [...cuts, buf.length]) {
    c.push(buf.subarray(at, cut));
    at = cut;
  }
  return c.count;
}

test('StreamCounter counts the same in any chunking as in the whole body, occurrences across chunks included', () => {
  const pattern = '"creationTimestamp":"';
  const body = JSON.stringify({
    items: Array.from({ length: 40 }, (_, i) => ({ metadata: { name: `p-${i}`, creationTimestamp: '2026-12-05T00:00:00Z' } })),
  });
  const whole = occurrences(Buffer.from(body), Buffer.from(pattern));
  assert.equal(whole, 40);
  // Every cut through the first occurrence, and chunks shorter than the pattern.
  const first = body.indexOf(pattern);
  for (let cut = first - 1; cut <= first + pattern.length + 1; cut++) assert.equal(countInChunks(body, pattern, [cut]), whole, `cut at ${cut}`);
  assert.equal(
    countInChunks(
      body,
      pattern,
      Array.from({ length: Math.floor(body.length / 7) }, (_, i) => (i + 1) * 7),
    ),
    whole,
    '7-byte chunks',
  );
  assert.equal(
    countInChunks(
      body,
      pattern,
      Array.from({ length: body.length - 1 }, (_, i) => i + 1),
    ),
    whole,
    '1-byte chunks',
  );
  // A pattern that is not there, cut anywhere, is never counted.
  assert.equal(countInChunks(body, '"deletionTimestamp":"', [first + 3, first + 10]), 0);
});

test("listMetadata reads a list's continue token and remaining count from the head of its body, list or Table", () => {
  const list =
    '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","remainingItemCount":9500},"items":[{"metadata":{"name":"a"';
  assert.deepEqual(listMetadata(list), { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ', remainingItemCount: 9500 });
  const table = '{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},"columnDefinitions":[{"name":"Name"';
  assert.deepEqual(listMetadata(table), { resourceVersion: '7' });
  assert.throws(() => listMetadata('{"kind":"PodList","apiVersion":"v1","metad'), /no list metadata/);
});
