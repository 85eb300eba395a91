import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { claimsFor, identityLabelsPatch, isMemberOf, newPod, ordinalOf } from './identity.js';

const set: StatefulSet = {
  metadata: { name: 'web', namespace: 'ns', uid: 'u' },
  spec: {
    serviceName: 'svc',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'c', image: 'i' }],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'cfg' } },
        ],
      },
    },
    volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } }],
  },
};
const named = (name: string): Pod => ({ metadata: { name, labels: {} } });

test('ordinals and membership come from the name <set>-<n>', () => {
  assert.equal(ordinalOf(named('web-12')), 12);
  assert.equal(ordinalOf(named('web')), -1);
  assert.equal(isMemberOf(set, named('web-3')), true);
  assert.equal(isMemberOf(set, named('web-x-3')), false);
  assert.equal(isMemberOf(set, named('webx')), false);
});

test('a claim per template: <template>-<pod>, template and selector labels, no status', () => {
  const c = claimsFor(set, 2).get('data')!;
  assert.equal(c.metadata!.name, 'data-web-2');
  assert.equal(c.metadata!.namespace, 'ns');
  assert.deepEqual(c.metadata!.labels, { tier: 'db', app: 'web' });
  assert.equal(c.status, undefined);
  assert.equal(c.kind, 'PersistentVolumeClaim');
});

test('a new pod: its name, hostname and subdomain, identity and revision labels, the claim in place of the same-named volume', () => {
  const p = newPod(set, set.spec!.template, 'web-abc', 2, { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true });
  assert.equal(p.metadata!.name, 'web-2');
  assert.equal(p.metadata!.generateName, undefined);
  assert.deepEqual(p.metadata!.labels, {
    app: 'web',
    'statefulset.kubernetes.io/pod-name': 'web-2',
    'apps.kubernetes.io/pod-index': '2',
    'controller-revision-hash': 'web-abc',
  });
  assert.equal(p.spec!.hostname, 'web-2');
  assert.equal(p.spec!.subdomain, 'svc');
  assert.deepEqual(p.spec!.volumes, [
    { name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } },
    { name: 'cfg', configMap: { name: 'cfg' } },
  ]);
  assert.deepEqual(identityLabelsPatch(set, p), undefined);
  assert.deepEqual(identityLabelsPatch(set, named('web-4')), { 'statefulset.kubernetes.io/pod-name': 'web-4', 'apps.kubernetes.io/pod-index': '4' });
});
