import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/object.js';
import { ApiError } from '../../errors.js';
import { attributes, fixedLookups } from '../test-helpers.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';

const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team' } };
const ns = (extra: Partial<KObject> = {}): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, ...extra });

test('NamespaceLifecycle: creates in a missing namespace are NotFound, in a terminating one Forbidden', () => {
  assert.throws(
    () => namespaceLifecycle.admit!(attributes('configmaps', { object: cm })),
    (e) => e instanceof ApiError && e.code === 404 && e.message === 'namespaces "team" not found',
  );
  const terminating = ns({ metadata: { name: 'team', deletionTimestamp: '2026-01-01T00:00:00Z' } });
  assert.throws(
    () => namespaceLifecycle.admit!(attributes('configmaps', { object: cm, lookups: fixedLookups([terminating]) })),
    (e) =>
      e instanceof ApiError &&
      e.code === 403 &&
      e.message === 'configmaps "c" is forbidden: unable to create new content in namespace team because it is being terminated',
  );
  namespaceLifecycle.admit!(attributes('configmaps', { object: cm, lookups: fixedLookups([ns({ status: { phase: 'Active' } })]) }));
});

test('NamespaceLifecycle looks at namespaced creates only', () => {
  assert.equal(namespaceLifecycle.handles(attributes('configmaps', { object: cm })), true);
  assert.equal(namespaceLifecycle.handles(attributes('namespaces', { object: ns() })), false);
  assert.equal(namespaceLifecycle.handles(attributes('configmaps', { object: cm, operation: 'UPDATE', oldObject: cm })), false);
  assert.deepEqual(namespaceLifecycle.lookupsFor!(attributes('configmaps', { object: cm })), [['namespaces', undefined, 'team']]);
});
