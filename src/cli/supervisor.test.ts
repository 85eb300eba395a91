import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeExit, restartDelay } from './supervisor.js';

test('supervisor: the restart delay doubles per crash in a row, capped', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(n, 500, 30_000)),
    [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
  assert.equal(restartDelay(0, 500, 30_000), 500);
});

test('supervisor: why a server process ended, in words', () => {
  assert.match(describeExit(null, 'SIGKILL'), /SIGKILL \(the kernel OOM killer or kill -9\)/);
  assert.match(describeExit(134, null), /aborted .*heap out of memory/);
  assert.match(describeExit(null, 'SIGABRT'), /aborted/);
  assert.equal(describeExit(null, 'SIGSEGV'), 'killed by SIGSEGV');
  assert.match(describeExit(1, null), /exited with code 1 \(an uncaught error/);
  assert.equal(describeExit(0, null), 'exited cleanly');
});
