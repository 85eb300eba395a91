import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1';
import { resources } from '../../client/index.js';
import { waitFor } from '../fake-api.js';
import { requeueStuckDeployment } from './progress.js';
import type { SyncContext } from './sync.js';
import { deployment, getD, rsOf, startWorkloads } from './test-fixtures.js';

test('a rollout without progress past progressDeadlineSeconds is ProgressDeadlineExceeded', async () => {
  // Pods never become ready.
  const env = await startWorkloads(false);
  try {
    await env.api.create(resources.deployments, deployment('stuck', 2, { progressDeadlineSeconds: 1 }));
    const cond = await waitFor(
      () => {
        const c = getD(env.api, 'stuck').status?.conditions?.find((c) => c.type === 'Progressing');
        return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
      },
      'ProgressDeadlineExceeded',
      6000,
    );
    const [rs] = rsOf(env.api, 'stuck');
    assert.equal(cond.status, 'False');
    assert.equal(cond.message, `ReplicaSet "${rs!.metadata!.name}" has timed out progressing.`);
    const available = getD(env.api, 'stuck').status!.conditions!.find((c) => c.type === 'Available')!;
    assert.deepEqual(
      [available.status, available.reason, available.message],
      ['False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'],
    );
  } finally {
    await env.stop();
  }
});

test('a new replica set is NewReplicaSetCreated, then ReplicaSetUpdated as pods come', async () => {
  const env = await startWorkloads(false);
  try {
    await env.api.create(resources.deployments, deployment('prog', 2));
    const c = await waitFor(() => getD(env.api, 'prog').status?.conditions?.find((c) => c.type === 'Progressing'), 'Progressing');
    const [rs] = rsOf(env.api, 'prog');
    assert.ok(
      (c.reason === 'NewReplicaSetCreated' && c.message === `Created new replica set "${rs!.metadata!.name}"`) ||
        (c.reason === 'ReplicaSetUpdated' && c.message === `ReplicaSet "${rs!.metadata!.name}" is progressing.`),
      `${c.reason}: ${c.message}`,
    );
    await waitFor(
      () => getD(env.api, 'prog').status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'ReplicaSetUpdated',
      'ReplicaSetUpdated once pods exist',
    );
  } finally {
    await env.stop();
  }
});

test('requeueStuckDeployment waits until the deadline of the last progress', () => {
  const calls: Array<[string, number]> = [];
  const sc = {
    enqueueAfter: (_d: Deployment, ms: number) => calls.push(['after', ms]),
    enqueueRateLimited: () => calls.push(['now', 0]),
  } as unknown as SyncContext;
  const now = new Date('2024-01-01T00:03:00Z');
  const d = (reason: string, spec: Record<string, unknown> = {}): Deployment => ({
    metadata: { generation: 1 },
    spec: { replicas: 1, progressDeadlineSeconds: 600, ...spec } as Deployment['spec'],
    status: { conditions: [{ type: 'Progressing', status: 'True', reason, lastUpdateTime: '2024-01-01T00:00:00Z' }] },
  });
  assert.equal(requeueStuckDeployment(sc, d('ReplicaSetUpdated'), {}, now), 7 * 60 * 1000);
  assert.deepEqual(calls.pop(), ['after', 7 * 60 * 1000 + 1000]);
  assert.equal(requeueStuckDeployment(sc, d('ReplicaSetUpdated', { progressDeadlineSeconds: 180 }), {}, now), 0);
  assert.deepEqual(calls.pop(), ['now', 0]);
  assert.equal(requeueStuckDeployment(sc, d('ProgressDeadlineExceeded'), {}, now), -1);
  assert.equal(requeueStuckDeployment(sc, d('ReplicaSetUpdated'), { replicas: 1, updatedReplicas: 1, availableReplicas: 1, observedGeneration: 1 }, now), -1);
  assert.equal(calls.length, 0);
});
