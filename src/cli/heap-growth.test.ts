import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitHeapGrowth } from './heap-growth.js';

test('heap growth is capped unless node was given its own --heap-growing-percent', () => {
  assert.equal(limitHeapGrowth(['--heap-growing-percent=80']), false);
  assert.equal(limitHeapGrowth(['--max-old-space-size=4096', '--heap-growing-percent', '20']), false);
  assert.equal(limitHeapGrowth(['--max-old-space-size=4096']), true);
});
