import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverLimits } from './server-limits-flags.js';

test('server limit flags: defaults as kube-apiserver, seconds to milliseconds', () => {
  const { limits, tls } = serverLimits({});
  assert.deepEqual(limits.inflight, { maxReadOnly: 400, maxMutating: 200 });
  assert.deepEqual(limits.connections, { requestTimeoutMs: 60_000, headerTimeoutMs: 10_000, handshakeTimeoutMs: 10_000, maxConnections: 0 });
  assert.equal(limits.watchHistoryBytes, 32 * 1024 * 1024);
  assert.equal(tls.minVersion, 'TLSv1.2');
  const small = serverLimits({ requestTimeout: '2', headerTimeout: '0.5', maxRequestsInflight: '0', maxConnections: '50', watchHistoryMib: '8' }).limits;
  assert.deepEqual(small.connections, { requestTimeoutMs: 2000, headerTimeoutMs: 500, handshakeTimeoutMs: 500, maxConnections: 50 });
  assert.equal(small.inflight!.maxReadOnly, 0);
  assert.equal(small.watchHistoryBytes, 8 * 1024 * 1024);
});

test('server limit flags: a bad value is one sentence naming the flag', () => {
  assert.throws(() => serverLimits({ maxRequestsInflight: '-1' }), /^Error: --max-requests-inflight must be a whole number \(0 for no limit\), got "-1"$/);
  assert.throws(() => serverLimits({ maxMutatingRequestsInflight: 'lots' }), /--max-mutating-requests-inflight must be a whole number/);
  assert.throws(() => serverLimits({ requestTimeout: '0' }), /--request-timeout must be a positive number of seconds, got "0"/);
  assert.throws(() => serverLimits({ headerTimeout: '30', requestTimeout: '5' }), /--header-timeout \(30 s\) must not exceed --request-timeout \(5 s\)/);
  assert.throws(() => serverLimits({ tlsMinVersion: 'VersionTLS10' }), /--tls-min-version/);
});
