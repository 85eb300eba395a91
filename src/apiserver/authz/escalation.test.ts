import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { ApiError } from '../errors.js';
import type { RequestIdentity } from '../authn/request-user.js';
import { Authorizer } from './authorizer.js';
import { RbacAuthorizer } from './rbac.js';
import { bindingStrategy, compactRules, compactString, roleStrategy } from './escalation.js';

const G = 'rbac.authorization.k8s.io';
const roles = new Map<string, KObject>([
  [
    'secrets',
    {
      apiVersion: `${G}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'secrets' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    } as KObject,
  ],
  [
    'pods',
    {
      apiVersion: `${G}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'pods' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    } as KObject,
  ],
  [
    'binder',
    {
      apiVersion: `${G}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'binder' },
      rules: [{ apiGroups: [G], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['secrets'] }],
    } as KObject,
  ],
]);
const rbac = new RbacAuthorizer({ role: () => undefined, clusterRole: (n) => roles.get(n) });
const bind = (name: string, role: string, user: string) =>
  rbac.roleBindings.put(`/rb/ns/${name}`, {
    apiVersion: `${G}/v1`,
    kind: 'RoleBinding',
    metadata: { name, namespace: 'ns' },
    roleRef: { apiGroup: G, kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'User', apiGroup: G, name: user }],
  } as KObject);
bind('a', 'pods', 'alice');
bind('b', 'pods', 'bob');
bind('c', 'binder', 'bob');
const authorizer = new Authorizer(['RBAC'], rbac);
const as = (name: string): RequestIdentity => ({ user: { name, groups: ['system:authenticated'] }, authorizer });
const role = (rules: unknown[]) => ({ apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'ns' }, rules }) as KObject;
const binding = (roleName: string) =>
  ({
    apiVersion: `${G}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'x', namespace: 'ns' },
    roleRef: { apiGroup: G, kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'User', apiGroup: G, name: 'eve' }],
  }) as KObject;
const env = {} as never;

test("upstream's compact rule strings, verbs merged per group and resource", () => {
  assert.equal(compactString({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }), '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}');
  assert.equal(compactString({ nonResourceURLs: ['/x'], verbs: ['get'] }), '{NonResourceURLs:["/x"], Verbs:["get"]}');
  assert.deepEqual(
    compactRules([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]),
    [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  );
});

test('a Role may grant only what its writer holds', async () => {
  await roleStrategy.beginCreate!(role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), env, false, as('alice'));
  await assert.rejects(
    roleStrategy.beginCreate!(role([{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'delete'] }]), env, false, as('alice')),
    (e: ApiError) =>
      e.code === 403 &&
      e.message ===
        'roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
  );
  // Outside any request (the server's own writes) nothing is checked.
  await roleStrategy.beginCreate!(role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]), env, false);
});

test("a binding needs the role's permissions or bind on the role", async () => {
  await bindingStrategy.beginCreate!(binding('pods'), env, false, as('alice'));
  await assert.rejects(
    bindingStrategy.beginCreate!(binding('secrets'), env, false, as('alice')),
    (e: ApiError) => e.code === 403 && /rolebindings.rbac.authorization.k8s.io "x" is forbidden: user "alice"/.test(e.message),
  );
  await bindingStrategy.beginCreate!(binding('secrets'), env, false, as('bob'));
  await assert.rejects(
    bindingStrategy.beginCreate!(binding('missing'), env, false, as('bob')),
    (e: ApiError) => e.message === 'rolebindings.rbac.authorization.k8s.io "x" is forbidden: clusterrole.rbac.authorization.k8s.io "missing" not found',
  );
});
