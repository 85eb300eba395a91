import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import type { Attributes } from './attributes.js';
import { RbacAuthorizer } from './rbac.js';
import { Authorizer, forbiddenError, parseAuthorizationModes } from './authorizer.js';

const G = 'rbac.authorization.k8s.io';
const clusterRoles = new Map<string, KObject>();
const roles = new Map<string, KObject>();
const cr = (name: string, rules: unknown[]) => clusterRoles.set(name, { apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name }, rules } as KObject);
cr('view', [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] }]);
cr('nodes-reader', [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
roles.set('ns/secret-reader', {
  apiVersion: `${G}/v1`,
  kind: 'Role',
  metadata: { name: 'secret-reader', namespace: 'ns' },
  rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
} as KObject);

function authorizer(): RbacAuthorizer {
  return new RbacAuthorizer({ role: (ns, n) => roles.get(`${ns}/${n}`), clusterRole: (n) => clusterRoles.get(n) });
}
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, ns: string | undefined, roleRef: [string, string], subjects: unknown[]) =>
  ({
    apiVersion: `${G}/v1`,
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    roleRef: { apiGroup: G, kind: roleRef[0], name: roleRef[1] },
    subjects,
  }) as KObject;
const ask = (user: { name: string; groups: string[] }, verb: string, resource: string, namespace = '', name = ''): Attributes => ({
  user,
  verb,
  resourceRequest: true,
  path: '',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace,
  name,
});

test('a RoleBinding grants in its namespace only; a ClusterRoleBinding everywhere; groups and service accounts bind', () => {
  const a = authorizer();
  a.roleBindings.put('/rb/ns/v', binding('RoleBinding', 'v', 'ns', ['ClusterRole', 'view'], [{ kind: 'User', apiGroup: G, name: 'u' }]));
  a.roleBindings.put('/rb/ns/s', binding('RoleBinding', 's', 'ns', ['Role', 'secret-reader'], [{ kind: 'ServiceAccount', name: 'robot' }]));
  a.clusterBindings.put('/crb/n', binding('ClusterRoleBinding', 'n', undefined, ['ClusterRole', 'nodes-reader'], [{ kind: 'Group', apiGroup: G, name: 'g' }]));
  const u = { name: 'u', groups: [] };
  assert.equal(a.authorize(ask(u, 'list', 'pods', 'ns')).allowed, true);
  assert.equal(a.authorize(ask(u, 'list', 'pods', 'other')).allowed, false);
  assert.equal(a.authorize(ask(u, 'list', 'pods')).allowed, false, 'a RoleBinding grants nothing cluster-wide');
  assert.equal(a.authorize(ask(u, 'delete', 'pods', 'ns', 'p')).allowed, false);
  assert.equal(a.authorize(ask({ name: 'x', groups: ['g'] }, 'get', 'nodes', '', 'n1')).allowed, true);
  assert.equal(a.authorize(ask({ name: 'x', groups: [] }, 'get', 'nodes', '', 'n1')).allowed, false);
  // The subject's namespace defaults to the binding's.
  assert.equal(a.authorize(ask({ name: 'system:serviceaccount:ns:robot', groups: [] }, 'get', 'secrets', 'ns', 's')).allowed, true);
  assert.equal(a.authorize(ask({ name: 'system:serviceaccount:other:robot', groups: [] }, 'get', 'secrets', 'ns', 's')).allowed, false);
  // Deleting and changing bindings takes effect.
  a.roleBindings.remove('/rb/ns/v');
  assert.equal(a.authorize(ask(u, 'list', 'pods', 'ns')).allowed, false);
  a.roleBindings.put('/rb/ns/s', binding('RoleBinding', 's', 'ns', ['Role', 'secret-reader'], [{ kind: 'User', apiGroup: G, name: 'u' }]));
  assert.equal(a.authorize(ask(u, 'get', 'secrets', 'ns', 's')).allowed, true);
  assert.equal(a.authorize(ask({ name: 'system:serviceaccount:ns:robot', groups: [] }, 'get', 'secrets', 'ns', 's')).allowed, false);
});

test('a binding to a missing role says so in the reason, as upstream\'s "RBAC: ..."', () => {
  const a = authorizer();
  a.roleBindings.put('/rb/ns/m', binding('RoleBinding', 'm', 'ns', ['ClusterRole', 'nope'], [{ kind: 'User', apiGroup: G, name: 'u' }]));
  assert.deepEqual(a.authorize(ask({ name: 'u', groups: [] }, 'list', 'pods', 'ns')), {
    allowed: false,
    reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found',
  });
});

test("with 10 000 RoleBindings of other users a check stays cheap (reads only the user's bindings)", () => {
  const a = authorizer();
  for (let i = 0; i < 10_000; i++)
    a.roleBindings.put(
      `/rb/ns${i % 100}/b${i}`,
      binding('RoleBinding', `b${i}`, `ns${i % 100}`, ['ClusterRole', 'view'], [{ kind: 'User', apiGroup: G, name: `user${i}` }]),
    );
  let reads = 0;
  const counting = new RbacAuthorizer({ role: () => undefined, clusterRole: (n) => (reads++, clusterRoles.get(n)) });
  for (let i = 0; i < 10_000; i++)
    counting.roleBindings.put(
      `/rb/ns${i % 100}/b${i}`,
      binding('RoleBinding', `b${i}`, `ns${i % 100}`, ['ClusterRole', 'view'], [{ kind: 'User', apiGroup: G, name: `user${i}` }]),
    );
  assert.equal(counting.authorize(ask({ name: 'user4242', groups: ['system:authenticated'] }, 'list', 'pods', 'ns42')).allowed, true);
  assert.equal(reads, 1, 'one role read for one matching binding');
  const start = performance.now();
  for (let i = 0; i < 10_000; i++) a.authorize(ask({ name: `user${i}`, groups: ['system:authenticated'] }, 'get', 'pods', `ns${i % 100}`, 'p'));
  assert.ok(performance.now() - start < 2000, 'ten thousand checks in well under two seconds');
});

test('system:masters is always allowed; AlwaysAllow allows everyone; otherwise RBAC decides', () => {
  const rbac = authorizer();
  const chain = new Authorizer(['Node', 'RBAC'], rbac);
  assert.equal(chain.authorize(ask({ name: 'admin', groups: ['system:masters'] }, 'delete', 'nodes', '', 'n')).allowed, true);
  assert.equal(chain.authorize(ask({ name: 'u', groups: [] }, 'delete', 'nodes', '', 'n')).allowed, false);
  assert.equal(new Authorizer(['AlwaysAllow'], rbac).authorize(ask({ name: 'u', groups: [] }, 'delete', 'nodes', '', 'n')).allowed, true);
  assert.deepEqual(parseAuthorizationModes('Node,RBAC'), ['Node', 'RBAC']);
  assert.throws(() => parseAuthorizationModes('RBAC,ABAC'), /unknown mode "ABAC"/);
  assert.throws(() => parseAuthorizationModes('RBAC,RBAC'), /twice/);
});

test('403 messages word for word as upstream: namespace, cluster scope, names, subresources, groups, paths', () => {
  const u = { name: 'u', groups: [] };
  const e = forbiddenError(ask(u, 'list', 'secrets', 'ns'), '');
  assert.equal(e.code, 403);
  assert.equal(e.reason, 'Forbidden');
  assert.equal(e.message, 'secrets is forbidden: User "u" cannot list resource "secrets" in API group "" in the namespace "ns"');
  assert.deepEqual(e.details, { kind: 'secrets' });
  const n = forbiddenError({ ...ask(u, 'get', 'nodes', '', 'n1') }, '');
  assert.equal(n.message, 'nodes "n1" is forbidden: User "u" cannot get resource "nodes" in API group "" at the cluster scope');
  const s = forbiddenError({ ...ask(u, 'update', 'deployments', 'ns', 'd'), apiGroup: 'apps', subresource: 'scale' }, '');
  assert.equal(s.message, 'deployments.apps "d" is forbidden: User "u" cannot update resource "deployments/scale" in API group "apps" in the namespace "ns"');
  assert.deepEqual(s.details, { name: 'd', group: 'apps', kind: 'deployments' });
  const p = forbiddenError({ ...ask(u, 'get', ''), resourceRequest: false, path: '/metrics' }, '');
  assert.equal(p.message, 'forbidden: User "u" cannot get path "/metrics"');
  const r = forbiddenError(ask(u, 'list', 'pods', 'ns'), 'RBAC: role.rbac.authorization.k8s.io "x" not found');
  assert.equal(
    r.message,
    'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "ns": RBAC: role.rbac.authorization.k8s.io "x" not found',
  );
});
