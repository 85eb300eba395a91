import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole } from 'kubernetes-types/rbac/v1';
import { aggregatedRules } from './clusterroleaggregation.js';

const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules'], aggregationRule?: ClusterRole['aggregationRule']): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(aggregationRule ? { aggregationRule } : {}),
});

test('an aggregated role gets the rules of the roles its selectors match, by name, each once, never its own', () => {
  const pods = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
  const crons = { apiGroups: ['stable.example.com'], resources: ['crontabs'], verbs: ['get', 'list'] };
  const view = role('view', { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }, [{ apiGroups: ['x'], resources: ['stale'], verbs: ['get'] }], {
    clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
  });
  const all = [
    view,
    role('z-crons', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [crons]),
    role('a-pods', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [pods]),
    role('dup', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [pods]),
    role('other', {}, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
  ];
  assert.deepEqual(aggregatedRules(view, all), [pods, crons]);
  // Chained: edit aggregates view (labelled aggregate-to-edit) with whatever view's rules are now.
  const edit = role('edit', {}, [], { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }] });
  assert.deepEqual(aggregatedRules(edit, [...all, edit]), view.rules);
});
