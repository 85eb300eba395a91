import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { NodeGraph } from './graph.js';
import { podReferences } from '../../../api/pod-references.js';

const pod = (name: string, nodeName: string | undefined, spec: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name, namespace: 'ns' },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'i' }], ...spec } as Pod['spec'],
});

test('podReferences: every place a pod names a Secret, ConfigMap, PVC or ServiceAccount', () => {
  const refs = podReferences(
    pod('p', 'n', {
      imagePullSecrets: [{ name: 'pull' }],
      serviceAccountName: 'sa',
      initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init-envfrom' } }] }],
      containers: [
        {
          name: 'c',
          env: [
            { name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } },
            { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } },
            { name: 'C', value: 'plain' },
          ],
          envFrom: [{ configMapRef: { name: 'envfrom-cm' } }],
        },
      ],
      ephemeralContainers: [{ name: 'e', env: [{ name: 'D', valueFrom: { secretKeyRef: { name: 'ephemeral-secret', key: 'k' } } }] }],
      volumes: [
        { name: 'v1', secret: { secretName: 'vol-secret' } },
        { name: 'v2', configMap: { name: 'vol-cm' } },
        {
          name: 'v3',
          projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }, { serviceAccountToken: { path: 't' } }] },
        },
        { name: 'v4', persistentVolumeClaim: { claimName: 'claim' } },
        { name: 'v5', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-secret' } } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'empty', emptyDir: {} },
      ],
    }),
  );
  assert.deepEqual([...refs.secrets].sort(), ['csi-secret', 'env-secret', 'ephemeral-secret', 'init-envfrom', 'proj-secret', 'pull', 'vol-secret']);
  assert.deepEqual([...refs.configmaps].sort(), ['env-cm', 'envfrom-cm', 'proj-cm', 'vol-cm']);
  assert.deepEqual([...refs.persistentvolumeclaims].sort(), ['claim', 'p-scratch']);
  assert.deepEqual([...refs.serviceaccounts], ['sa']);
});

test('graph: an object is reachable from the nodes of the pods that use it, for as long as one does', () => {
  const g = new NodeGraph();
  const uses = (name: string, secret: string) => ({ volumes: [{ name: 'v', secret: { secretName: secret } }] });
  g.setPod(pod('a', 'n1', uses('a', 'shared')));
  g.setPod(pod('b', 'n1', uses('b', 'shared')));
  g.setPod(pod('c', 'n2', uses('c', 'only-c')));
  assert.ok(g.hasPath('n1', 'secrets', 'ns', 'shared'));
  assert.ok(!g.hasPath('n2', 'secrets', 'ns', 'shared'));
  assert.ok(g.hasPath('n2', 'secrets', 'ns', 'only-c'));
  assert.ok(!g.hasPath('n1', 'secrets', 'ns', 'only-c'));
  // Same name, another namespace or kind: no path.
  assert.ok(!g.hasPath('n1', 'secrets', 'other', 'shared'));
  assert.ok(!g.hasPath('n1', 'configmaps', 'ns', 'shared'));
  assert.ok(g.hasPath('n1', 'pod', 'ns', 'a'));
  assert.ok(!g.hasPath('n2', 'pod', 'ns', 'a'));

  g.deletePod('ns', 'a');
  assert.ok(g.hasPath('n1', 'secrets', 'ns', 'shared'), 'b still uses it');
  g.deletePod('ns', 'b');
  assert.ok(!g.hasPath('n1', 'secrets', 'ns', 'shared'));
  assert.deepEqual(g.size, { pods: 1, objects: 1, nodes: 1 });
  g.deletePod('ns', 'c');
  assert.deepEqual(g.size, { pods: 0, objects: 0, nodes: 0 });
});

test('graph: an unscheduled pod is no edge; binding adds it; a changed spec moves the edges', () => {
  const g = new NodeGraph();
  const spec = { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] }] } as Partial<Pod['spec']>;
  g.setPod(pod('p', undefined, spec));
  assert.equal(g.size.pods, 0);
  assert.ok(!g.hasPath('n1', 'configmaps', 'ns', 'cm'));
  g.setPod(pod('p', 'n1', spec));
  assert.ok(g.hasPath('n1', 'configmaps', 'ns', 'cm'));
  // An update with the same references (a status change) counts once, not twice.
  g.setPod(pod('p', 'n1', spec));
  g.setPod(pod('p', 'n1', { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm2' } }] }] }));
  assert.ok(!g.hasPath('n1', 'configmaps', 'ns', 'cm'));
  assert.ok(g.hasPath('n1', 'configmaps', 'ns', 'cm2'));
  g.deletePod('ns', 'p');
  assert.deepEqual(g.size, { pods: 0, objects: 0, nodes: 0 });
  // Deleting what is not there changes nothing.
  g.deletePod('ns', 'p');
  assert.deepEqual(g.size, { pods: 0, objects: 0, nodes: 0 });
});
