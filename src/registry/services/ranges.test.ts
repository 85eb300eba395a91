import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceNetwork, parseNodePortRange, parseServiceCidr } from './network.js';
import { clusterIPRange, lowBandSize, nodePortRange, pickFree } from './ranges.js';
import { formatIp, parseIp } from '../../api/cidr.js';

test('the low bands are upstream sizes: 256 addresses of a /16, 16 of a /24, 86 ports of 30000-32767', () => {
  assert.equal(clusterIPRange(serviceNetwork('10.43.0.0/16')).lowBand, 256);
  assert.equal(clusterIPRange(serviceNetwork('10.43.0.0/24')).lowBand, 16);
  assert.equal(lowBandSize(8, 16, 256, 16), 0);
  assert.equal(nodePortRange(serviceNetwork()).lowBand, 86);
});

test('dynamic picks come from above the low band, never the network, broadcast or first address', () => {
  const r = clusterIPRange(serviceNetwork('10.43.0.0/16'));
  assert.equal(formatIp(r.first), '10.43.0.1');
  assert.equal(formatIp(r.last), '10.43.255.254');
  // The lowest random start lands right above the band; the highest on the last address.
  assert.equal(formatIp(pickFree(r, new Set(), () => 0)!), '10.43.1.1');
  const upper = r.last - (r.first + r.lowBand) + 1;
  assert.equal(formatIp(pickFree(r, new Set(), () => upper - 1)!), '10.43.255.254');
});

test('a full upper band falls back to the low band, skipping the first address; a full range gives nothing', () => {
  const r = clusterIPRange(serviceNetwork('10.43.0.0/28'));
  // /28: 16 addresses, 14 usable, a low band of 16 covers them all: only that band is used.
  const taken = new Set<number>();
  for (let i = 0; i < 13; i++) {
    const v = pickFree(r, taken)!;
    assert.notEqual(formatIp(v), '10.43.0.1');
    assert.notEqual(formatIp(v), '10.43.0.0');
    assert.notEqual(formatIp(v), '10.43.0.15');
    taken.add(v);
  }
  assert.equal(pickFree(r, taken), undefined, 'only the request-only first address is left');
  const ports = nodePortRange({ serviceCidr: parseServiceCidr('10.43.0.0/16'), nodePorts: parseNodePortRange('30000-30099') });
  const all = new Set<number>();
  for (let v = 30016; v <= 30099; v++) all.add(v);
  assert.ok(pickFree(ports, all)! < 30016, 'the low band once the rest is taken');
});

test('flag values: ranges parsed as upstream, mistakes refused with the flag named', () => {
  assert.deepEqual(parseNodePortRange('30000-32767'), { base: 30000, size: 2768 });
  assert.deepEqual(parseNodePortRange('30000+100'), { base: 30000, size: 101 });
  assert.throws(() => parseNodePortRange('32767-30000'), /--service-node-port-range "32767-30000"/);
  assert.throws(() => parseNodePortRange('0-10'), /--service-node-port-range/);
  assert.throws(() => parseServiceCidr('10.0.0.0/8'), /too large/);
  assert.throws(() => parseServiceCidr('10.43.0.1/16'), /--service-cidr: .*host bits/);
  assert.equal(parseIp('10.43.0.1'), clusterIPRange(serviceNetwork()).first);
});
