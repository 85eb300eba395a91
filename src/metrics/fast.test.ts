import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FastCounter, FastHistogram } from './fast.js';
import { registry } from './registry.js';

/** The lines of one metric family in the registry's exposition. */
async function lines(name: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith(`${name}`) || l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `));
}

test('FastCounter: children by label values, exposed as a prom-client counter', async () => {
  const c = new FastCounter('test_fast_requests_total', 'Requests.', ['verb', 'code']);
  const get200 = c.child('GET', '200');
  get200.inc();
  get200.inc();
  c.child('GET', '200').inc(3);
  c.child('POST', '500').inc();
  assert.deepEqual(await lines('test_fast_requests_total'), [
    '# HELP test_fast_requests_total Requests.',
    '# TYPE test_fast_requests_total counter',
    'test_fast_requests_total{verb="GET",code="200"} 5',
    'test_fast_requests_total{verb="POST",code="500"} 1',
  ]);
  assert.throws(() => c.child('GET'), /2 label values wanted, got 1/);
});

test('FastHistogram: cumulative buckets with le, +Inf, _sum and _count, as Prometheus reads them', async () => {
  const h = new FastHistogram('test_fast_duration_seconds', 'Durations.', ['op'], [0.1, 1, 10]);
  const get = h.child('get');
  for (const v of [0.05, 0.1, 0.5, 2, 20]) get.observe(v);
  assert.deepEqual(await lines('test_fast_duration_seconds'), [
    '# HELP test_fast_duration_seconds Durations.',
    '# TYPE test_fast_duration_seconds histogram',
    // A value on a bound counts in that bucket (le: less or equal).
    'test_fast_duration_seconds_bucket{op="get",le="0.1"} 2',
    'test_fast_duration_seconds_bucket{op="get",le="1"} 3',
    'test_fast_duration_seconds_bucket{op="get",le="10"} 4',
    'test_fast_duration_seconds_bucket{op="get",le="+Inf"} 5',
    'test_fast_duration_seconds_sum{op="get"} 22.65',
    'test_fast_duration_seconds_count{op="get"} 5',
  ]);
});
