import { mkdtempSync, rmSync } from 'node:fs';
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
