import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertiseAddress } from './advertise-address.js';

test('the flag wins; then a specific listen address; then the node IP', () => {
  const node = () => '192.168.5.7';
  assert.deepEqual(advertiseAddress('10.1.2.3', '127.0.0.1', node), { address: '10.1.2.3' });
  assert.deepEqual(advertiseAddress(undefined, '10.9.9.9', node), { address: '10.9.9.9' });
  assert.deepEqual(advertiseAddress(undefined, '127.0.0.1', node), { address: '192.168.5.7' });
  assert.deepEqual(advertiseAddress(undefined, '0.0.0.0', node), { address: '192.168.5.7' });
});

test('never a loopback address: a bad flag is an error, a machine without addresses gets none', () => {
  assert.throws(() => advertiseAddress('127.0.0.1', '0.0.0.0'), /cannot be reached from pods/);
  assert.throws(() => advertiseAddress('not-an-ip', '0.0.0.0'), /must be an IPv4 address, got "not-an-ip"/);
  assert.equal(advertiseAddress(undefined, '127.0.0.1', () => '127.0.0.1').address, undefined);
});
