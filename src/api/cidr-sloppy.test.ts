import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidrSloppy } from './cidr-sloppy.js';

test('sloppy CIDRs: host bits cleared, leading zeros read as decimal, IPv6 by family', () => {
  assert.deepEqual(parseCidrSloppy('10.1.2.3/8'), { family: 4, network: '10.0.0.0/8' });
  assert.deepEqual(parseCidrSloppy('192.168.5.77/32'), { family: 4, network: '192.168.5.77/32' });
  assert.deepEqual(parseCidrSloppy('010.001.2.0/24'), { family: 4, network: '10.1.2.0/24' });
  assert.deepEqual(parseCidrSloppy('0.0.0.0/0'), { family: 4, network: '0.0.0.0/0' });
  assert.deepEqual(parseCidrSloppy('255.255.255.255/31'), { family: 4, network: '255.255.255.254/31' });
  assert.deepEqual(parseCidrSloppy('2001:db8::/64'), { family: 6 });
});

test('sloppy CIDRs: not a CIDR', () => {
  for (const bad of [
    '10.0.0.1',
    '10.0.0.0/33',
    '10.0.0/8',
    '256.0.0.0/8',
    '10.0.0.0/-1',
    '10.0.0.0/',
    'a.b.c.d/8',
    '2001:db8::/129',
    ':::/64',
    '10.0.0.0/8/8',
    '',
  ])
    assert.equal(parseCidrSloppy(bad), undefined, bad);
});
