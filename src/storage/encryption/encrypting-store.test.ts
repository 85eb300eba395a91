import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { SqliteStore } from '../sqlite.js';
import { storeSuite } from '../store-suite.js';
import { ConflictError, type StoreEvent } from '../store.js';
import { EncryptingStore } from './encrypting-store.js';
import { ValueTransformer } from './transformer.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-encrypting-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const key = Buffer.alloc(32, 3);
const aescbc = (name = 'k1', secret = key) => new ValueTransformer([{ type: 'aescbc', keys: [{ name, secret }] }, { type: 'identity' }]);

// Every key encrypted: the wrapper keeps every Store guarantee.
storeSuite('encrypting sqlite', async () => new EncryptingStore(new SqliteStore(join(dir, `suite${n++}.db`)), [{ prefix: '/', transformer: aescbc() }]));

const secretValue = JSON.stringify({ kind: 'Secret', metadata: { name: 's' }, data: { token: 'c2VjcmV0LXRva2Vu' } });
const routes = () => [{ prefix: '/registry/secrets/', transformer: aescbc() }];

function rawRows(path: string): Map<string, string> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM kv ORDER BY rev').all() as Array<{ key: string; value: string }>;
    return new Map(rows.map((r) => [r.key, r.value]));
  } finally {
    db.close();
  }
}

test('configured keys are ciphertext in the SQLite file, others plain; reads give the plain values', async () => {
  const path = join(dir, 'raw.db');
  const s = new EncryptingStore(new SqliteStore(path), routes());
  const created = await s.create('/registry/secrets/default/s', secretValue);
  assert.equal(created.value, secretValue);
  await s.create('/registry/configmaps/default/c', '{"data":{"k":"plain-config"}}');
  assert.equal((await s.get('/registry/secrets/default/s'))!.value, secretValue);
  assert.deepEqual(
    (await s.list('/registry/')).items.map((kv) => kv.value),
    ['{"data":{"k":"plain-config"}}', secretValue],
  );
  await s.close();
  const raw = rawRows(path);
  const stored = raw.get('/registry/secrets/default/s')!;
  assert.ok(stored.startsWith('k8s:enc:aescbc:v1:k1:'), stored.slice(0, 30));
  assert.ok(!stored.includes('c2VjcmV0LXRva2Vu') && !stored.includes('"kind"'));
  assert.equal(raw.get('/registry/configmaps/default/c'), '{"data":{"k":"plain-config"}}');
});

test('a plain value written before encryption was on reads back, and an update encrypts it', async () => {
  const path = join(dir, 'upgrade.db');
  const plain = new SqliteStore(path);
  const before = await plain.create('/registry/secrets/default/old', secretValue);
  await plain.close();
  const s = new EncryptingStore(new SqliteStore(path), routes());
  const kv = (await s.get('/registry/secrets/default/old'))!;
  assert.equal(kv.value, secretValue);
  assert.equal(kv.modRevision, before.modRevision);
  // Stale: an update that changes nothing must still write it (that is how it gets encrypted).
  assert.equal(kv.stale, true);
  await s.update(kv.key, kv.value, kv.modRevision);
  assert.equal((await s.get(kv.key))!.stale, undefined);
  await s.close();
  // After a rotation the value under the old key is stale again.
  const rotated = new EncryptingStore(new SqliteStore(path), [
    {
      prefix: '/registry/secrets/',
      transformer: new ValueTransformer([
        {
          type: 'aescbc',
          keys: [
            { name: 'k2', secret: Buffer.alloc(32, 8) },
            { name: 'k1', secret: key },
          ],
        },
      ]),
    },
  ]);
  const old = (await rotated.get(kv.key))!;
  assert.equal(old.value, secretValue);
  assert.equal(old.stale, true);
  await rotated.close();
  assert.ok(rawRows(path).get('/registry/secrets/default/old')!.startsWith('k8s:enc:aescbc:v1:k1:'));
});

test('watch events (and the value before an update or delete) come decrypted', async () => {
  const s = new EncryptingStore(new SqliteStore(join(dir, 'watch.db')), routes());
  try {
    const a = await s.create('/registry/secrets/ns/a', 'v1');
    const seen: StoreEvent[] = [];
    const h = s.watch(
      '/registry/secrets/',
      a.modRevision - 1,
      (evs) => seen.push(...evs),
      (e) => assert.fail(e),
    );
    const b = await s.update('/registry/secrets/ns/a', 'v2', a.modRevision);
    await s.delete('/registry/secrets/ns/a', b.modRevision);
    h.cancel();
    assert.deepEqual(
      seen.map((e) => [e.type, e.kv.value, e.prev?.value]),
      [
        ['create', 'v1', undefined],
        ['update', 'v2', 'v1'],
        ['delete', 'v2', 'v2'],
      ],
    );
  } finally {
    await s.close();
  }
});

test('a conflict hands back the current value decrypted (callers retry from it)', async () => {
  const s = new EncryptingStore(new SqliteStore(join(dir, 'conflict.db')), routes());
  try {
    const a = await s.create('/registry/secrets/ns/a', 'v1');
    await s.update(a.key, 'v2', a.modRevision);
    await assert.rejects(s.update(a.key, 'v3', a.modRevision), (e: unknown) => e instanceof ConflictError && e.current?.value === 'v2');
    await assert.rejects(s.delete(a.key, a.modRevision), (e: unknown) => e instanceof ConflictError && e.current?.value === 'v2');
  } finally {
    await s.close();
  }
});

test('reopened with another key, the value is refused with an error naming the key it was stored with', async () => {
  const path = join(dir, 'wrongkey.db');
  const s = new EncryptingStore(new SqliteStore(path), routes());
  await s.create('/registry/secrets/ns/a', secretValue);
  await s.close();
  const other = new EncryptingStore(new SqliteStore(path), [{ prefix: '/registry/secrets/', transformer: aescbc('k2', Buffer.alloc(32, 9)) }]);
  try {
    await assert.rejects(other.get('/registry/secrets/ns/a'), /stored with aescbc:k1, which the encryption configuration does not hold/);
    const errors: Error[] = [];
    other.watch(
      '/registry/secrets/',
      0,
      () => assert.fail('an unreadable event was delivered'),
      (e) => errors.push(e),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /cannot decrypt \/registry\/secrets\/ns\/a/);
  } finally {
    await other.close();
  }
});
