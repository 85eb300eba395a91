import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS, PatchTooLargeError } from './json-patch.js';
import { PatchError } from './errors.js';
import { applyPatch } from './index.js';

const deep = (n: number) => JSON.parse('{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1));

test('json patch operations as RFC 6902', () => {
  const doc = { a: [1, 2], 'b/c': { '~d': 1 }, e: { f: 'x' } };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/a/-', value: 3 },
    { op: 'add', path: '/a/0', value: 0 },
    { op: 'remove', path: '/b~1c/~0d' },
    { op: 'replace', path: '/e/f', value: 'y' },
    { op: 'copy', from: '/e', path: '/g' },
    { op: 'move', from: '/e/f', path: '/h' },
    { op: 'test', path: '/g', value: { f: 'y' } },
  ]);
  assert.deepEqual(out, { a: [0, 1, 2, 3], 'b/c': {}, e: {}, g: { f: 'y' }, h: 'y' });
  assert.deepEqual(doc.a, [1, 2], 'the original is not changed');
  for (const bad of [
    [{ op: 'test', path: '/a/0', value: 9 }],
    [{ op: 'remove', path: '/nope' }],
    [{ op: 'replace', path: '/nope', value: 1 }],
    [{ op: 'add', path: '/a/7', value: 1 }],
    [{ op: 'add', path: '/x/y', value: 1 }],
    [{ op: 'frobnicate', path: '/a' }],
    [{ op: 'move', from: '/e', path: '/e/inner' }],
  ]) {
    assert.throws(() => applyJsonPatch(doc, bad), PatchError, JSON.stringify(bad));
  }
});

test('a json patch of more than 10000 operations is refused before any is applied', () => {
  const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/a', value: 1 }));
  assert.throws(
    () => applyJsonPatch({ a: 1 }, ops),
    (e: Error) => e instanceof PatchTooLargeError && /The allowed maximum operations in a JSON patch is 10000, got 10001/.test(e.message),
  );
  assert.deepEqual(applyJsonPatch({ a: 1 }, ops.slice(1)), { a: 1 });
});

test('copies that double a value stop at the 3 MiB budget, in bounded time and memory', () => {
  // 26 copies of a value doubling each time would be 2^26 times its size (it exhausted the heap).
  const ops = [{ op: 'add', path: '/v', value: ['x'.repeat(40)] }];
  for (let i = 0; i < 26; i++) ops.push({ op: 'copy', from: '/v', path: '/v/-' } as never);
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  assert.throws(
    () => applyJsonPatch({}, ops),
    (e: Error) => e instanceof PatchError && /accumulated size increase of copy is \d+, exceeding the limit 3145728/.test(e.message),
  );
  assert.ok(performance.now() - start < 2000);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024);
  // Under the budget, copies work.
  assert.deepEqual(applyJsonPatch({ v: [1] }, [{ op: 'copy', from: '/v', path: '/w' }]), { v: [1], w: [1] });
});

test('patches nested 10000 deep apply without overflowing the stack', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } };
  for (const [type, patch] of [
    ['application/merge-patch+json', { x: deep(9_999) }],
    ['application/strategic-merge-patch+json', { x: deep(9_999), metadata: { labels: { l: 'v' } } }],
    [
      'application/json-patch+json',
      [
        { op: 'add', path: '/x', value: deep(9_999) },
        { op: 'test', path: '/x', value: deep(9_999) },
        { op: 'copy', from: '/x', path: '/y' },
      ],
    ],
  ] as const) {
    const out = applyPatch(type, cm, patch, 'ConfigMap') as Record<string, unknown>;
    let depth = 0;
    for (let v: any = out.x; v && typeof v === 'object'; v = v.a) depth++;
    assert.equal(depth, 9_999, type);
  }
});
