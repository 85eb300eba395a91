import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from './bootstrap-policy.js';
import { reconciledBinding, reconciledRole } from './reconcile.js';
import { clusterRoleBindingValidator, clusterRoleValidator, roleBindingValidator, roleValidator } from '../../api/validation/rbac.js';
import type { KObject } from '../../api/object.js';

const byName = <T extends { metadata?: { name?: string } }>(xs: T[], n: string) => xs.find((x) => x.metadata?.name === n)!;

test('every default role and binding is valid, and each binding names a default role', () => {
  const roles = bootstrapClusterRoles();
  for (const r of roles) assert.deepEqual(clusterRoleValidator.create(r as unknown as KObject), [], r.metadata!.name);
  for (const b of bootstrapClusterRoleBindings()) {
    assert.deepEqual(clusterRoleBindingValidator.create(b as unknown as KObject), [], b.metadata!.name);
    assert.ok(
      roles.some((r) => r.metadata!.name === b.roleRef.name),
      b.roleRef.name,
    );
  }
});

test('the namespaced defaults are valid, and each binding names a default Role of its own namespace', () => {
  const roles = bootstrapRoles();
  for (const r of roles) assert.deepEqual(roleValidator.create(r as unknown as KObject), [], r.metadata!.name);
  const bindings = bootstrapRoleBindings();
  assert.ok(bindings.length > 0);
  for (const b of bindings) {
    assert.deepEqual(roleBindingValidator.create(b as unknown as KObject), [], b.metadata!.name);
    assert.equal(b.roleRef.kind, 'Role');
    assert.ok(
      roles.some((r) => r.metadata!.name === b.roleRef.name && r.metadata!.namespace === b.metadata!.namespace),
      `${b.metadata!.namespace}/${b.roleRef.name}`,
    );
  }
});

test('an existing default role gets back the rules it lacks, keeps its own, and is left alone with autoupdate=false', () => {
  const expected = byName(bootstrapClusterRoles(), 'system:basic-user');
  const trimmed: ClusterRole = { ...structuredClone(expected), rules: [{ apiGroups: ['x'], resources: ['y'], verbs: ['get'] }] };
  const next = reconciledRole(trimmed, expected)!;
  assert.deepEqual(next.rules, [{ apiGroups: ['x'], resources: ['y'], verbs: ['get'] }, ...expected.rules!]);
  assert.equal(reconciledRole(next, expected), undefined, 'nothing more to do');
  const pinned = { ...trimmed, metadata: { ...trimmed.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } } };
  assert.equal(reconciledRole(pinned, expected), undefined);
});

test('aggregated defaults keep their selectors, not rules; bindings get back missing subjects only', () => {
  const view = byName(bootstrapClusterRoles(), 'view');
  const filled = { ...structuredClone(view), rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
  assert.equal(reconciledRole(filled, view), undefined, "the aggregated rules are the controller's");
  const b = byName(bootstrapClusterRoleBindings(), 'system:public-info-viewer');
  const one: ClusterRoleBinding = {
    ...structuredClone(b),
    subjects: [b.subjects![0]!, { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'extra' }],
  };
  assert.deepEqual(
    reconciledBinding(one, b)!.subjects!.map((s) => s.name),
    ['system:authenticated', 'extra', 'system:unauthenticated'],
  );
});
