import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, type RestClient } from '../client/index.js';
import { discoverNamespacedResources, failingConditions, parseGroupVersion, updateConditions, type ContentReport } from './namespace.js';

const empty = (): ContentReport => ({ deleteErrors: [], remaining: new Map(), finalizers: new Map() });

test('remaining content and finalizers read as upstream words them, sorted', () => {
  const report = empty();
  report.remaining.set('pods.', 2);
  report.remaining.set('configmaps.', 1);
  report.remaining.set('replicasets.apps', 0);
  report.finalizers.set('example.com/x', 1);
  const f = failingConditions(report);
  assert.deepEqual(f.get('NamespaceContentRemaining'), {
    reason: 'SomeResourcesRemain',
    message: 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 resource instances',
  });
  assert.deepEqual(f.get('NamespaceFinalizersRemaining'), {
    reason: 'SomeFinalizersRemain',
    message: 'Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances',
  });
  assert.equal(f.has('NamespaceDeletionContentFailure'), false);
});

test('delete errors and discovery failures become their conditions', () => {
  const report = { ...empty(), deleteErrors: ['b failed', 'a failed'], discoveryError: 'Discovery failed for some groups, 1 failing: x' };
  const f = failingConditions(report);
  assert.deepEqual(f.get('NamespaceDeletionContentFailure'), {
    reason: 'ContentDeletionFailed',
    message: 'Failed to delete all resource types, 2 remaining: a failed, b failed',
  });
  assert.deepEqual(f.get('NamespaceDeletionDiscoveryFailure'), { reason: 'DiscoveryFailed', message: 'Discovery failed for some groups, 1 failing: x' });
});

test('conditions: all five written; the transition time moves only when the status flips', () => {
  const held = empty();
  held.remaining.set('configmaps.', 1);
  held.finalizers.set('example.com/x', 1);
  const first = updateConditions([], held, 't1');
  assert.equal(first.changed, true);
  assert.deepEqual(
    first.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    [
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 't1'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 't1'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 't1'],
      ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain', 't1'],
      ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain', 't1'],
    ],
  );
  assert.equal(updateConditions(first.conditions, held, 't2').changed, false, 'the same report changes nothing');
  const more = empty();
  more.remaining.set('configmaps.', 2);
  more.finalizers.set('example.com/x', 2);
  const second = updateConditions(first.conditions, more, 't2');
  const remaining = second.conditions.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.equal(remaining.message, 'Some resources are remaining: configmaps. has 2 resource instances');
  assert.equal(remaining.lastTransitionTime, 't1', 'still True: no transition');
  const done = updateConditions(second.conditions, empty(), 't3').conditions;
  const finalizers = done.find((c) => c.type === 'NamespaceFinalizersRemaining')!;
  assert.deepEqual(
    [finalizers.status, finalizers.reason, finalizers.message, finalizers.lastTransitionTime],
    ['False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished', 't3'],
  );
  // Conditions of other types are kept.
  assert.ok(updateConditions([{ type: 'Other', status: 'True' }], empty(), 't').conditions.some((c) => c.type === 'Other'));
});

test('parseGroupVersion accepts "v1" and "group/version" only', () => {
  assert.deepEqual(parseGroupVersion('v1'), { group: '', version: 'v1' });
  assert.deepEqual(parseGroupVersion('apps/v1'), { group: 'apps', version: 'v1' });
  assert.throws(() => parseGroupVersion('a/b/c'), /unexpected GroupVersion string: a\/b\/c/);
});

test('discovery lists namespaced deletable resources of preferred versions and reports failing groups', async () => {
  const answers: Record<string, unknown> = {
    '/api': { versions: ['v1'] },
    '/apis': {
      groups: [
        { name: 'apps', preferredVersion: { groupVersion: 'apps/v1' }, versions: [{ groupVersion: 'apps/v1' }] },
        { name: 'broken.example.com', preferredVersion: { groupVersion: 'broken.example.com/v1' }, versions: [] },
      ],
    },
    '/api/v1': {
      groupVersion: 'v1',
      resources: [
        { name: 'pods', namespaced: true, verbs: ['create', 'delete', 'deletecollection', 'list'] },
        { name: 'pods/status', namespaced: true, verbs: ['get', 'update'] },
        { name: 'nodes', namespaced: false, verbs: ['delete', 'list'] },
        { name: 'bindings', namespaced: true, verbs: ['create'] },
      ],
    },
    '/apis/apps/v1': { groupVersion: 'apps/v1', resources: [{ name: 'replicasets', namespaced: true, verbs: ['delete', 'list'] }] },
  };
  const client = {
    async request(_method: string, path: string) {
      if (!(path in answers))
        throw new StatusError({ code: 503, reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' });
      return answers[path];
    },
  } as unknown as RestClient;
  const d = await discoverNamespacedResources(client);
  assert.deepEqual(d.resources.map((r) => `${r.group}/${r.version}/${r.resource}`).sort(), ['/v1/pods', 'apps/v1/replicasets']);
  assert.equal(
    d.discoveryError,
    'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: broken.example.com/v1: the server is currently unable to handle the request',
  );
});
