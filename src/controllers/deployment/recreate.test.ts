import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { resources } from '../../client/index.js';
import { waitFor } from '../fake-api.js';
import { oldPodsRunning } from './recreate.js';
import { deployment, eventsOf, getD, podsOf, rolledOut, rsOf, setImage, startWorkloads } from './test-fixtures.js';

test('Recreate: every old pod is gone before the new ReplicaSet exists', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    await env.api.create(resources.deployments, deployment('rec', 3, { strategy: { type: 'Recreate' } }));
    await waitFor(() => rolledOut(env.api, 'rec'), 'first rollout');
    let overlap = false;
    let newRSCreatedWithOldPods = false;
    const off = env.api.onChange((rkey, ev) => {
      const pods = podsOf(env.api, 'rec');
      const images = new Set(pods.map((p) => p.spec!.containers[0]!.image));
      if (images.size > 1) overlap = true;
      if (rkey === 'apps/replicasets' && ev.type === 'ADDED' && pods.some((p) => p.spec!.containers[0]!.image === 'img:1')) newRSCreatedWithOldPods = true;
    });
    await setImage(env.api, 'rec', 'img:2');
    await waitFor(() => rolledOut(env.api, 'rec') && getD(env.api, 'rec').status?.observedGeneration === 2, 'second rollout');
    off();
    assert.equal(overlap, false, 'old and new pods never ran together');
    assert.equal(newRSCreatedWithOldPods, false, 'the new ReplicaSet came after the old pods were gone');
    const rss = rsOf(env.api, 'rec');
    assert.deepEqual(
      rss.map((rs) => rs.spec!.replicas),
      [0, 3],
    );
    const msgs = eventsOf(env.api, 'rec').map((e) => e.message);
    assert.ok(msgs.includes(`Scaled down replica set ${rss[0]!.metadata!.name} from 3 to 0`), msgs.join('\n'));
    assert.ok(msgs.includes(`Scaled up replica set ${rss[1]!.metadata!.name} from 0 to 3`), msgs.join('\n'));
  } finally {
    await env.stop();
  }
});

test('oldPodsRunning: old ReplicaSets reporting pods, or old pods not finished', () => {
  const rs = (uid: string, replicas: number): ReplicaSet => ({ metadata: { uid }, status: { replicas } });
  const pod = (phase: string): Pod => ({ status: { phase } });
  const newRS = rs('new', 0);
  assert.equal(oldPodsRunning(newRS, [rs('old', 1)], new Map()), true);
  assert.equal(oldPodsRunning(newRS, [rs('old', 0)], new Map([['old', [pod('Succeeded'), pod('Failed')]]])), false);
  assert.equal(oldPodsRunning(newRS, [rs('old', 0)], new Map([['old', [pod('Pending')]]])), true);
  assert.equal(oldPodsRunning(newRS, [rs('old', 0)], new Map([['old', [pod('Unknown')]]])), true);
  // The new ReplicaSet's own pods don't count.
  assert.equal(oldPodsRunning(newRS, [], new Map([['new', [pod('Running')]]])), false);
});
