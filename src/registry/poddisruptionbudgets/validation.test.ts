import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { podDisruptionBudgetValidator } from './validation.js';
import { podDisruptionBudgetPrinter } from './printer.js';

const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>): KObject => ({
  metadata: { name: 'b', namespace: 'n' },
  spec,
  ...(status ? { status } : {}),
});
const messages = (o: KObject) => podDisruptionBudgetValidator.create(o).map(fieldErrorMessage);

test('pdb: counts and percentages up to 100%, not both fields, a valid selector and eviction policy', () => {
  assert.deepEqual(messages(pdb({ minAvailable: 1, selector: { matchLabels: { app: 'x' } } })), []);
  assert.deepEqual(messages(pdb({ maxUnavailable: '25%', selector: {}, unhealthyPodEvictionPolicy: 'AlwaysAllow' })), []);
  assert.deepEqual(messages(pdb({ minAvailable: 1, maxUnavailable: '10%' })), [
    'spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:1, MaxUnavailable:"10%"}: minAvailable and maxUnavailable cannot be both set',
  ]);
  assert.deepEqual(messages(pdb({ minAvailable: -1 })), ['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(messages(pdb({ maxUnavailable: '120%' })), ['spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%']);
  assert.match(messages(pdb({ minAvailable: 'half' }))[0]!, /^spec.minAvailable: Invalid value: "half": a valid percent string must be/);
  assert.deepEqual(messages(pdb({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' })), [
    'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
  ]);
  assert.deepEqual(
    messages(pdb({ minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } })).map((m) => m.split(':')[0]),
    ['spec.selector.matchExpressions[0].values'],
  );
  assert.deepEqual(podDisruptionBudgetValidator.updateStatus!(pdb({ minAvailable: 1 }, { disruptionsAllowed: -1 }), pdb({})).map(fieldErrorMessage), [
    'status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0',
  ]);
});

test('pdb printer: N/A for the field not set, allowed disruptions from status', () => {
  const o = pdb({ minAvailable: '50%' }, { disruptionsAllowed: 2 });
  o.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  assert.deepEqual(podDisruptionBudgetPrinter.cells(o, new Date('2026-01-01T00:00:30Z')), ['b', '50%', 'N/A', 2, '30s']);
  assert.deepEqual(
    podDisruptionBudgetPrinter.columns.map((c) => c.name),
    ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'],
  );
});
