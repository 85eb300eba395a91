import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from './sqlite.js';
import { KeyExistsError } from './store.js';
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

/** A WAL flush the test ends by hand, counting how many were asked for. */
function manualSync() {
  const waiting: Array<{ resolve(): void; reject(e: Error): void }> = [];
  return {
    waiting,
    calls: 0,
    syncWal() {
      this.calls++;
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));

test('sqlite: a write is acknowledged, read and watched only after the WAL flush that covers it', async () => {
  const sync = manualSync();
  const s = new SqliteStore(join(dir, 'flush.db'), { syncWal: () => sync.syncWal() });
  try {
    const start = await s.currentRevision();
    const seen: string[] = [];
    s.watch(
      '/k',
      start,
      (events) => seen.push(...events.map((e) => e.kv.key)),
      () => {},
    );
    let acked = false;
    const first = s.create('/k/a', '1').then((kv) => ((acked = true), kv));
    await turn();
    assert.equal(sync.waiting.length, 1, 'the commit asked for a flush');
    assert.equal(acked, false);
    assert.equal(await s.get('/k/a'), undefined, 'not readable before it is on disk');
    assert.equal((await s.list('/k')).items.length, 0);
    assert.equal(await s.currentRevision(), start);
    assert.deepEqual(seen, []);
    // Committed while the first flush runs: waits for the next one, which covers both of these.
    const second = s.create('/k/b', '2');
    const third = s.create('/k/c', '3');
    await turn();
    assert.equal(sync.waiting.length, 1, 'one flush at a time');
    sync.waiting.shift()!.resolve();
    const a = await first;
    assert.equal(a.modRevision, start + 1);
    assert.deepEqual(seen, ['/k/a']);
    assert.equal((await s.get('/k/a'))?.value, '1');
    assert.equal(await s.get('/k/b'), undefined, 'b is committed but not flushed yet');
    await turn();
    assert.equal(sync.waiting.length, 1, 'the next flush started at once');
    // A watch started now replays only what is acknowledged, then gets the rest when it is.
    const late: string[] = [];
    s.watch(
      '/k',
      start,
      (events) => late.push(...events.map((e) => e.kv.key)),
      () => {},
    );
    sync.waiting.shift()!.resolve();
    await Promise.all([second, third]);
    assert.deepEqual(seen, ['/k/a', '/k/b', '/k/c']);
    assert.deepEqual(late, ['/k/a', '/k/b', '/k/c'], 'nothing missed or seen twice');
    assert.equal(await s.currentRevision(), start + 3);
    assert.equal(sync.calls, 2);
  } finally {
    const closing = s.close();
    for (const w of sync.waiting.splice(0)) w.resolve();
    await closing;
  }
});

test('sqlite: a refused write is answered in order, after the flush of the write it conflicts with', async () => {
  const sync = manualSync();
  const s = new SqliteStore(join(dir, 'flush-conflict.db'), { syncWal: () => sync.syncWal() });
  try {
    const created = s.create('/x', '1');
    const again = s.create('/x', '2').then(
      () => 'created',
      (e: Error) => (e instanceof KeyExistsError ? 'exists' : e.message),
    );
    await turn();
    let answered = false;
    void again.then(() => (answered = true));
    await turn();
    assert.equal(answered, false, 'the refusal names a value not on disk yet: it waits');
    sync.waiting.shift()!.resolve();
    await created;
    assert.equal(await again, 'exists');
  } finally {
    const closing = s.close();
    for (const w of sync.waiting.splice(0)) w.resolve();
    await closing;
  }
});

test('sqlite: a failed WAL flush acknowledges nothing and refuses later writes, saying why', async () => {
  const sync = manualSync();
  const s = new SqliteStore(join(dir, 'flush-fail.db'), { syncWal: () => sync.syncWal() });
  const w = s.create('/y', '1');
  await turn();
  sync.waiting.shift()!.reject(new Error('EIO: i/o error, fdatasync'));
  await assert.rejects(w, /could not be flushed to disk \(EIO: i\/o error, fdatasync\); restart the server/);
  await assert.rejects(s.create('/z', '1'), /could not be flushed to disk/);
  assert.equal(await s.get('/y'), undefined);
  await s.close();
});

test('sqlite: close waits for the flush in flight and acknowledges what it covers', async () => {
  const sync = manualSync();
  const path = join(dir, 'flush-close.db');
  const s = new SqliteStore(path, { syncWal: () => sync.syncWal() });
  const w = s.create('/q', 'v');
  await turn();
  let closed = false;
  const closing = s.close().then(() => (closed = true));
  await turn();
  assert.equal(closed, false);
  sync.waiting.shift()!.resolve();
  await closing;
  assert.equal((await w).key, '/q');
  const again = new SqliteStore(path);
  try {
    assert.equal((await again.get('/q'))?.value, 'v');
  } finally {
    await again.close();
  }
});
