import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caBundleHash } from '../api/join-token.js';
import { ensureJoinToken } from './join-token-file.js';

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('DIR/token is made once (0600) and kept across starts; --token sets its secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-token-'));
  try {
    const a = ensureJoinToken(dir, ca);
    assert.equal(statSync(a.path).mode & 0o777, 0o600);
    assert.equal(readFileSync(a.path, 'utf8'), `${a.token}\n`);
    assert.equal(a.token, `K10${caBundleHash(ca)}::server:${a.secret}`);
    assert.deepEqual(ensureJoinToken(dir, ca), a, 'the next start reads it back');
    const given = ensureJoinToken(dir, ca, 'a-secret-of-my-own');
    assert.equal(given.secret, 'a-secret-of-my-own');
    assert.equal(ensureJoinToken(dir, ca).secret, 'a-secret-of-my-own', 'and keeps that one');
    // A whole token of this cluster is accepted; one of another CA or too short a secret is not.
    assert.equal(ensureJoinToken(dir, ca, given.token).secret, 'a-secret-of-my-own');
    assert.throws(() => ensureJoinToken(dir, ca, `K10${'0'.repeat(64)}::server:a-secret-of-my-own`), /--token: its CA hash 0{64} is not this server's CA/);
    assert.throws(() => ensureJoinToken(dir, ca, 'short'), /at least 16 characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
