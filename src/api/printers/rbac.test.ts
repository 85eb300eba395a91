import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../object.js';
import { bindingPrinter } from './rbac.js';

test('a binding prints its role, and with -o wide its users, groups and service accounts (ns:name)', () => {
  const now = new Date('2026-01-01T01:00:00Z');
  const b = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'b', creationTimestamp: '2026-01-01T00:00:00Z' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [
      { kind: 'User', name: 'u1' },
      { kind: 'Group', name: 'g' },
      { kind: 'User', name: 'u2' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' },
    ],
  } as KObject;
  assert.deepEqual(
    bindingPrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Role:0', 'Age:0', 'Users:1', 'Groups:1', 'ServiceAccounts:1'],
  );
  assert.deepEqual(bindingPrinter.cells(b, now), ['b', 'ClusterRole/view', '60m', 'u1, u2', 'g', 'ns:sa']);
});
