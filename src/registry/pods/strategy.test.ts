import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { ApiError } from '../../apiserver/errors.js';
import { podStrategy as s } from './strategy.js';

const pod = (spec: Record<string, unknown>, status?: Record<string, unknown>): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec,
  ...(status ? { status } : {}),
});
const lookups = (classes: KObject[]) => ({
  getNamespace: () => undefined,
  listPriorityClasses: () => classes,
  getServiceAccount: () => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }),
});
const pc = (name: string, value: number, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  ...extra,
});

test('a pod asks admission to look up its ServiceAccount and PriorityClass, and only those', () => {
  assert.deepEqual(s.admissionLookups!(pod({ priorityClassName: 'high', serviceAccountName: 'robot' })), [
    ['serviceaccounts', 'robot'],
    ['priorityclasses.scheduling.k8s.io', 'high'],
  ]);
  assert.deepEqual(s.admissionLookups!(pod({})), [['serviceaccounts', 'default']]);
});

test('Priority admission: the named class, the global default, or 0', () => {
  const named = pod({ priorityClassName: 'high' });
  s.prepareForCreate!(named, lookups([pc('high', 1000, { preemptionPolicy: 'Never' })]));
  assert.equal((named.spec as { priority: number }).priority, 1000);
  assert.equal((named.spec as { preemptionPolicy: string }).preemptionPolicy, 'Never');
  const defaulted = pod({});
  s.prepareForCreate!(defaulted, lookups([pc('low', 5, { globalDefault: true }), pc('other', 7)]));
  assert.equal((defaulted.spec as { priorityClassName: string }).priorityClassName, 'low');
  assert.equal((defaulted.spec as { priority: number }).priority, 5);
  const none = pod({});
  s.prepareForCreate!(none, lookups([]));
  assert.equal((none.spec as { priority: number }).priority, 0);
  assert.equal((none.spec as { preemptionPolicy: string }).preemptionPolicy, 'PreemptLowerPriority');
});

test('Priority admission refuses a missing class and a priority set by hand, with upstream messages', () => {
  assert.throws(
    () => s.prepareForCreate!(pod({ priorityClassName: 'nope' }), lookups([])),
    (e) => e instanceof ApiError && e.code === 403 && e.message === 'pods "p" is forbidden: no PriorityClass with name nope was found',
  );
  assert.throws(
    () => s.prepareForCreate!(pod({ priority: 3 }), lookups([])),
    (e) => e instanceof ApiError && e.code === 403 && /priority admission controller computed 0 from the given PriorityClass name$/.test(e.message),
  );
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
