import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakdownRule, uncoveredRules } from './covers.js';

test('a rule breaks down into one atom per verb, group, resource and name', () => {
  assert.equal(breakdownRule({ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['a', 'b'], resourceNames: ['x', 'y'] }).length, 16);
  assert.deepEqual(breakdownRule({ verbs: ['get'], nonResourceURLs: ['/a', '/b'] }), [
    { verbs: ['get'], nonResourceURLs: ['/a'] },
    { verbs: ['get'], nonResourceURLs: ['/b'] },
  ]);
});

test('covers: stars, subresources, names and URL prefixes; a wider wish is uncovered', () => {
  const owned = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/*'] },
    { verbs: ['*'], apiGroups: ['apps'], resources: ['*/scale'] },
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] },
    { verbs: ['get'], nonResourceURLs: ['/logs/*'] },
  ];
  assert.deepEqual(uncoveredRules(owned, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/log'] }]), []);
  assert.deepEqual(uncoveredRules(owned, [{ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }]), []);
  assert.deepEqual(uncoveredRules(owned, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }]), []);
  assert.deepEqual(uncoveredRules(owned, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]), [
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'] },
  ]);
  assert.deepEqual(uncoveredRules(owned, [{ verbs: ['get'], nonResourceURLs: ['/logs/a/b'] }]), []);
  assert.equal(uncoveredRules(owned, [{ verbs: ['delete', 'get'], apiGroups: [''], resources: ['pods'] }]).length, 1);
  assert.equal(uncoveredRules(owned, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]).length, 1, '* is wanted only by who owns *');
  assert.deepEqual(uncoveredRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], apiGroups: ['x'], resources: ['y/z'] }]), []);
});
