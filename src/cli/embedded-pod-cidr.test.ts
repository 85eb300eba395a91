import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1';
import { freeRangeFor } from './embedded-pod-cidr.js';

const node = (name: string, podCIDR?: string): Node => ({ metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) });

test('without a controller manager the server picks its node a range no other node holds', () => {
  const nodes = [node('a', '10.42.0.0/24'), node('sim', '10.42.1.128/25'), node('far', '10.244.0.0/24'), node('me')];
  assert.equal(freeRangeFor(nodes, 'me', '10.42.0.0/16', 24), '10.42.2.0/24');
  assert.equal(freeRangeFor([], 'me', '10.42.0.0/16', 24), '10.42.0.0/24', 'a first start');
});

test('a node with a range keeps it; a full cluster range gives none', () => {
  assert.equal(freeRangeFor([node('me', '10.42.9.0/24')], 'me', '10.42.0.0/16', 24), undefined);
  assert.equal(freeRangeFor([node('a', '10.42.0.0/25'), node('b', '10.42.0.128/25')], 'me', '10.42.0.0/24', 25), undefined);
});
