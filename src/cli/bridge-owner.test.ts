import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeOwner, claimBridge, forgetBridge } from './bridge-owner.js';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';

test('a bridge record tells a live owner from a stopped one, and refuses the live one', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-bridge-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const records = join(root, 'records');
  const a = join(root, 'a');
  const b = join(root, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const logs: string[] = [];
  // Nonexistent bridge name: nothing to reuse, only the record is written.
  claimBridge('btnone0', a, (m) => logs.push(m), records);
  assert.equal(readFileSync(join(records, 'btnone0'), 'utf8'), `${a}\n`);
  assert.deepEqual(bridgeOwner('btnone0', records), { dataDir: a });
  // a's owner is alive (this process holds a's lock): b may not take the bridge...
  const lock = lockDataDir(a);
  assert.deepEqual(bridgeOwner('btnone0', records), { dataDir: a, pid: process.pid });
  // ...but this process is the owner itself, so a claim from it is not refused; a record naming
  // another live pid is (simulated by a dir locked by a live child below).
  lock.release();
  claimBridge('btnone0', b, (m) => logs.push(m), records);
  assert.equal(bridgeOwner('btnone0', records)?.dataDir, b);
  forgetBridge('btnone0', records);
  assert.equal(bridgeOwner('btnone0', records), undefined);
  assert.deepEqual(logs, []);
});

test('a bridge a live berth of another data dir uses is refused, naming it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-bridge-'));
  const holder = spawn('sleep', ['30']);
  t.after(() => {
    holder.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  await new Promise((r) => holder.once('spawn', r));
  const records = join(root, 'records');
  const other = join(root, 'other');
  mkdirSync(other);
  claimBridge('btnone1', other, () => undefined, records);
  writeFileSync(join(other, LOCK_FILE), `${holder.pid}\n`);
  assert.throws(
    () => claimBridge('btnone1', join(root, 'mine'), () => undefined, records),
    new RegExp(`bridge btnone1 is in use by the berth running on ${other} \\(pid ${holder.pid}\\)`),
  );
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  // Its owner gone, the bridge is a leftover: taken over.
  claimBridge('btnone1', join(root, 'mine'), () => undefined, records);
  assert.equal(bridgeOwner('btnone1', records)?.dataDir, join(root, 'mine'));
});
