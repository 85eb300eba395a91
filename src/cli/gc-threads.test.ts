import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gcThreadFlags, SINGLE_THREADED_GC } from './gc-threads.js';

test('single-threaded collection on two cores or fewer, parallel helpers beyond', () => {
  assert.deepEqual(gcThreadFlags([], 1), [SINGLE_THREADED_GC]);
  assert.deepEqual(gcThreadFlags(['--max-old-space-size=4096'], 2), [SINGLE_THREADED_GC]);
  assert.deepEqual(gcThreadFlags([], 3), []);
  assert.deepEqual(gcThreadFlags([], 16), []);
});

test("node's own choice wins, either way", () => {
  assert.deepEqual(gcThreadFlags(['--no-single-threaded-gc'], 2), []);
  assert.deepEqual(gcThreadFlags([SINGLE_THREADED_GC], 2), []);
  assert.deepEqual(gcThreadFlags(['--inspect', SINGLE_THREADED_GC], 16), []);
});

test('this node accepts the flag on its command line', () => {
  // The flag is V8's: a node without it would refuse to start every forked process.
  const r = spawnSync(process.execPath, [SINGLE_THREADED_GC, '-e', 'process.stdout.write(process.execArgv[0])'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, SINGLE_THREADED_GC);
});
