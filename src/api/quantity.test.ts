import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QuantityError } from './quantity.js';

test('quantities print in upstream canonical form', () => {
  const cases: [string, string, number][] = [
    ['0.5', '500m', 500], ['1000m', '1', 1000], ['2048Ki', '2Mi', 2097152000], ['1536Mi', '1536Mi', 1610612736000], ['1.5Gi', '1536Mi', 1610612736000],
    ['2000', '2k', 2000000], ['1500', '1500', 1500000], ['1e3', '1e3', 1000000], ['0.1', '100m', 100], ['1023Ki', '1023Ki', 1047552000],
    ['512', '512', 512000], ['0.0000000001', '1n', 1], ['-1', '-1', -1000], ['100M', '100M', 100000000000],
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
