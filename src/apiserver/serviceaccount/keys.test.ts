import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite.js';
import { jwks, loadSigningKey, verificationKeys } from './keys.js';
import { signJws, verifyJws } from './jws.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-sakeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the first server creates the key in the store; another server (own data dir) gets the same key and verifies its tokens', async () => {
  const store = new SqliteStore(join(dir, 'db.sqlite'));
  const first = await loadSigningKey(store, join(dir, 'a', 'service-account.key'));
  const second = await loadSigningKey(store, join(dir, 'b', 'service-account.key'));
  assert.equal(second.kid, first.kid);
  const token = signJws({ sub: 'x' }, first.privateKey, first.kid);
  assert.deepEqual(verifyJws(token, verificationKeys(second)), { sub: 'x' });
  const copy = join(dir, 'b', 'service-account.key');
  assert.equal(statSync(copy).mode & 0o777, 0o600);
  assert.match(readFileSync(copy, 'utf8'), /BEGIN PRIVATE KEY/);
  // Concurrent first starts agree too (one create wins, the other reads it).
  const fresh = new SqliteStore(join(dir, 'db2.sqlite'));
  const [x, y] = await Promise.all([loadSigningKey(fresh), loadSigningKey(fresh)]);
  assert.equal(x.kid, y.kid);
  assert.notEqual(x.kid, first.kid);
  await store.close();
  await fresh.close();
});

test("a data dir's key is used for a new store; the JWK set has upstream's fields", async () => {
  // Data dir a holds the key of db.sqlite (first test); a new, empty store takes it.
  const old = new SqliteStore(join(dir, 'db.sqlite'));
  const cluster = await loadSigningKey(old, join(dir, 'x', 'k'));
  assert.ok(existsSync(join(dir, 'x', 'k')));
  const store = new SqliteStore(join(dir, 'db3.sqlite'));
  const a = await loadSigningKey(store, join(dir, 'a', 'service-account.key'));
  assert.equal(a.kid, cluster.kid);
  const set = jwks(verificationKeys(a));
  assert.equal(set.keys.length, 1);
  assert.deepEqual(Object.keys(set.keys[0]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
  assert.deepEqual([set.keys[0]!.kty, set.keys[0]!.alg, set.keys[0]!.use, set.keys[0]!.e, set.keys[0]!.kid], ['RSA', 'RS256', 'sig', 'AQAB', a.kid]);
  await store.close();
  await old.close();
});
