import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CIPHER_SUITES, tlsSettings } from './tls-options.js';

test('tls options: the default is TLS 1.2+ with ECDHE AES-GCM / ChaCha20 suites and the TLS 1.3 suites only', () => {
  const t = tlsSettings();
  assert.equal(t.minVersion, 'TLSv1.2');
  const suites = t.ciphers.split(':');
  assert.deepEqual(suites.slice(0, 3), ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
  assert.equal(suites.length, 3 + DEFAULT_CIPHER_SUITES.length);
  for (const s of suites.slice(3)) assert.match(s, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
  assert.deepEqual(t.warnings, []);
});

test('tls options: upstream names map to OpenSSL names; insecure ones warn; TLS 1.3 names are accepted', () => {
  const t = tlsSettings('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,TLS_AES_128_GCM_SHA256', 'VersionTLS13');
  assert.equal(t.minVersion, 'TLSv1.3');
  assert.ok(t.ciphers.endsWith(':ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA'), t.ciphers);
  assert.deepEqual(t.warnings, ['cipher suite TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA is insecure']);
});

test('tls options: unknown suites and versions are one clear error', () => {
  assert.throws(
    () => tlsSettings('TLS_RSA_WITH_RC4_128_SHA'),
    /--tls-cipher-suites: unknown or unsupported cipher suite "TLS_RSA_WITH_RC4_128_SHA"; supported: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/,
  );
  assert.throws(() => tlsSettings(undefined, 'VersionTLS11'), /--tls-min-version: "VersionTLS11" is not one of VersionTLS12, VersionTLS13/);
  assert.throws(() => tlsSettings('TLS_AES_128_GCM_SHA256'), /names no TLS 1.2 suite/);
});
