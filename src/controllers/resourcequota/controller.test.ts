import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceQuota } from 'kubernetes-types/core/v1';
import type { KObject } from '../../api/object.js';
import { quotaStatus, trackingKind } from './controller.js';

const pod = (name: string, cpu: string, phase = 'Running'): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'team' },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }] },
  status: { phase },
});

test('the status is spec.hard and the usage of what exists: finished pods count as objects only', () => {
  const q: ResourceQuota = {
    metadata: { name: 'q', namespace: 'team' },
    spec: { hard: { pods: '10', 'requests.cpu': '2', 'count/pods': '10', 'count/deployments.apps': '3' } },
  };
  const objects: Record<string, KObject[]> = {
    'pods/': [pod('a', '100m'), pod('b', '250m'), pod('done', '1', 'Succeeded')],
    'deployments/apps': [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'team' } }],
  };
  const status = quotaStatus(q, (plural, group) => objects[`${plural}/${group}`]);
  assert.deepEqual(status, {
    hard: { pods: '10', 'requests.cpu': '2', 'count/pods': '10', 'count/deployments.apps': '3' },
    used: { 'count/deployments.apps': '1', 'count/pods': '3', pods: '2', 'requests.cpu': '350m' },
  });
});

test('a scoped quota counts only the pods in its scope', () => {
  const q: ResourceQuota = { metadata: { name: 'q' }, spec: { hard: { pods: '5' }, scopes: ['BestEffort'] } };
  const bestEffort: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'be' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  assert.deepEqual(
    quotaStatus(q, (p) => (p === 'pods' ? [bestEffort, pod('x', '1')] : [])),
    { hard: { pods: '5' }, used: { pods: '1' } },
  );
});

test('quota names map to the resource they count', () => {
  assert.deepEqual(trackingKind('count/deployments.apps'), ['deployments', 'apps']);
  assert.deepEqual(trackingKind('count/pods'), ['pods', '']);
  assert.deepEqual(trackingKind('limits.memory'), ['pods', '']);
  assert.deepEqual(trackingKind('services.loadbalancers'), ['services', '']);
  assert.equal(trackingKind('nonsense'), undefined);
});
