import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { resourceQuotaPrinter } from './printer.js';
import { resourceQuotaValidator } from './validation.js';

const quota = (spec: unknown, status?: unknown): KObject => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'q', namespace: 'ns' },
  spec,
  ...(status ? { status } : {}),
});
const messages = (o: KObject) => resourceQuotaValidator.create(o).map(fieldErrorMessage);

test('ResourceQuota validation: quantities not negative, scopes known, fitting and not conflicting', () => {
  assert.deepEqual(messages(quota({ hard: { pods: '2', 'requests.cpu': '1', 'count/deployments.apps': '3' } })), []);
  assert.deepEqual(messages(quota({ hard: { pods: '-1' } })), ['spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0']);
  assert.deepEqual(messages(quota({ hard: { pods: '1' }, scopes: ['Sometimes'] })), [
    'spec.scopes: Unsupported value: "Sometimes": supported values: "Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"',
  ]);
  assert.deepEqual(messages(quota({ hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] })), [
    'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
  ]);
  assert.deepEqual(messages(quota({ hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort'] })), [
    'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
  ]);
});

test("the table is upstream's: requests and limits as used/hard, sorted", () => {
  const q = quota({}, { hard: { pods: '2', 'limits.cpu': '2', 'requests.memory': '1Gi' }, used: { pods: '1', 'limits.cpu': '500m', 'requests.memory': '0' } });
  const cells = resourceQuotaPrinter.cells(q, new Date());
  assert.deepEqual([cells[2], cells[3]], ['pods: 1/2, requests.memory: 0/1Gi', 'limits.cpu: 500m/2']);
});
