import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../object.js';
import { fieldErrorMessage } from '../field-errors.js';
import { clusterRoleBindingValidator, clusterRoleValidator, defaultBinding, roleBindingValidator, roleValidator } from './rbac.js';

const msgs = (errs: ReturnType<typeof roleValidator.create>) => errs.map(fieldErrorMessage);
const role = (rules: unknown[]): KObject =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'ns' }, rules }) as KObject;

test('a rule needs verbs, and resource rules need api groups and resources', () => {
  assert.deepEqual(msgs(roleValidator.create(role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]))), []);
  assert.deepEqual(msgs(roleValidator.create(role([{}]))), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[0].resources: Required value: resource rules must supply at least one resource',
  ]);
});

test('non-resource URLs: refused in a Role, not mixed with resources in a ClusterRole', () => {
  assert.deepEqual(msgs(roleValidator.create(role([{ nonResourceURLs: ['/healthz'], verbs: ['get'] }]))), [
    'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
  ]);
  const cr = (rules: unknown[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'c' }, rules }) as KObject;
  assert.deepEqual(msgs(clusterRoleValidator.create(cr([{ nonResourceURLs: ['/healthz'], verbs: ['get'] }]))), []);
  assert.deepEqual(msgs(clusterRoleValidator.create(cr([{ nonResourceURLs: ['/x'], resources: ['pods'], verbs: ['get'] }]))), [
    'rules[0].nonResourceURLs: Invalid value: ["/x"]: rules cannot apply to both regular resources and non-resource URLs',
  ]);
  const agg = { ...cr([]), aggregationRule: { clusterRoleSelectors: [] } } as KObject;
  assert.deepEqual(msgs(clusterRoleValidator.create(agg)), [
    'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
  ]);
});

test("bindings: roleRef kinds per scope, subjects by kind, and a ClusterRoleBinding's service account needs a namespace", () => {
  const rb = (roleRef: unknown, subjects: unknown[]) =>
    ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'b', namespace: 'ns' }, roleRef, subjects }) as KObject;
  const ok = rb({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, [{ kind: 'ServiceAccount', name: 'default' }]);
  assert.deepEqual(msgs(roleBindingValidator.create(ok)), []);
  assert.deepEqual(msgs(roleBindingValidator.create(rb({ apiGroup: 'x', kind: 'Pod' }, [{ kind: 'Robot', name: 'a' }, { kind: 'User' }]))), [
    'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
    'roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"',
    'roleRef.name: Required value',
    'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    'subjects[1].name: Required value',
    'subjects[1].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
  ]);
  const crb = { ...ok, kind: 'ClusterRoleBinding', metadata: { name: 'b' } } as KObject;
  assert.deepEqual(msgs(clusterRoleBindingValidator.create(crb)), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
  ]);
});

test('defaulting puts User and Group subjects and the roleRef in the RBAC group', () => {
  const b = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'b', namespace: 'ns' },
    roleRef: { kind: 'Role', name: 'r' },
    subjects: [
      { kind: 'User', name: 'u' },
      { kind: 'ServiceAccount', name: 's' },
    ],
  } as KObject;
  defaultBinding(b);
  assert.deepEqual((b as any).roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.equal((b as any).subjects[0].apiGroup, 'rbac.authorization.k8s.io');
  assert.equal((b as any).subjects[1].apiGroup, undefined);
  assert.deepEqual(msgs(roleBindingValidator.create(b)), []);
});

test("the roleRef of a binding cannot change, in upstream's words", () => {
  const b = (name: string) =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace: 'ns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    }) as KObject;
  assert.deepEqual(msgs(roleBindingValidator.update!(b('view'), b('view'))), []);
  assert.deepEqual(msgs(roleBindingValidator.update!(b('edit'), b('view'))), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  ]);
});
