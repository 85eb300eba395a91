import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecryptError, ValueTransformer, storedBytes, storedKeyLabel, valueOfBytes } from './transformer.js';

const key32 = Buffer.from('0123456789abcdef0123456789abcdef');
const otherKey = Buffer.from('fedcba9876543210fedcba9876543210');
const storageKey = '/registry/secrets/default/db';
const secret = JSON.stringify({ kind: 'Secret', data: { password: Buffer.from('hunter2 é').toString('base64') } });

const cbc = (secretKey = key32, name = 'key1') => new ValueTransformer([{ type: 'aescbc', keys: [{ name, secret: secretKey }] }, { type: 'identity' }]);
const gcm = (secretKey = key32, name = 'key1') => new ValueTransformer([{ type: 'aesgcm', keys: [{ name, secret: secretKey }] }]);

test('aescbc: round trip, with the upstream prefix and a fresh IV each time', () => {
  const t = cbc();
  const a = t.toStorage(storageKey, secret);
  const b = t.toStorage(storageKey, secret);
  assert.ok(a.startsWith('k8s:enc:aescbc:v1:key1:'));
  assert.notEqual(a, b);
  assert.ok(!a.includes('hunter2') && !a.includes('password'));
  assert.equal(t.fromStorage(storageKey, a), secret);
  assert.equal(t.writer, 'aescbc:key1');
  assert.equal(storedKeyLabel(a), 'aescbc:key1');
});

test('aescbc: the layout is IV + AES-CBC with PKCS#7, as decrypted independently by the spec', () => {
  const stored = cbc().toStorage(storageKey, secret);
  const body = Buffer.from(stored.slice('k8s:enc:aescbc:v1:key1:'.length), 'latin1');
  assert.equal((body.length - 16) % 16, 0);
  const d = createDecipheriv('aes-256-cbc', key32, body.subarray(0, 16));
  d.setAutoPadding(false);
  const padded = Buffer.concat([d.update(body.subarray(16)), d.final()]);
  const pad = padded.at(-1)!;
  assert.ok(pad >= 1 && pad <= 16);
  assert.deepEqual([...padded.subarray(padded.length - pad)], new Array(pad).fill(pad));
  assert.equal(padded.subarray(0, padded.length - pad).toString('utf8'), secret);
});

test('aescbc: a value sealed independently by the spec reads back (a whole block of padding when aligned)', () => {
  const plain = Buffer.from('x'.repeat(32)); // block-aligned: PKCS#7 adds a full block
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key32, iv);
  c.setAutoPadding(false);
  const ct = Buffer.concat([c.update(Buffer.concat([plain, Buffer.alloc(16, 16)])), c.final()]);
  const stored = 'k8s:enc:aescbc:v1:key1:' + Buffer.concat([iv, ct]).toString('latin1');
  assert.equal(cbc().fromStorage(storageKey, stored), plain.toString());
});

test('aesgcm: nonce + ciphertext + tag, the storage key as authenticated data', () => {
  const t = gcm();
  const stored = t.toStorage(storageKey, secret);
  assert.ok(stored.startsWith('k8s:enc:aesgcm:v1:key1:'));
  const body = Buffer.from(stored.slice('k8s:enc:aesgcm:v1:key1:'.length), 'latin1');
  const d = createDecipheriv('aes-256-gcm', key32, body.subarray(0, 12));
  d.setAAD(Buffer.from(storageKey));
  d.setAuthTag(body.subarray(body.length - 16));
  assert.equal(Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8'), secret);
  assert.equal(t.fromStorage(storageKey, stored), secret);
  // The same bytes under another key do not open: values cannot be moved around.
  assert.throws(
    () => t.fromStorage('/registry/secrets/default/other', stored),
    (e: Error) => e instanceof DecryptError && /authentication/.test(e.message),
  );
});

test('aesgcm: a value sealed independently by the spec reads back', () => {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-128-gcm', key32.subarray(0, 16), nonce);
  c.setAAD(Buffer.from(storageKey));
  const ct = Buffer.concat([c.update(Buffer.from(secret)), c.final(), c.getAuthTag()]);
  const t = gcm(key32.subarray(0, 16), 'k');
  assert.equal(t.fromStorage(storageKey, 'k8s:enc:aesgcm:v1:k:' + Buffer.concat([nonce, ct]).toString('latin1')), secret);
});

test('a wrong key, or a key the configuration lacks, fails with a clear error', () => {
  const storedCbc = cbc().toStorage(storageKey, secret);
  const storedGcm = gcm().toStorage(storageKey, secret);
  // Same key name, other secret: CBC shows bad padding (or, by a 1/256 chance, garbage that is not the value).
  let plainOrError: string | Error;
  try {
    plainOrError = cbc(otherKey).fromStorage(storageKey, storedCbc);
  } catch (e) {
    plainOrError = e as Error;
  }
  assert.ok(plainOrError instanceof DecryptError || plainOrError !== secret);
  assert.throws(() => gcm(otherKey).fromStorage(storageKey, storedGcm), DecryptError);
  assert.throws(() => cbc(key32, 'key2').fromStorage(storageKey, storedCbc), /stored with aescbc:key1, which the encryption configuration does not hold/);
});

test('reading tries every provider and key; plain values read as they are', () => {
  const old = cbc(key32, 'old').toStorage(storageKey, secret);
  const rotated = new ValueTransformer([
    {
      type: 'aescbc',
      keys: [
        { name: 'new', secret: otherKey },
        { name: 'old', secret: key32 },
      ],
    },
    { type: 'aesgcm', keys: [{ name: 'g', secret: key32 }] },
    { type: 'identity' },
  ]);
  assert.equal(rotated.fromStorage(storageKey, old), secret);
  assert.equal(rotated.fromStorage(storageKey, gcm(key32, 'g').toStorage(storageKey, secret)), secret);
  assert.ok(rotated.toStorage(storageKey, secret).startsWith('k8s:enc:aescbc:v1:new:'));
  assert.equal(rotated.fromStorage(storageKey, secret), secret);
  assert.equal(storedKeyLabel(secret), 'identity');
  const identityFirst = new ValueTransformer([{ type: 'identity' }, { type: 'aescbc', keys: [{ name: 'old', secret: key32 }] }]);
  assert.equal(identityFirst.toStorage(storageKey, secret), secret);
  assert.equal(identityFirst.fromStorage(storageKey, old), secret);
});

test('an encrypted value is stored as its very bytes; plain values as UTF-8', () => {
  const stored = cbc().toStorage(storageKey, secret);
  const bytes = storedBytes(stored);
  assert.equal(bytes.length, stored.length);
  assert.equal(valueOfBytes(bytes), stored);
  assert.equal(valueOfBytes(storedBytes(secret)), secret);
  assert.deepEqual(storedBytes(secret), Buffer.from(secret, 'utf8'));
});
