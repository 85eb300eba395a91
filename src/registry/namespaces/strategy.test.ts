import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { ApiError } from '../../apiserver/errors.js';
import { namespaceStrategy as s } from './strategy.js';
import { fixedLookups } from '../../apiserver/admission/test-helpers.js';

const ns = (extra: Partial<KObject> = {}): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, ...extra });

test('a new namespace is Active with the kubernetes finalizer, whatever the client sent', () => {
  const o = ns({ spec: { finalizers: ['mine'] }, status: { phase: 'Terminating' } });
  s.prepareForCreate!(o, fixedLookups());
  assert.deepEqual(o.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(o.status, { phase: 'Active' });
});

test('spec.finalizers change through namespaces/finalize only', () => {
  const current = ns({ spec: { finalizers: ['kubernetes'] } });
  const main = ns({ spec: { finalizers: [] } });
  s.prepareForUpdate!(main, current, '');
  assert.deepEqual(main.spec, { finalizers: ['kubernetes'] });
  const fin = ns({ spec: { finalizers: [] } });
  s.prepareForUpdate!(fin, current, 'finalize');
  assert.deepEqual(fin.spec, { finalizers: [] });
});

test('the cluster namespaces may not be deleted, with upstream message', () => {
  for (const name of ['default', 'kube-system', 'kube-public']) {
    assert.throws(
      () => s.validateDelete!(name),
      (e) => e instanceof ApiError && e.code === 403 && e.message === `namespaces "${name}" is forbidden: this namespace may not be deleted`,
    );
  }
  assert.doesNotThrow(() => s.validateDelete!('team'));
  assert.doesNotThrow(() => s.validateDelete!('kube-node-lease'));
});

test('a delete marks a namespace with finalizers Terminating and keeps it; without them it goes', () => {
  const held = ns({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  assert.equal(s.holdsDeletion!(held), true);
  assert.equal(s.markForDeletion!(held, {}), true);
  assert.equal((held.status as { phase: string }).phase, 'Terminating');
  assert.match(held.metadata.deletionTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(held.metadata.deletionGracePeriodSeconds, 0);
  const done = ns({ spec: { finalizers: [] }, status: { phase: 'Terminating' } });
  assert.equal(s.holdsDeletion!(done), false);
  assert.equal(s.markForDeletion!(done, {}), false);
  assert.equal(done.metadata.deletionTimestamp, undefined);
});
