import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { resources } from '../../client/index.js';
import { waitFor } from '../fake-api.js';
import { computeHash } from './hash.js';
import { deployment, eventsOf, getD, NS, podsOf, rolledOut, rsOf, setImage, startWorkloads } from './test-fixtures.js';

test('a new deployment gets a ReplicaSet <name>-<hash> labelled with pod-template-hash, and completes', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    await env.api.create(resources.deployments, deployment('web', 3));
    await waitFor(() => rolledOut(env.api, 'web'), 'rolled out');
    const d = getD(env.api, 'web');
    const [rs] = rsOf(env.api, 'web');
    const hash = computeHash(d.spec!.template!, undefined);
    assert.equal(rs!.metadata!.name, `web-${hash}`);
    assert.equal(rs!.metadata!.labels!['pod-template-hash'], hash);
    assert.deepEqual(rs!.spec!.selector!.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs!.spec!.template!.metadata!.labels!['pod-template-hash'], hash);
    assert.deepEqual(rs!.metadata!.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const a = rs!.metadata!.annotations!;
    assert.equal(a['deployment.kubernetes.io/revision'], '1');
    assert.equal(a['deployment.kubernetes.io/desired-replicas'], '3');
    // 25% of 3 rounds up to a surge of 1.
    assert.equal(a['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(d.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    for (const p of podsOf(env.api, 'web')) assert.equal(p.metadata!.labels!['pod-template-hash'], hash);
    await waitFor(
      () => getD(env.api, 'web').status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable',
      'NewReplicaSetAvailable',
    );
    const s = getD(env.api, 'web').status!;
    assert.deepEqual(
      {
        replicas: s.replicas,
        updated: s.updatedReplicas,
        ready: s.readyReplicas,
        available: s.availableReplicas,
        unavailable: s.unavailableReplicas,
        observed: s.observedGeneration,
      },
      { replicas: 3, updated: 3, ready: 3, available: 3, unavailable: 0, observed: 1 },
    );
    const available = s.conditions!.find((c) => c.type === 'Available')!;
    assert.deepEqual([available.status, available.reason, available.message], ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']);
    const progressing = s.conditions!.find((c) => c.type === 'Progressing')!;
    assert.deepEqual([progressing.status, progressing.message], ['True', `ReplicaSet "web-${hash}" has successfully progressed.`]);
    await waitFor(
      () => eventsOf(env.api, 'web').some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} from 0 to 3`),
      'scaling event',
    );
    assert.equal(eventsOf(env.api, 'web').find((e) => e.reason === 'ScalingReplicaSet')!.source?.component, 'deployment-controller');
  } finally {
    await env.stop();
  }
});

test('a rolling update never exceeds replicas + maxSurge nor drops below replicas - maxUnavailable', async () => {
  const env = await startWorkloads({ readyAfterMs: 20 });
  try {
    // 25% of 10: surge rounds up to 3, unavailable down to 2.
    await env.api.create(
      resources.deployments,
      deployment('roll', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }),
    );
    await waitFor(() => rolledOut(env.api, 'roll'), 'first rollout', 10_000);
    let maxTotal = 0;
    let minReady = Infinity;
    const check = () => {
      const live = podsOf(env.api, 'roll').filter((p) => !p.metadata?.deletionTimestamp);
      const ready = live.filter((p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      maxTotal = Math.max(maxTotal, live.length);
      minReady = Math.min(minReady, ready.length);
    };
    const off = env.api.onChange((rkey) => rkey === '/pods' && check());
    await setImage(env.api, 'roll', 'img:2');
    await waitFor(() => rolledOut(env.api, 'roll') && getD(env.api, 'roll').status?.observedGeneration === 2, 'second rollout', 15_000);
    off();
    assert.ok(maxTotal <= 13, `at most 13 pods, saw ${maxTotal}`);
    assert.ok(minReady >= 8, `at least 8 ready, saw ${minReady}`);
    assert.ok(maxTotal > 10, 'the rollout did surge');
    const rss = rsOf(env.api, 'roll');
    assert.equal(rss.length, 2);
    assert.deepEqual(
      rss.map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs.spec!.replicas]),
      [
        ['1', 0],
        ['2', 10],
      ],
    );
    assert.ok(podsOf(env.api, 'roll').every((p) => p.spec!.containers[0]!.image === 'img:2'));
    assert.equal(getD(env.api, 'roll').metadata!.annotations!['deployment.kubernetes.io/revision'], '2');
    const msgs = eventsOf(env.api, 'roll').map((e) => e.message);
    assert.ok(msgs.includes(`Scaled up replica set ${rss[1]!.metadata!.name} from 0 to 3`), msgs.join('\n'));
    assert.ok(msgs.includes(`Scaled down replica set ${rss[0]!.metadata!.name} from 10 to 8`), msgs.join('\n'));
  } finally {
    await env.stop();
  }
});

test('maxSurge 0: old pods go first, one unavailable at a time', async () => {
  const env = await startWorkloads({ readyAfterMs: 10 });
  try {
    await env.api.create(
      resources.deployments,
      deployment('nosurge', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } }),
    );
    await waitFor(() => rolledOut(env.api, 'nosurge'), 'first rollout');
    let maxTotal = 0;
    let minReady = Infinity;
    const off = env.api.onChange((rkey) => {
      if (rkey !== '/pods') return;
      const live = podsOf(env.api, 'nosurge').filter((p) => !p.metadata?.deletionTimestamp);
      maxTotal = Math.max(maxTotal, live.length);
      minReady = Math.min(minReady, live.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length);
    });
    await setImage(env.api, 'nosurge', 'img:2');
    await waitFor(() => rolledOut(env.api, 'nosurge') && getD(env.api, 'nosurge').status?.observedGeneration === 2, 'second rollout', 10_000);
    off();
    assert.equal(maxTotal, 4);
    assert.equal(minReady, 3);
  } finally {
    await env.stop();
  }
});

test('kubectl scale mid-rollout scales the active ReplicaSets proportionally', async () => {
  // New pods never become ready: the rollout stalls with both ReplicaSets active.
  const env = await startWorkloads({ readyAfterMs: 0, filter: (p) => (p.spec as Pod['spec'])?.containers[0]?.image === 'img:1' });
  try {
    await env.api.create(
      resources.deployments,
      deployment('prop', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }),
    );
    await waitFor(() => rolledOut(env.api, 'prop'), 'first rollout');
    await setImage(env.api, 'prop', 'img:2');
    // new 0→3, old 10→8, new 3→5; then new pods unavailable block any further step.
    await waitFor(
      () =>
        rsOf(env.api, 'prop')
          .map((rs) => rs.spec!.replicas)
          .join() === '8,5',
      'stalled at 8 old + 5 new',
    );
    await env.api.patch({ ...resources.deployments, namespace: NS, name: 'prop' }, { spec: { replicas: 20 } }, 'merge');
    // allowed 20 + 5 surge = 25, 12 to add: old round(8*25/13)=15 (+7), new round(5*25/13)=10 (+5).
    await waitFor(
      () =>
        rsOf(env.api, 'prop')
          .map((rs) => rs.spec!.replicas)
          .join() === '15,10',
      'proportional 15 + 10',
    );
    for (const rs of rsOf(env.api, 'prop')) {
      assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '20');
      assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/max-replicas'], '25');
    }
    const [old, neu] = rsOf(env.api, 'prop');
    await waitFor(
      () => eventsOf(env.api, 'prop').some((e) => e.message === `Scaled up replica set ${old!.metadata!.name} from 8 to 15`),
      'event for the old ReplicaSet',
    );
    assert.ok(eventsOf(env.api, 'prop').some((e) => e.message === `Scaled up replica set ${neu!.metadata!.name} from 5 to 10`));
    // Scaling down spreads too: to 4 (surge 1): allowed 5, remove 20 — old first among equals.
    await env.api.patch({ ...resources.deployments, namespace: NS, name: 'prop' }, { spec: { replicas: 4 } }, 'merge');
    await waitFor(() => {
      const sizes = rsOf(env.api, 'prop').map((rs) => rs.spec!.replicas!);
      return sizes[0]! + sizes[1]! === 5 && sizes.join() === '3,2';
    }, 'scaled down to 3 + 2');
  } finally {
    await env.stop();
  }
});

test('rollout restart (a template annotation) makes a new ReplicaSet', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    await env.api.create(resources.deployments, deployment('restart', 2));
    await waitFor(() => rolledOut(env.api, 'restart'), 'rolled out');
    await env.api.patch(
      { ...resources.deployments, namespace: NS, name: 'restart' },
      { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' } } } } },
      'strategic',
    );
    await waitFor(
      () => rsOf(env.api, 'restart').length === 2 && rolledOut(env.api, 'restart') && getD(env.api, 'restart').status?.observedGeneration === 2,
      'restarted',
    );
    const pods = podsOf(env.api, 'restart');
    assert.equal(pods.length, 2);
    assert.ok(pods.every((p) => p.metadata!.annotations!['kubectl.kubernetes.io/restartedAt'] === '2024-01-01T00:00:00Z'));
  } finally {
    await env.stop();
  }
});
