import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { COMPACT_ON_EVERY_FULL_GC, gcFlags, SINGLE_THREADED_GC } from './gc-flags.js';

test('single-threaded collection that compacts on two cores or fewer, V8 defaults beyond', () => {
  assert.deepEqual(gcFlags([], 1), [SINGLE_THREADED_GC, COMPACT_ON_EVERY_FULL_GC]);
  assert.deepEqual(gcFlags(['--max-old-space-size=4096'], 2), [SINGLE_THREADED_GC, COMPACT_ON_EVERY_FULL_GC]);
  assert.deepEqual(gcFlags([], 3), []);
  assert.deepEqual(gcFlags([], 16), []);
});

test("node's own choice wins, either way, flag by flag", () => {
  assert.deepEqual(gcFlags(['--no-single-threaded-gc'], 2), [COMPACT_ON_EVERY_FULL_GC]);
  assert.deepEqual(gcFlags([SINGLE_THREADED_GC], 2), [COMPACT_ON_EVERY_FULL_GC]);
  assert.deepEqual(gcFlags(['--no-compact-on-every-full-gc'], 2), [SINGLE_THREADED_GC]);
  assert.deepEqual(gcFlags(['--compact_on_every_full_gc', '--single_threaded_gc'], 2), []);
  assert.deepEqual(gcFlags(['--inspect', SINGLE_THREADED_GC], 16), []);
});

test('this node accepts the flags on its command line', () => {
  // The flags are V8's: a node without them would refuse to start every forked process.
  const r = spawnSync(process.execPath, [SINGLE_THREADED_GC, COMPACT_ON_EVERY_FULL_GC, '-e', 'process.stdout.write(process.execArgv.slice(0, 2).join(" "))'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${SINGLE_THREADED_GC} ${COMPACT_ON_EVERY_FULL_GC}`);
});
