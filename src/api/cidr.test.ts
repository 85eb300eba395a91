import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool, CidrError, NodeCidrAllocator, formatCidr, formatIp, parseCidr, parseIp } from './cidr.js';

test('parses and formats addresses and ranges', () => {
  assert.equal(parseIp('10.244.3.7'), ((10 * 256 + 244) * 256 + 3) * 256 + 7);
  assert.equal(formatIp(parseIp('255.255.255.255')!), '255.255.255.255');
  for (const bad of ['10.244.3', '10.244.3.256', '1.2.3.04', 'a.b.c.d', '']) assert.equal(parseIp(bad), undefined, bad);
  assert.equal(formatCidr(parseCidr('10.244.0.0/16')), '10.244.0.0/16');
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
  assert.throws(() => parseCidr('10.244.1.0/15'), /host bits set \(the network is 10\.244\.0\.0\/15\)/);
  assert.throws(() => parseCidr('10.244.0.0/33'), CidrError);
  assert.throws(() => parseCidr('10.244.0.0'), /invalid CIDR address: 10\.244\.0\.0/);
});

test('a /16 holds 256 node /24s, handed out in order, each once', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16');
  assert.equal(a.capacity, 256);
  const got = Array.from({ length: 256 }, () => formatCidr(a.allocate()!));
  assert.equal(got[0], '10.244.0.0/24');
  assert.equal(got[1], '10.244.1.0/24');
  assert.equal(got[255], '10.244.255.0/24');
  assert.equal(new Set(got).size, 256);
  assert.equal(a.allocate(), undefined, 'full');
  a.release('10.244.7.0/24');
  assert.equal(formatCidr(a.allocate()!), '10.244.7.0/24');
});

test('ranges nodes already have are skipped; foreign ones are not ours to occupy', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16');
  assert.equal(a.occupy('10.244.0.0/24'), true);
  assert.equal(a.occupy('10.244.0.0/24'), false, 'already taken');
  assert.equal(a.occupy('10.244.2.0/24'), true);
  assert.equal(a.occupy('10.99.0.0/24'), false, 'outside the cluster range');
  assert.equal(a.overlaps('10.99.0.0/24'), false);
  assert.equal(a.occupy('not a cidr'), false);
  assert.equal(a.overlaps('not a cidr'), false);
  assert.deepEqual(
    [a.allocate(), a.allocate()].map((c) => formatCidr(c!)),
    ['10.244.1.0/24', '10.244.3.0/24'],
  );
  assert.equal(a.free, 252);
});

test('a range of another size takes every node range it touches, as cidrset does', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16');
  assert.equal(a.occupy('10.244.4.128/25'), true, 'a /25 takes the /24 around it');
  assert.equal(a.isFree('10.244.4.0/24'), false);
  assert.equal(a.occupy('10.244.6.0/23'), true, 'a /23 takes two /24s');
  assert.equal(a.free, 253);
  assert.equal(a.isFree('10.244.7.0/24'), false);
  assert.equal(a.isFree('10.244.5.0/24'), true);
  a.release('10.244.6.0/23');
  assert.equal(a.isFree('10.244.6.0/24') && a.isFree('10.244.7.0/24'), true);
  // A range around the whole cluster range takes all of it; one beside it nothing.
  const b = new NodeCidrAllocator('10.42.0.0/24', 26);
  assert.equal(b.overlaps('10.0.0.0/8'), true);
  assert.equal(b.occupy('10.0.0.0/8'), true);
  assert.equal(b.free, 0);
  assert.equal(b.allocate(), undefined);
  assert.equal(b.overlaps('10.42.1.0/24'), false);
  assert.equal(b.isFree('10.42.1.0/24'), false, 'not ours to hand out');
});

test('released ranges come back only after the others (next-fit, as upstream)', () => {
  const a = new NodeCidrAllocator('10.42.0.0/24', 26);
  assert.deepEqual(
    [a.allocate(), a.allocate(), a.allocate()].map((c) => formatCidr(c!)),
    ['10.42.0.0/26', '10.42.0.64/26', '10.42.0.128/26'],
  );
  a.release('10.42.0.64/26');
  assert.equal(formatCidr(a.allocate()!), '10.42.0.192/26');
  assert.equal(formatCidr(a.allocate()!), '10.42.0.64/26', 'the only free one left');
  assert.equal(a.allocate(), undefined);
});

test('a /8 cut into /24s has room for 65536 nodes', () => {
  const a = new NodeCidrAllocator('10.0.0.0/8');
  assert.equal(a.capacity, 65536);
  for (let i = 0; i < 5000; i++) a.allocate();
  assert.equal(formatCidr(a.allocate()!), '10.19.136.0/24');
  assert.throws(() => new NodeCidrAllocator('10.0.0.0/24', 16), /does not fit/);
  assert.throws(() => new NodeCidrAllocator('0.0.0.0/0', 30), /2\^30 node ranges; at most 2\^24/);
});

test('a node /24 gives out .2 to .254, next-fit, and takes released addresses back later', () => {
  const p = new AddressPool('10.244.5.0/24');
  assert.equal(p.capacity, 253);
  assert.equal(p.allocate(), '10.244.5.2');
  assert.equal(p.allocate(), '10.244.5.3');
  p.release('10.244.5.2');
  // Next-fit: the released address is not handed out again right away.
  assert.equal(p.allocate(), '10.244.5.4');
  const rest: string[] = [];
  for (let ip = p.allocate(); ip; ip = p.allocate()) rest.push(ip);
  assert.equal(rest.length, 251);
  assert.equal(rest.at(-2), '10.244.5.254');
  assert.equal(rest.at(-1), '10.244.5.2', 'wrapped around to the released one');
  assert.equal(p.free, 0);
  assert.equal(p.allocate(), undefined);
  assert.equal(p.contains('10.244.5.255'), false, 'broadcast');
  assert.equal(p.contains('10.244.5.1'), false, 'gateway');
});

test('addresses found on pods are occupied so they are never handed out twice', () => {
  const p = new AddressPool('10.244.9.0/24');
  assert.equal(p.occupy('10.244.9.2'), true);
  assert.equal(p.occupy('10.244.9.2'), false);
  assert.equal(p.occupy('10.244.8.2'), false);
  assert.equal(p.allocate(), '10.244.9.3');
  const nodes = new AddressPool('172.16.0.0/12', { reserveLow: 1, reserveHigh: 1 });
  assert.equal(nodes.allocate(), '172.16.0.1');
  assert.equal(nodes.capacity, 2 ** 20 - 2);
});
