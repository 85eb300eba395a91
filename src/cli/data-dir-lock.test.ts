import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, LOCK_FILE, lockDataDir, lockHolder } from './data-dir-lock.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'berth-lock-'));
}

test('a data dir lock names its holder, refuses a second live holder, and is given back', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = lockDataDir(dir);
  assert.equal(lockHolder(dir), process.pid);
  assert.equal(statSync(join(dir, LOCK_FILE)).mode & 0o777, 0o600);
  assert.throws(
    () => lockDataDir(dir),
    (e: unknown) => e instanceof DataDirInUseError && e.pid === process.pid && e.message.includes(`pid ${process.pid}`),
  );
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  assert.equal(lockHolder(dir), undefined);
});

test('a lock left by a dead process (kill -9) is stale and taken over', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  const deadPid = Number(r.stdout.trim());
  writeFileSync(join(dir, LOCK_FILE), `${deadPid} 12345\n`);
  assert.equal(lockHolder(dir), undefined);
  const lock = lockDataDir(dir);
  assert.match(readFileSync(join(dir, LOCK_FILE), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));
  lock.release();
});

test('a lock whose pid now belongs to another process (pid reuse) is stale', async (t) => {
  const dir = tempDir();
  const child = spawn('sleep', ['30']);
  t.after(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise((r) => child.once('spawn', r));
  // The live sleep's pid with a start time it never had: a reused pid, not the holder.
  writeFileSync(join(dir, LOCK_FILE), `${child.pid} 1\n`);
  assert.equal(lockHolder(dir), undefined);
  lockDataDir(dir).release();
});
