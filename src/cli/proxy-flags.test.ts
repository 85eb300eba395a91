import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTableName, podCidrOutsideWarning, proxyOptions } from './proxy-flags.js';

test('proxy flags: defaults as k3s, table berth', () => {
  assert.deepEqual(proxyOptions({}), { table: 'berth', clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16' });
  assert.deepEqual(proxyOptions({ proxyTable: 'berth-e2e_1', clusterCidr: '10.80.0.0/16', serviceCidr: '10.81.0.0/24' }), {
    table: 'berth-e2e_1',
    clusterCidr: '10.80.0.0/16',
    serviceCidr: '10.81.0.0/24',
  });
  assert.equal(proxyOptions({ disableProxy: true }), false);
});

test('proxy flags: bad values are one sentence naming the flag', () => {
  assert.throws(() => checkTableName('1abc'), /^Error: --proxy-table "1abc": a table name is a letter/);
  assert.throws(() => proxyOptions({ proxyTable: 'a b' }), /--proxy-table "a b"/);
  assert.throws(() => proxyOptions({ proxyTable: 'x'.repeat(65) }), /--proxy-table/);
  assert.throws(() => proxyOptions({ serviceCidr: 'fd00::/108' }), /^Error: --service-cidr fd00::\/108: only IPv4 ranges are supported$/);
  assert.throws(() => proxyOptions({ clusterCidr: '10.42.0.0/33' }), /^Error: --cluster-cidr: /);
  // Checked even when the proxy is off: a typo is a typo.
  assert.throws(() => proxyOptions({ disableProxy: true, proxyTable: '-x' }), /--proxy-table/);
});

test('proxy flags: a node podCIDR outside --cluster-cidr is named in a warning; inside, or none yet, is not', () => {
  assert.equal(podCidrOutsideWarning('10.42.0.0/16', '10.42.3.0/24'), undefined);
  assert.equal(podCidrOutsideWarning('10.42.0.0/16', '10.42.255.0/24'), undefined);
  assert.equal(podCidrOutsideWarning('10.42.0.0/16', undefined), undefined);
  assert.match(podCidrOutsideWarning('10.42.0.0/16', '10.214.5.0/26') ?? '', /podCIDR 10\.214\.5\.0\/26 is outside --cluster-cidr 10\.42\.0\.0\/16/);
  // Overlapping is not inside: a /15 podCIDR starting in the range ends outside it.
  assert.match(podCidrOutsideWarning('10.42.0.0/16', '10.42.0.0/15') ?? '', /is outside/);
});
