import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { Attributes } from './attributes.js';
import { ruleAllows } from './rules.js';

const user = { name: 'u', groups: [] };
const res = (verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({
  user,
  verb,
  resourceRequest: true,
  path: '',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace: 'ns',
  name: '',
  ...o,
});
const url = (verb: string, path: string): Attributes => ({ ...res(verb, ''), resourceRequest: false, path });

test('verbs, groups and resources match exactly or by *', () => {
  const r: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
  assert.equal(ruleAllows(res('get', 'pods'), r), true);
  assert.equal(ruleAllows(res('delete', 'pods'), r), false);
  assert.equal(ruleAllows(res('get', 'secrets'), r), false);
  assert.equal(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), r), false);
  assert.equal(ruleAllows(res('delete', 'deployments', { apiGroup: 'apps' }), { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), true);
});

test('a subresource is granted only by its own name, */sub, or *', () => {
  const log = res('get', 'pods', { subresource: 'log' });
  assert.equal(ruleAllows(log, { apiGroups: [''], resources: ['pods'], verbs: ['get'] }), false);
  assert.equal(ruleAllows(log, { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }), true);
  assert.equal(ruleAllows(log, { apiGroups: [''], resources: ['*/log'], verbs: ['get'] }), true);
  assert.equal(ruleAllows(log, { apiGroups: [''], resources: ['*/exec'], verbs: ['get'] }), false);
  const scale = res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' });
  assert.equal(ruleAllows(scale, { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['update'] }), true);
  assert.equal(ruleAllows(res('get', 'pods'), { apiGroups: [''], resources: ['*/log'], verbs: ['get'] }), false);
});

test('resourceNames narrow a rule to those objects (a list, which has no name, is not granted)', () => {
  const r: PolicyRule = { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get', 'list'] };
  assert.equal(ruleAllows(res('get', 'configmaps', { name: 'a' }), r), true);
  assert.equal(ruleAllows(res('get', 'configmaps', { name: 'b' }), r), false);
  assert.equal(ruleAllows(res('list', 'configmaps'), r), false);
});

test('non-resource URLs: exact, trailing * as a prefix, and never for resource requests', () => {
  const r: PolicyRule = { nonResourceURLs: ['/healthz', '/apis/*'], verbs: ['get'] };
  assert.equal(ruleAllows(url('get', '/healthz'), r), true);
  assert.equal(ruleAllows(url('get', '/healthz/etcd'), r), false);
  assert.equal(ruleAllows(url('get', '/apis/apps/v1'), r), true);
  assert.equal(ruleAllows(url('post', '/healthz'), r), false);
  assert.equal(ruleAllows(res('get', 'pods'), r), false);
  assert.equal(ruleAllows(url('get', '/anything'), { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), false);
});
