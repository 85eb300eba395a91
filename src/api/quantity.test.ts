import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QuantityError, QuantityRangeError } from './quantity.js';

test('quantities print in upstream canonical form', () => {
  const cases: [string, string, number][] = [
    ['0.5', '500m', 500],
    ['1000m', '1', 1000],
    ['2048Ki', '2Mi', 2097152000],
    ['1536Mi', '1536Mi', 1610612736000],
    ['1.5Gi', '1536Mi', 1610612736000],
    ['2000', '2k', 2000000],
    ['1500', '1500', 1500000],
    ['1e3', '1e3', 1000000],
    ['0.1', '100m', 100],
    ['1023Ki', '1023Ki', 1047552000],
    ['512', '512', 512000],
    ['0.0000000001', '1n', 1],
    ['-1', '-1', -1000],
    ['100M', '100M', 100000000000],
  ];
  for (const [input, canonical, milli] of cases) {
    const q = Quantity.parse(input);
    assert.equal(q.toString(), canonical, input);
    assert.equal(q.milliValue(), milli, input);
  }
});

test('comparison and arithmetic are exact', () => {
  assert.equal(Quantity.parse('1Gi').cmp(Quantity.parse('1073741824')), 0);
  assert.equal(Quantity.parse('1G').cmp(Quantity.parse('1Gi')), -1);
  assert.equal(Quantity.parse('100m').add(Quantity.parse('0.9')).toString(), '1');
  assert.equal(Quantity.parse('1').sub(Quantity.parse('1500m')).toString(), '-500m');
});

test('malformed quantities are refused', () => {
  for (const bad of ['', 'lots', '1.2.3', '1Qi', '--1', 'm', '1 Gi']) assert.throws(() => Quantity.parse(bad), QuantityError, bad);
});

test('quantities beyond int64 are refused, binary ones capped as upstream', () => {
  for (const big of ['1e1000000', '1e19', '10E', '-1e100', '99999999999999999999', '1e99999999999999999999']) {
    assert.throws(() => Quantity.parse(big), QuantityRangeError, big);
  }
  assert.equal(Quantity.parse('9223372036854775807').toString(), '9223372036854775807');
  assert.equal(Quantity.parse('8Ei').toString(), '9223372036854775807');
  assert.equal(Quantity.parse('1e-1000000').toString(), '1e-9', 'tiny values round up to one nano');
  assert.equal(Quantity.parse('0.000000000000000000000000001Ki').toString(), '1n');
  assert.equal(Quantity.parse('1.5Ki').toString(), '1536');
});

test('parsing and arithmetic take time linear in the digits', () => {
  // Each of these took seconds to minutes when exponents were aligned and zeros stripped one
  // digit at a time; a 3 MiB request body bounds how long a quantity can be.
  const inputs = [
    '1e10000000',
    '1' + '0'.repeat(3_000_000),
    '0.' + '0'.repeat(3_000_000) + '1',
    '1.' + '0'.repeat(3_000_000) + '1',
    '1' + '0'.repeat(3_000_000) + 'x',
    '7'.repeat(3_000_000) + 'Ki',
  ];
  const start = performance.now();
  for (const s of inputs) {
    const q = Quantity.tryParse(s);
    if (q) q.add(Quantity.parse('1m')).cmp(Quantity.parse('1'));
  }
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
  assert.equal(Quantity.parse('1.' + '0'.repeat(100_000) + '1').toString(), '1000000001n');
  assert.equal(Quantity.parse('7'.repeat(100) + 'Ki').toString(), '9223372036854775807');
});
