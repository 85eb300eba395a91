import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceQuota } from 'kubernetes-types/core/v1';
import type { KObject } from '../object.js';
import { podConstraintError, prettyPrint, quotaMatches, toList, tracks, usageOf } from './usage.js';

const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec,
  ...extra,
});
const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>) => ({ name, image: 'x', resources: { requests, limits } });

test('a pod costs its object count, and while running its compute resources (init containers at their peak)', () => {
  const p = pod({ containers: [c('a', { cpu: '100m', memory: '64Mi' }, { cpu: '200m' }), c('b', { cpu: '100m' })], initContainers: [c('i', { cpu: '500m' })] });
  assert.deepEqual(toList(usageOf('pods', '', p)), {
    'count/pods': '1',
    cpu: '500m',
    'limits.cpu': '200m',
    memory: '64Mi',
    pods: '1',
    'requests.cpu': '500m',
    'requests.memory': '64Mi',
  });
  assert.deepEqual(toList(usageOf('pods', '', pod({ containers: [c('a', { cpu: '1' })] }, { status: { phase: 'Succeeded' } }))), { 'count/pods': '1' });
  assert.deepEqual(
    toList(usageOf('services', '', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{}, {}] } })),
    {
      'count/services': '1',
      services: '1',
      'services.nodeports': '2',
    },
  );
  assert.deepEqual(toList(usageOf('deployments', 'apps', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } })), {
    'count/deployments.apps': '1',
  });
});

test('which names a resource tracks, and scoped quotas match pods only', () => {
  assert.ok(tracks('pods', '', 'requests.cpu'));
  assert.ok(tracks('deployments', 'apps', 'count/deployments.apps'));
  assert.ok(!tracks('configmaps', '', 'pods'));
  const quota = (spec: ResourceQuota['spec']): ResourceQuota => ({ spec, status: { hard: { pods: '5', 'count/configmaps': '5' } } });
  const bestEffort = pod({ containers: [c('a')] });
  const burstable = pod({ containers: [c('a', { cpu: '1' })] });
  assert.ok(quotaMatches(quota({ scopes: ['BestEffort'] }), 'pods', '', bestEffort));
  assert.ok(!quotaMatches(quota({ scopes: ['BestEffort'] }), 'pods', '', burstable));
  assert.ok(!quotaMatches(quota({ scopes: ['BestEffort'] }), 'configmaps', '', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }));
  const high = pod({ containers: [c('a')], priorityClassName: 'high' });
  const sel = (operator: string, values?: string[]) => quota({ scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator, values }] } });
  assert.ok(quotaMatches(sel('In', ['high']), 'pods', '', high));
  assert.ok(!quotaMatches(sel('NotIn', ['high']), 'pods', '', high));
  assert.ok(!quotaMatches(sel('Exists'), 'pods', '', bestEffort));
  assert.ok(quotaMatches(quota({ scopes: ['Terminating'] }), 'pods', '', pod({ containers: [], activeDeadlineSeconds: 30 })));
  assert.ok(!quotaMatches(quota({ scopes: ['NotTerminating'] }), 'pods', '', pod({ containers: [], activeDeadlineSeconds: 30 })));
});

test("pod constraints and the quota's pretty print, in upstream's words", () => {
  const p = pod({ containers: [c('a', { cpu: '1' }), c('b')] }) as never;
  assert.equal(podConstraintError(p, ['requests.cpu', 'limits.memory', 'pods']), 'must specify limits.memory for: a,b; requests.cpu for: b');
  assert.equal(podConstraintError(p, ['pods']), undefined);
  assert.equal(prettyPrint(usageOf('pods', '', pod({ containers: [c('a', { cpu: '250m' })] }))), 'count/pods=1,cpu=250m,pods=1,requests.cpu=250m');
});
