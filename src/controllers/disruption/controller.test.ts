import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import type { Event } from 'kubernetes-types/core/v1';
import { resources, type KubeObject } from '../../client/index.js';
import { FakeApi, markPodReady, runControllers, waitFor } from '../fake-api.js';
import { newDisruptionController } from './controller.js';

const NS = 'default';
const budget = (api: FakeApi, name: string) => api.objects<PodDisruptionBudget>('policy/poddisruptionbudgets', NS).find((p) => p.metadata?.name === name);

async function ownedPods(api: FakeApi, owner: KubeObject, kind: string, apiVersion: string, n: number, app: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const name = `${app}-${i}`;
    await api.create<Pod>(resources.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: NS,
        labels: { app },
        ownerReferences: [{ apiVersion, kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
    await markPodReady(api, NS, name);
  }
}

test('a budget counts healthy pods of a Deployment and allows what exceeds minAvailable; an unready pod takes one back', async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newDisruptionController(ctx));
  try {
    const d = await api.create(resources.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    } as KubeObject);
    const rs = await api.create(resources.replicasets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-1',
        namespace: NS,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata!.uid!, controller: true }],
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    } as KubeObject);
    await ownedPods(api, rs, 'ReplicaSet', 'apps/v1', 3, 'web');
    await api.create(resources.poddisruptionbudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: NS },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
    } as KubeObject);
    await waitFor(() => budget(api, 'web')?.status?.observedGeneration === 1, 'status');
    const s = budget(api, 'web')!.status!;
    assert.deepEqual([s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed], [3, 2, 3, 1]);
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['DisruptionAllowed', 'True', 'SufficientPods']],
    );
    // One pod turns unready: nothing may be disrupted any more.
    const p = api.objects<Pod>('/pods', NS).find((x) => x.metadata?.name === 'web-0')!;
    await api.updateStatus(resources.pods, { ...p, status: { ...p.status, conditions: [{ type: 'Ready', status: 'False' }] } } as KubeObject);
    await waitFor(() => budget(api, 'web')?.status?.disruptionsAllowed === 0 && budget(api, 'web')?.status?.currentHealthy === 2, 'allowed 0');
    assert.equal(budget(api, 'web')!.status!.conditions![0]!.reason, 'InsufficientPods');
    // Scaling the Deployment moves the denominator.
    await api.patch({ ...resources.deployments, namespace: NS, name: 'web' }, { spec: { replicas: 10 } }, 'merge');
    await waitFor(() => budget(api, 'web')?.status?.expectedPods === 10 && budget(api, 'web')?.status?.desiredHealthy === 5, 'expected 10');
  } finally {
    await stop();
  }
});

test('a pod whose controller cannot be found fails the sync safe: nothing allowed, SyncFailed', async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newDisruptionController(ctx));
  try {
    await ownedPods(api, { metadata: { name: 'ghost', uid: 'ghost-uid' } }, 'ReplicaSet', 'apps/v1', 2, 'ghost');
    await api.create(resources.poddisruptionbudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'ghost', namespace: NS },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'ghost' } } },
    } as KubeObject);
    const cond = await waitFor(() => budget(api, 'ghost')?.status?.conditions?.find((c) => c.reason === 'SyncFailed'), 'SyncFailed');
    assert.equal(cond.status, 'False');
    assert.match(cond.message, /found no controllers for pod "ghost-\d"/);
    assert.equal(budget(api, 'ghost')!.status!.disruptionsAllowed, 0);
    await waitFor(() => api.objects<Event>('/events', NS).some((e) => e.reason === 'CalculateExpectedPodCountFailed'), 'warning event');
    // A whole minAvailable needs no controllers: the same pods are counted directly.
    await api.patch({ ...resources.poddisruptionbudgets, namespace: NS, name: 'ghost' }, { spec: { maxUnavailable: null, minAvailable: 1 } }, 'merge');
    await waitFor(() => budget(api, 'ghost')?.status?.disruptionsAllowed === 1, 'allowed 1 with minAvailable 1');
  } finally {
    await stop();
  }
});

test("a StatefulSet's pods are counted against its replicas (upstream getPodStatefulSet)", async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newDisruptionController(ctx));
  try {
    const sts = await api.create(resources.statefulsets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    } as KubeObject);
    await ownedPods(api, sts, 'StatefulSet', 'apps/v1', 3, 'db');
    await api.create(resources.poddisruptionbudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: NS },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } },
    } as KubeObject);
    await waitFor(() => budget(api, 'db')?.status?.expectedPods === 4, 'expected 4 from the StatefulSet');
    const s = budget(api, 'db')!.status!;
    assert.deepEqual([s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed], [4, 3, 3, 0]);
  } finally {
    await stop();
  }
});
