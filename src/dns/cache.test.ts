import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as packet from 'dns-packet';
import { ResponseCache, cacheTtl, type CachedAnswer } from './cache.js';

const a = (ttl: number, data = '192.0.2.1'): packet.Answer => ({ type: 'A', name: 'x.example', ttl, data });
const soa = (ttl: number, minimum: number): packet.Answer => ({
  type: 'SOA',
  name: 'example',
  ttl,
  data: { mname: 'ns.example', rname: 'h.example', minimum },
});
const answer = (rcode: number, answers: packet.Answer[], authorities: packet.Answer[] = []): CachedAnswer => ({
  rcode,
  flags: 0,
  answers,
  authorities,
  additionals: [],
});

test('how long an answer is kept: its smallest TTL (at most an hour); a negative one its SOA TTL or minimum, the smaller; failures not at all', () => {
  assert.equal(cacheTtl(answer(0, [a(300), a(60)])), 60);
  assert.equal(cacheTtl(answer(0, [a(86400)])), 3600);
  assert.equal(cacheTtl(answer(3, [], [soa(900, 30)])), 30);
  assert.equal(cacheTtl(answer(0, [], [soa(20, 600)])), 20);
  assert.equal(cacheTtl(answer(3, [], [soa(86400, 86400)])), 1800);
  assert.equal(cacheTtl(answer(3, [])), 5);
  assert.equal(cacheTtl(answer(2, [])), 0);
  assert.equal(cacheTtl(answer(5, [a(300)])), 0);
});

test('a cached answer comes back with its TTLs counted down, and is gone once expired; SERVFAIL is never kept', () => {
  let now = 1_000_000;
  const c = new ResponseCache(100, () => now);
  const key = ResponseCache.key('X.example', 'A', 'IN', false);
  assert.equal(key, ResponseCache.key('x.example', 'A', 'IN', false));
  c.put(key, answer(0, [a(60)]));
  now += 15_500;
  assert.deepEqual(
    c.get(key)!.answers.map((r) => (r as packet.StringAnswer).ttl),
    [45],
  );
  now += 45_000;
  assert.equal(c.get(key), undefined);
  c.put('fail', answer(2, []));
  assert.equal(c.get('fail'), undefined);
  const nx = ResponseCache.key('gone.example', 'A', 'IN', false);
  c.put(nx, answer(3, [], [soa(60, 10)]));
  now += 9_000;
  assert.equal(c.get(nx)!.rcode, 3);
  now += 1_000;
  assert.equal(c.get(nx), undefined);
});

test('a full cache lets its oldest entry go', () => {
  const c = new ResponseCache(2, () => 0);
  c.put('a', answer(0, [a(60)]));
  c.put('b', answer(0, [a(60)]));
  c.put('c', answer(0, [a(60)]));
  assert.equal(c.size, 2);
  assert.equal(c.get('a'), undefined);
  assert.ok(c.get('b') && c.get('c'));
});
