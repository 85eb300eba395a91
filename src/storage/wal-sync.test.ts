import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveSync, INLINE_BELOW_MS, type FileSync } from './wal-sync.js';

/** A disk whose flushes take `ms` of a clock the test moves. */
function fakeDisk() {
  let clock = 0;
  const calls: string[] = [];
  const disk = {
    ms: 0.1,
    sync: {
      inline: () => {
        calls.push('inline');
        clock += disk.ms;
      },
      pooled: async () => {
        calls.push('pooled');
        clock += disk.ms;
      },
    } satisfies FileSync,
    now: () => clock,
    calls,
  };
  return disk;
}

test('the first flush goes to the pool; a fast disk brings the flushes onto the thread', async () => {
  const disk = fakeDisk();
  const s = new AdaptiveSync(disk.sync, disk.now);
  assert.equal(s.inline, false);
  await s.flush(3);
  assert.deepEqual(disk.calls, ['pooled']);
  for (let i = 0; i < 5; i++) await s.flush(3);
  assert.equal(s.inline, true);
  assert.equal(disk.calls.at(-1), 'inline');
});

test('a slow flush on the thread sends the next ones to the pool, and a quiet disk brings them back', async () => {
  const disk = fakeDisk();
  const s = new AdaptiveSync(disk.sync, disk.now);
  for (let i = 0; i < 10; i++) await s.flush(3);
  assert.equal(s.inline, true);
  disk.ms = 5;
  await s.flush(3);
  assert.equal(disk.calls.at(-1), 'inline', 'the slow one ran on the thread');
  assert.equal(s.inline, false);
  for (let i = 0; i < 5; i++) await s.flush(3);
  assert.ok(disk.calls.slice(-5).every((c) => c === 'pooled'));
  disk.ms = 0.1;
  let n = 0;
  while (!s.inline && n < 100) {
    await s.flush(3);
    n++;
  }
  assert.ok(s.inline && n > 1, `back on the thread after ${n} fast flushes`);
});

test('flushes just under the bound stay on the thread, just over it go to the pool', async () => {
  for (const [ms, inline] of [
    [INLINE_BELOW_MS * 0.8, true],
    [INLINE_BELOW_MS * 1.2, false],
  ] as const) {
    const disk = fakeDisk();
    disk.ms = ms;
    const s = new AdaptiveSync(disk.sync, disk.now);
    for (let i = 0; i < 30; i++) await s.flush(3);
    assert.equal(s.inline, inline, `${ms} ms`);
  }
});

test('a failing flush fails, on either path', async () => {
  const disk = fakeDisk();
  const s = new AdaptiveSync(disk.sync, disk.now);
  for (let i = 0; i < 10; i++) await s.flush(3);
  assert.equal(s.inline, true);
  const boom = new Error('EIO: i/o error, fdatasync');
  disk.sync.inline = () => {
    throw boom;
  };
  await assert.rejects(s.flush(3), /EIO/);
  const pooledFails = new AdaptiveSync({ inline: disk.sync.inline, pooled: async () => Promise.reject(boom) }, disk.now);
  assert.equal(pooledFails.inline, false);
  await assert.rejects(pooledFails.flush(3), /EIO/);
});
