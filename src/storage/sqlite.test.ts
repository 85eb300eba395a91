import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from './sqlite.js';
import { storeSuite } from './store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeSuite('sqlite', async () => new SqliteStore(join(dir, `s${n++}.db`)));

test('sqlite: revision and data persist across reopen', async () => {
  const path = join(dir, 'reopen.db');
  let s = new SqliteStore(path);
  const kv = await s.create('/k', 'v');
  await s.delete('/k');
  await s.compact(await s.currentRevision());
  await s.close();
  s = new SqliteStore(path);
  try {
    assert.equal(await s.currentRevision(), kv.modRevision + 1);
    assert.equal(await s.compactedRevision(), kv.modRevision + 1);
    const kv2 = await s.create('/k', 'w');
    assert.equal(kv2.modRevision, kv.modRevision + 2);
  } finally {
    await s.close();
  }
});

test('the database file is private to its owner and locked against a second opener', async () => {
  const path = join(dir, 'private.db');
  const s = new SqliteStore(path);
  try {
    await s.create('/registry/secrets/default/x', '{"data":{"k":"dg=="}}');
    for (const f of [path, `${path}-wal`]) assert.equal(statSync(f).mode & 0o777, 0o600, `${f} is 0600`);
    // Another process opening the same file (a second server): refused, saying why.
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const D=require('better-sqlite3');const d=new D(${JSON.stringify(path)});d.pragma('busy_timeout=200');try{d.prepare('SELECT count(*) FROM kv').get();console.log('read')}catch(e){console.log(e.code)}`,
      ],
      {
        encoding: 'utf8',
        cwd: process.cwd(),
      },
    );
    assert.match(r.stdout, /SQLITE_BUSY/, `a second process can't read the locked store: ${r.stdout}${r.stderr}`);
    assert.throws(() => new SqliteStore(path), /is in use by another process/);
  } finally {
    await s.close();
  }
  // Closed: the next owner opens it.
  const again = new SqliteStore(path);
  assert.equal((await again.get('/registry/secrets/default/x'))?.value, '{"data":{"k":"dg=="}}');
  await again.close();
});
