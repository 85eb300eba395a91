import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/object.js';
import { ApiError } from '../../errors.js';
import { attributes, fixedLookups } from '../test-helpers.js';
import { priority } from './priority.js';

const pod = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec });
const pc = (name: string, value: number, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  ...extra,
});
const admit = (p: KObject, classes: KObject[]) => priority.admit!(attributes('pods', { object: p, lookups: fixedLookups(classes) }));

test('Priority looks up the named PriorityClass, and only that, and handles pod creates only', () => {
  assert.deepEqual(priority.lookupsFor!(attributes('pods', { object: pod({ priorityClassName: 'high' }) })), [
    ['priorityclasses.scheduling.k8s.io', undefined, 'high'],
  ]);
  assert.deepEqual(priority.lookupsFor!(attributes('pods', { object: pod({}) })), []);
  assert.equal(priority.handles(attributes('pods', { object: pod({}) })), true);
  assert.equal(priority.handles(attributes('pods', { object: pod({}), operation: 'UPDATE', oldObject: pod({}) })), false);
  assert.equal(priority.handles(attributes('pods', { object: pod({}), subresource: 'status' })), false);
});

test('Priority: the named class, the global default, or 0', () => {
  const named = pod({ priorityClassName: 'high' });
  admit(named, [pc('high', 1000, { preemptionPolicy: 'Never' })]);
  assert.equal((named.spec as { priority: number }).priority, 1000);
  assert.equal((named.spec as { preemptionPolicy: string }).preemptionPolicy, 'Never');
  const defaulted = pod({});
  admit(defaulted, [pc('low', 5, { globalDefault: true }), pc('other', 7)]);
  assert.equal((defaulted.spec as { priorityClassName: string }).priorityClassName, 'low');
  assert.equal((defaulted.spec as { priority: number }).priority, 5);
  const none = pod({});
  admit(none, []);
  assert.equal((none.spec as { priority: number }).priority, 0);
  assert.equal((none.spec as { preemptionPolicy: string }).preemptionPolicy, 'PreemptLowerPriority');
});

test('Priority refuses a missing class and a priority set by hand, with upstream messages', () => {
  assert.throws(
    () => admit(pod({ priorityClassName: 'nope' }), []),
    (e) => e instanceof ApiError && e.code === 403 && e.message === 'pods "p" is forbidden: no PriorityClass with name nope was found',
  );
  assert.throws(
    () => admit(pod({ priority: 3 }), []),
    (e) => e instanceof ApiError && e.code === 403 && /priority admission controller computed 0 from the given PriorityClass name$/.test(e.message),
  );
});
