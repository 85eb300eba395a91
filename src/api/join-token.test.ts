import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { caBundleHash, formatJoinToken, parseJoinToken } from './join-token.js';

const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test("a full token pins the SHA-256 of the CA bundle's bytes, as k3s's", () => {
  const hex = createHash('sha256').update(Buffer.from(pem)).digest('hex');
  assert.equal(caBundleHash(pem), hex);
  const token = formatJoinToken(pem, 's3cret-s3cret-s3cret');
  assert.equal(token, `K10${hex}::server:s3cret-s3cret-s3cret`);
  assert.deepEqual(parseJoinToken(`${token}\n`), { caHash: hex, secret: 's3cret-s3cret-s3cret' });
  // k3s also takes a bare secret after the separator, and upper-case hex.
  assert.deepEqual(parseJoinToken(`K10${hex.toUpperCase()}::abc`), { caHash: hex, secret: 'abc' });
});

test('a short token is the secret alone; malformed tokens say what is wrong', () => {
  assert.deepEqual(parseJoinToken('just-a-secret'), { secret: 'just-a-secret' });
  assert.throws(() => parseJoinToken('  '), /the token is empty/);
  assert.throws(() => parseJoinToken('K10abc::server:x'), /CA hash is not 64 hex digits/);
  assert.throws(() => parseJoinToken(`K10${'a'.repeat(64)}::server:`), /no secret after its CA hash/);
  assert.throws(() => parseJoinToken('two words'), /white space/);
});
