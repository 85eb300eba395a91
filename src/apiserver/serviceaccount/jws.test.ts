import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHmac } from 'node:crypto';
import { JwsError, keyId, signJws, verifyJws } from './jws.js';

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

test('a signed token verifies with its public key and carries the payload and kid', () => {
  const { privateKey, publicKey } = pair();
  const kid = keyId(publicKey);
  const token = signJws({ sub: 'x', n: 1 }, privateKey, kid);
  const [h] = token.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(h!, 'base64url').toString()), { alg: 'RS256', kid });
  assert.deepEqual(verifyJws(token, [{ kid, key: publicKey }]), { sub: 'x', n: 1 });
  // The kid is the SHA-256 of the DER public key: 43 base64url characters, stable for a key.
  assert.match(kid, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(keyId(publicKey), kid);
});

test('another key, a changed payload, alg none or an HMAC forgery are refused', () => {
  const a = pair();
  const b = pair();
  const kidA = keyId(a.publicKey);
  const token = signJws({ sub: 'x' }, a.privateKey, kidA);
  assert.throws(() => verifyJws(token, [{ kid: keyId(b.publicKey), key: b.publicKey }]), JwsError);
  // Same kid but the wrong key material: still refused.
  assert.throws(() => verifyJws(token, [{ kid: kidA, key: b.publicKey }]), /invalid signature/);
  const [h, , s] = token.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${s}`;
  assert.throws(() => verifyJws(tampered, [{ kid: kidA, key: a.publicKey }]), /invalid signature/);
  const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.x`;
  assert.throws(() => verifyJws(none, [{ kid: kidA, key: a.publicKey }]), /unsupported algorithm none/);
  const pem = a.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: kidA })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}`;
  const forged = `${hs}.${createHmac('sha256', pem).update(hs).digest('base64url')}`;
  assert.throws(() => verifyJws(forged, [{ kid: kidA, key: a.publicKey }]), /unsupported algorithm HS256/);
  assert.throws(() => verifyJws('not-a-jwt', [{ kid: kidA, key: a.publicKey }]), /not a compact JWS/);
});
