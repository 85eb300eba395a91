import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceByKey, resources } from '../api/registry.js';
import { strategyFor } from './index.js';

test('every kind with a strategy is a served resource, and the others get the generic one', () => {
  assert.equal(strategyFor(resourceByKey('nodes')).keepsStatusOnCreate, true);
  assert.equal(strategyFor(resourceByKey('pods')).keepsStatusOnCreate, undefined);
  assert.equal(typeof strategyFor(resourceByKey('pods')).gracePeriod, 'function');
  assert.equal(typeof strategyFor(resourceByKey('namespaces')).markForDeletion, 'function');
  assert.equal(typeof strategyFor(resourceByKey('certificatesigningrequests.certificates.k8s.io')).resetFields, 'function');
  assert.deepEqual(strategyFor(resourceByKey('configmaps')), {});
  // Every resource resolves to some strategy (no lookup throws).
  for (const r of resources) assert.equal(typeof strategyFor(r), 'object');
});
