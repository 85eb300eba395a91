import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, resourceByKey, resources } from './index.js';

test('kinds are served with their strategy; a kind without one gets the generic one', () => {
  assert.equal(resourceByKey('nodes').strategy.keepsStatusOnCreate, true);
  assert.equal(resourceByKey('pods').strategy.keepsStatusOnCreate, undefined);
  assert.equal(typeof resourceByKey('pods').strategy.gracePeriod, 'function');
  assert.equal(typeof resourceByKey('namespaces').strategy.markForDeletion, 'function');
  assert.equal(typeof resourceByKey('certificatesigningrequests.certificates.k8s.io').strategy.resetFields, 'function');
  assert.deepEqual(resourceByKey('configmaps').strategy, {});
  for (const r of resources) assert.equal(typeof r.strategy, 'object', r.key);
});

test("a kind's declaration is served with its key, list kind, subresources and field labels", () => {
  const pods = findResource('', 'v1', 'pods')!;
  assert.equal(pods.key, 'pods');
  assert.equal(pods.listKind, 'PodList');
  assert.deepEqual(
    pods.subresources.map((s) => s.name),
    ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy'],
  );
  assert.equal(pods.fieldLabels['spec.nodeName']!({ metadata: {}, spec: { nodeName: 'n1' } }), 'n1');
  const csr = findResource('certificates.k8s.io', 'v1', 'certificatesigningrequests')!;
  assert.equal(csr.apiVersion, 'certificates.k8s.io/v1');
  assert.deepEqual(csr.shortNames, ['csr']);
  assert.deepEqual(
    csr.subresources.map((s) => s.name),
    ['status', 'approval'],
  );
});

test('discovery order is unchanged: core kinds first, namespaces and pods leading', () => {
  assert.deepEqual(
    resources.map((r) => r.key),
    [
      'namespaces',
      'pods',
      'nodes',
      'events',
      'configmaps',
      'secrets',
      'serviceaccounts',
      'persistentvolumes',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'events.events.k8s.io',
      'replicasets.apps',
      'deployments.apps',
      'daemonsets.apps',
      'statefulsets.apps',
      'controllerrevisions.apps',
      'leases.coordination.k8s.io',
      'priorityclasses.scheduling.k8s.io',
      'certificatesigningrequests.certificates.k8s.io',
      'services',
      'endpoints',
      'endpointslices.discovery.k8s.io',
      'clusterrolebindings.rbac.authorization.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
      'rolebindings.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
      'localsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectrulesreviews.authorization.k8s.io',
      'subjectaccessreviews.authorization.k8s.io',
      'selfsubjectreviews.authentication.k8s.io',
      'jobs.batch',
      'cronjobs.batch',
      'poddisruptionbudgets.policy',
      'storageclasses.storage.k8s.io',
      'csinodes.storage.k8s.io',
      'csidrivers.storage.k8s.io',
      'limitranges',
      'resourcequotas',
    ],
  );
});

test('every served kind validates its metadata: a name with a slash is refused, a plain one is not blamed', () => {
  for (const r of resources) {
    assert.ok(r.validator, `${r.key} has a validator`);
    const meta = (name: string) => ({ name, ...(r.namespaced ? { namespace: 'default' } : {}) });
    const bad = r.validator.create({ apiVersion: r.apiVersion, kind: r.kind, metadata: meta('a/b') });
    assert.ok(
      bad.some((e) => e.field === 'metadata.name'),
      `${r.key} refuses the name a/b`,
    );
    const good = r.validator.create({ apiVersion: r.apiVersion, kind: r.kind, metadata: meta('abc') });
    assert.ok(!good.some((e) => e.field.startsWith('metadata.')), `${r.key} accepts the metadata of abc: ${JSON.stringify(good)}`);
  }
});
