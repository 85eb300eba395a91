import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import { resources } from '../../client/index.js';
import { waitFor } from '../fake-api.js';
import { computeHash } from './hash.js';
import { calculateStatus } from './sync.js';
import { deployment, eventsOf, getD, NS, podsOf, ref, rolledOut, rsOf, setImage, startWorkloads } from './test-fixtures.js';

test('paused: no rollout, but scaling still applies; resumed: the rollout goes on', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    await env.api.create(resources.deployments, deployment('pause', 2));
    await waitFor(() => rolledOut(env.api, 'pause'), 'rolled out');
    await env.api.patch(ref('pause'), { spec: { paused: true } }, 'merge');
    const paused = await waitFor(
      () => getD(env.api, 'pause').status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused'),
      'paused condition',
    );
    assert.deepEqual([paused.status, paused.message], ['Unknown', 'Deployment is paused']);
    await setImage(env.api, 'pause', 'img:2');
    await env.api.patch(ref('pause'), { spec: { replicas: 4 } }, 'merge');
    await waitFor(() => getD(env.api, 'pause').status?.observedGeneration === 4 && podsOf(env.api, 'pause').length === 4, 'scaled while paused');
    assert.equal(rsOf(env.api, 'pause').length, 1, 'no new ReplicaSet while paused');
    assert.ok(podsOf(env.api, 'pause').every((p) => p.spec!.containers[0]!.image === 'img:1'));
    await env.api.patch(ref('pause'), { spec: { paused: null } }, 'merge');
    await waitFor(
      () =>
        rsOf(env.api, 'pause').length === 2 && rolledOut(env.api, 'pause') && podsOf(env.api, 'pause').every((p) => p.spec!.containers[0]!.image === 'img:2'),
      'rolled out after resume',
      8000,
    );
    await waitFor(() => getD(env.api, 'pause').status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable', 'complete');
  } finally {
    await env.stop();
  }
});

test('revisionHistoryLimit: old ReplicaSets scaled to zero beyond the limit are deleted, oldest first', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    await env.api.create(resources.deployments, deployment('hist', 1, { revisionHistoryLimit: 1 }));
    for (const [i, image] of ['img:2', 'img:3', 'img:4'].entries()) {
      await waitFor(() => rolledOut(env.api, 'hist') && getD(env.api, 'hist').status?.observedGeneration === i + 1, `rollout ${i + 1}`);
      await setImage(env.api, 'hist', image);
    }
    await waitFor(() => rolledOut(env.api, 'hist') && getD(env.api, 'hist').status?.observedGeneration === 4, 'last rollout');
    await waitFor(() => rsOf(env.api, 'hist').length === 2, 'two ReplicaSets left');
    assert.deepEqual(
      rsOf(env.api, 'hist').map((rs) => rs.metadata!.annotations!['deployment.kubernetes.io/revision']),
      ['3', '4'],
    );
  } finally {
    await env.stop();
  }
});

test('orphan ReplicaSets matching the selector are adopted; ones relabelled away are released', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    const template = { metadata: { labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } };
    // An orphan with the deployment's template: it becomes the new ReplicaSet, no other is made.
    const orphan: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'adopt-orphan', namespace: NS, labels: { app: 'adopt' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'adopt' } }, template },
    };
    await env.api.create(resources.replicasets, orphan);
    await waitFor(() => podsOf(env.api, 'adopt').length === 1, 'orphan runs a pod');
    const d = await env.api.create(resources.deployments, deployment('adopt', 2));
    await waitFor(() => rsOf(env.api, 'adopt').length === 1 && rolledOut(env.api, 'adopt'), 'adopted and scaled');
    const [rs] = rsOf(env.api, 'adopt');
    assert.equal(rs!.metadata!.name, 'adopt-orphan');
    assert.equal(rs!.metadata!.ownerReferences![0]!.uid, d.metadata!.uid);
    assert.equal(rs!.spec!.replicas, 2);
    assert.equal(env.api.objects<ReplicaSet>('apps/replicasets', NS).length, 1);
    // Relabelled so the selector no longer matches: released, and a new ReplicaSet takes over.
    await env.api.patch({ ...resources.replicasets, namespace: NS, name: 'adopt-orphan' }, { metadata: { labels: { app: 'elsewhere' } } }, 'merge');
    await waitFor(
      () => !env.api.objects<ReplicaSet>('apps/replicasets', NS).find((r) => r.metadata!.name === 'adopt-orphan')!.metadata!.ownerReferences?.length,
      'released',
    );
    await waitFor(
      () =>
        rsOf(env.api, 'adopt').length === 1 && rsOf(env.api, 'adopt')[0]!.metadata!.name !== 'adopt-orphan' && rsOf(env.api, 'adopt')[0]!.spec!.replicas === 2,
      'a new ReplicaSet',
    );
  } finally {
    await env.stop();
  }
});

test('a deployment selecting everything only gets a warning', async () => {
  const env = await startWorkloads();
  try {
    const d = deployment('all', 1);
    d.spec!.selector = {};
    await env.api.create(resources.deployments, d);
    await waitFor(
      () =>
        eventsOf(env.api, 'all').some(
          (e) => e.reason === 'SelectingAll' && e.message === 'This deployment is selecting all pods. A non-empty selector is required.',
        ),
      'SelectingAll',
    );
    await waitFor(() => getD(env.api, 'all').status?.observedGeneration === 1, 'observed');
    assert.equal(rsOf(env.api, 'all').length, 0);
  } finally {
    await env.stop();
  }
});

test('a hash collision bumps collisionCount and the ReplicaSet gets the next hash', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    const d = deployment('coll', 1);
    const created = await env.api.create(resources.deployments, { ...d, spec: { ...d.spec!, paused: true } });
    // Someone else's ReplicaSet already has the name the template hashes to.
    const hash = computeHash(created.spec!.template!, undefined);
    await env.api.create(resources.replicasets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `coll-${hash}`, namespace: NS, labels: { other: 'x' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { other: 'x' } },
        template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'other' }] } },
      },
    });
    await env.api.patch(ref('coll'), { spec: { paused: null } }, 'merge');
    await waitFor(() => rolledOut(env.api, 'coll') && rsOf(env.api, 'coll').length === 1, 'rolled out');
    assert.equal(getD(env.api, 'coll').status?.collisionCount, 1);
    assert.equal(rsOf(env.api, 'coll')[0]!.metadata!.name, `coll-${computeHash(created.spec!.template!, 1)}`);
  } finally {
    await env.stop();
  }
});

test('calculateStatus sums the ReplicaSets', () => {
  const d: Deployment = {
    metadata: { generation: 4 },
    spec: { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } } as Deployment['spec'],
  };
  const rs = (replicas: number, status: ReplicaSet['status']): ReplicaSet => ({ spec: { replicas } as ReplicaSet['spec'], status });
  const newRS = rs(2, { replicas: 2, readyReplicas: 1, availableReplicas: 1 });
  const s = calculateStatus([rs(3, { replicas: 3, readyReplicas: 3, availableReplicas: 2 }), newRS], newRS, d, new Date());
  assert.deepEqual([s.observedGeneration, s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas, s.unavailableReplicas], [4, 5, 2, 4, 3, 2]);
  assert.equal(s.conditions!.find((c) => c.type === 'Available')!.status, 'True');
});
