import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { podStrategy as s } from './strategy.js';

const pod = (spec: Record<string, unknown>, status?: Record<string, unknown>): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec,
  ...(status ? { status } : {}),
});

test('grace period: none for unscheduled or finished pods, else the request, the spec or 30 s', () => {
  assert.equal(s.gracePeriod!(pod({}), {}), 0);
  assert.equal(s.gracePeriod!(pod({ nodeName: 'n1' }, { phase: 'Succeeded' }), {}), 0);
  assert.equal(s.gracePeriod!(pod({ nodeName: 'n1' }, { phase: 'Failed' }), { gracePeriodSeconds: 10 }), 0);
  assert.equal(s.gracePeriod!(pod({ nodeName: 'n1' }), {}), 30);
  assert.equal(s.gracePeriod!(pod({ nodeName: 'n1', terminationGracePeriodSeconds: 5 }), {}), 5);
  assert.equal(s.gracePeriod!(pod({ nodeName: 'n1', terminationGracePeriodSeconds: 5 }), { gracePeriodSeconds: 0 }), 0);
  assert.equal(s.gracePeriod!(pod({ nodeName: 'n1' }), { gracePeriodSeconds: -3 }), 1);
});
