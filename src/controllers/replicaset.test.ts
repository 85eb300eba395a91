import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { StatusError, resources, type KubeObject } from '../client/index.js';
import { FakeApi, fakeKubelet, markPodReady, runControllers, waitFor } from './fake-api.js';
import { calculateReplicaSetStatus, newReplicaSetController, newReplicationControllerController } from './replicaset.js';

const NS = 'default';

function rs(name: string, replicas: number, extra: Record<string, unknown> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: 'web' }, annotations: { note: 'x' } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } },
      ...extra,
    },
  };
}

function orphan(name: string, labels: Record<string, string>, extra: Partial<Pod> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels }, spec: { containers: [{ name: 'c', image: 'img:1' }] }, ...extra };
}

const pods = (api: FakeApi) => api.objects<Pod>('/pods', NS);
const getRS = (api: FakeApi, name: string) => api.objects<ReplicaSet>('apps/replicasets', NS).find((r) => r.metadata?.name === name)!;
const events = (api: FakeApi) => api.objects<Event>('/events', NS);

async function start(api = new FakeApi()) {
  const run = await runControllers(api, (ctx) => newReplicaSetController(ctx));
  return { api, ...run };
}

test('creates spec.replicas pods from the template, owned by the ReplicaSet, with events', async () => {
  const { api, stop } = await start();
  try {
    const created = await api.create(resources.replicasets, rs('web', 3));
    await waitFor(() => pods(api).length === 3, '3 pods');
    for (const p of pods(api)) {
      assert.match(p.metadata!.name!, /^web-[a-z0-9]{5}$/);
      assert.equal(p.metadata!.generateName, 'web-');
      assert.deepEqual(p.metadata!.labels, { app: 'web', tier: 'web' });
      assert.deepEqual(p.metadata!.annotations, { note: 'x' });
      assert.deepEqual(p.metadata!.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true },
      ]);
      assert.equal(p.spec!.containers[0]!.image, 'img:1');
    }
    await waitFor(() => getRS(api, 'web').status?.replicas === 3 && getRS(api, 'web').status?.observedGeneration === 1, 'status.replicas 3');
    await waitFor(() => events(api).filter((e) => e.reason === 'SuccessfulCreate').length === 3, '3 SuccessfulCreate events');
    const names = new Set(pods(api).map((p) => `Created pod: ${p.metadata!.name}`));
    for (const e of events(api).filter((e) => e.reason === 'SuccessfulCreate')) {
      assert.ok(names.has(e.message!), e.message);
      assert.equal(e.source?.component, 'replicaset-controller');
      assert.equal(e.involvedObject.kind, 'ReplicaSet');
      assert.equal(e.involvedObject.name, 'web');
    }
  } finally {
    await stop();
  }
});

test('a burst of events before the watch catches up never creates too many (expectations)', async () => {
  const api = new FakeApi();
  // Pod events arrive late: the ReplicaSet's own status updates trigger syncs meanwhile.
  api.watchDelayMs.set('/pods', 300);
  const { stop } = await start(api);
  try {
    await api.create(resources.replicasets, rs('burst', 4));
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const cur = getRS(api, 'burst');
      await api.patch({ ...resources.replicasets, namespace: NS, name: 'burst' }, { metadata: { annotations: { poke: String(i) } } }, 'merge').catch(() => cur);
    }
    await waitFor(() => getRS(api, 'burst').status?.replicas === 4, 'status.replicas 4', 5000);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(pods(api).length, 4);
    assert.equal(api.writes('create', '/pods').length, 4);
  } finally {
    await stop();
  }
});

test('creates in slow-start batches (1, 2, 4...) and reports ReplicaFailure while creates fail', async () => {
  const api = new FakeApi();
  let failing = true;
  let accepted = 0;
  let failureReportedAt = -1;
  api.failWith = (call, obj) => {
    if (call.verb === 'updateStatus' && failureReportedAt < 0 && (obj?.status as ReplicaSet['status'])?.conditions?.some((c) => c.type === 'ReplicaFailure')) {
      failureReportedAt = api.calls.length - 1;
    }
    if (call.verb !== 'create' || call.resource !== '/pods') return undefined;
    // The first three creates succeed, then the quota is full.
    if (failing && accepted >= 3) return new StatusError({ code: 403, reason: 'Forbidden', message: 'pods "x" is forbidden: exceeded quota' });
    accepted++;
    return undefined;
  };
  const { stop } = await start(api);
  try {
    await api.create(resources.replicasets, rs('quota', 20));
    const cond = await waitFor(() => getRS(api, 'quota').status?.conditions?.find((c) => c.type === 'ReplicaFailure'), 'ReplicaFailure');
    assert.equal(cond.reason, 'FailedCreate');
    assert.equal(cond.message, 'pods "x" is forbidden: exceeded quota');
    // Batches of 1 and 2 succeed, the batch of 4 fails: 7 attempts, then the sync stops.
    const attempts = api.calls.slice(0, failureReportedAt).filter((c) => c.verb === 'create' && c.resource === '/pods');
    assert.equal(attempts.length, 7);
    await waitFor(
      () =>
        events(api).some((e) => e.reason === 'FailedCreate' && e.type === 'Warning' && e.message === 'Error creating: pods "x" is forbidden: exceeded quota'),
      'FailedCreate event',
    );
    failing = false;
    // Retried with backoff until all 20 exist; the condition goes away.
    await waitFor(() => pods(api).length === 20, '20 pods', 8000);
    await waitFor(() => !getRS(api, 'quota').status?.conditions?.some((c) => c.type === 'ReplicaFailure'), 'ReplicaFailure removed');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pods(api).length, 20);
  } finally {
    await stop();
  }
});

test('a deleted pod is replaced; terminating and finished pods are not counted', async () => {
  const { api, stop } = await start();
  try {
    await api.create(resources.replicasets, rs('heal', 2));
    await waitFor(() => pods(api).length === 2, '2 pods');
    const [first, second] = pods(api);
    await api.delete({ ...resources.pods, namespace: NS, name: first!.metadata!.name! });
    await waitFor(() => pods(api).length === 2 && !pods(api).some((p) => p.metadata!.name === first!.metadata!.name), 'replacement pod');
    // A pod that finished (Failed) is no replica: another is created, the failed one stays.
    const cur = pods(api).find((p) => p.metadata!.name === second!.metadata!.name)!;
    await api.updateStatus(resources.pods, { ...cur, status: { phase: 'Failed' } });
    await waitFor(() => pods(api).filter((p) => p.status?.phase !== 'Failed').length === 2, 'replacement for the failed pod');
    await waitFor(() => getRS(api, 'heal').status?.replicas === 2, 'status.replicas 2');
    assert.equal(pods(api).length, 3);
  } finally {
    await stop();
  }
});

test('adopts matching orphans and releases owned pods whose labels stop matching', async () => {
  const api = new FakeApi();
  await api.create(resources.pods, orphan('stray', { app: 'adopt', tier: 'web' }));
  await api.create(resources.pods, orphan('other', { app: 'else' }));
  const { stop } = await start(api);
  try {
    const owner = await api.create(resources.replicasets, rs('adopt', 2));
    await waitFor(() => pods(api).filter((p) => p.metadata!.ownerReferences?.[0]?.uid === owner.metadata!.uid).length === 2, '2 owned pods');
    const stray = pods(api).find((p) => p.metadata!.name === 'stray')!;
    assert.equal(stray.metadata!.ownerReferences?.[0]?.controller, true);
    assert.equal(stray.metadata!.ownerReferences?.[0]?.blockOwnerDeletion, true);
    assert.equal(pods(api).find((p) => p.metadata!.name === 'other')!.metadata!.ownerReferences, undefined);
    // One pod created, one adopted.
    assert.equal(api.writes('create', '/pods').length, 3);
    // Relabel the adopted pod: released, and replaced.
    await api.patch({ ...resources.pods, namespace: NS, name: 'stray' }, { metadata: { labels: { app: 'gone' } } }, 'merge');
    await waitFor(() => !pods(api).find((p) => p.metadata!.name === 'stray')!.metadata!.ownerReferences?.length, 'stray released');
    await waitFor(() => pods(api).filter((p) => p.metadata!.ownerReferences?.[0]?.uid === owner.metadata!.uid).length === 2, 'replacement');
  } finally {
    await stop();
  }
});

test('scale down deletes the least valuable pods first', async () => {
  const api = new FakeApi();
  const labels = { app: 'rank', tier: 'web' };
  const now = new Date();
  const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const ready = (since: number, restarts = 0) => ({
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(since) }],
    containerStatuses: [{ name: 'c', image: 'img:1', imageID: '', ready: true, restartCount: restarts }],
  });
  const spec = (node?: string) => ({ containers: [{ name: 'c', image: 'img:1' }], ...(node ? { nodeName: node } : {}) });
  // Lowest value first: unassigned, Pending, not ready, cheap by annotation, ready briefly.
  await api.create(resources.pods, orphan('unassigned', labels, { spec: spec(), status: { phase: 'Pending' } }));
  await api.create(resources.pods, orphan('pending', labels, { spec: spec('n1'), status: { phase: 'Pending' } }));
  await api.create(
    resources.pods,
    orphan('notready', labels, { spec: spec('n2'), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }),
  );
  await api.create(resources.pods, {
    ...orphan('cheap', labels, { spec: spec('n3'), status: ready(100000) }),
    metadata: { name: 'cheap', namespace: NS, labels, annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-10' } },
  });
  await api.create(resources.pods, orphan('young', labels, { spec: spec('n4'), status: ready(1) }));
  await api.create(resources.pods, orphan('old', labels, { spec: spec('n5'), status: ready(100000) }));
  await api.create(resources.pods, {
    ...orphan('precious', labels, { spec: spec('n6'), status: ready(1) }),
    metadata: { name: 'precious', namespace: NS, labels, annotations: { 'controller.kubernetes.io/pod-deletion-cost': '100' } },
  });
  const { stop } = await start(api);
  try {
    await api.create(resources.replicasets, rs('rank', 7));
    await waitFor(() => getRS(api, 'rank').status?.replicas === 7, 'adopted all 7');
    assert.equal(api.writes('create', '/pods').length, 7);
    const scale = async (n: number) => {
      const cur = getRS(api, 'rank');
      await api.update(resources.replicasets, { ...cur, spec: { ...cur.spec!, replicas: n } });
      await waitFor(() => pods(api).length === n, `${n} pods`);
    };
    await scale(4);
    assert.deepEqual(
      pods(api)
        .map((p) => p.metadata!.name)
        .sort(),
      ['cheap', 'old', 'precious', 'young'],
    );
    await scale(2);
    assert.deepEqual(
      pods(api)
        .map((p) => p.metadata!.name)
        .sort(),
      ['old', 'precious'],
    );
    await waitFor(() => events(api).filter((e) => e.reason === 'SuccessfulDelete').length === 5, 'SuccessfulDelete events');
    assert.ok(events(api).some((e) => e.message === 'Deleted pod: unassigned'));
  } finally {
    await stop();
  }
});

test('status: ready, available after minReadySeconds (requeued without another event), fully labeled', async () => {
  const api = new FakeApi();
  const stopKubelet = fakeKubelet(api, { readyAfterMs: 50 });
  const { stop } = await start(api);
  try {
    await api.create(resources.replicasets, rs('avail', 2, { minReadySeconds: 1 }));
    await waitFor(() => getRS(api, 'avail').status?.readyReplicas === 2, 'readyReplicas 2');
    assert.equal(getRS(api, 'avail').status?.availableReplicas, 0);
    assert.equal(getRS(api, 'avail').status?.fullyLabeledReplicas, 2);
    // lastTransitionTime has whole seconds: available within 2 s, with no pod event to wake us.
    await waitFor(() => getRS(api, 'avail').status?.availableReplicas === 2, 'availableReplicas 2', 4000);
  } finally {
    stopKubelet();
    await stop();
  }
});

test('calculateReplicaSetStatus counts fully labeled, ready and available pods', () => {
  const set = rs('calc', 3, { minReadySeconds: 10 });
  const now = new Date('2024-01-01T00:01:00Z');
  const p = (labels: Record<string, string>, readySince?: string): Pod => ({
    metadata: { labels },
    status: readySince ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] } : {},
  });
  const status = calculateReplicaSetStatus(
    set,
    [p({ app: 'calc', tier: 'web' }, '2024-01-01T00:00:00Z'), p({ app: 'calc' }, '2024-01-01T00:00:55Z'), p({ app: 'calc', tier: 'web' })],
    undefined,
    now,
  );
  assert.deepEqual({ ...status }, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 });
  const failed = calculateReplicaSetStatus(set, [], new Error('boom'), now);
  assert.equal(failed.conditions?.[0]?.reason, 'FailedCreate');
  assert.equal(failed.conditions?.[0]?.message, 'boom');
  const cleared = calculateReplicaSetStatus({ ...set, status: failed }, [], undefined, now);
  assert.equal(cleared.conditions, undefined);
});

test('markPodReady helper makes a pod count as ready', async () => {
  const { api, stop } = await start();
  try {
    await api.create(resources.replicasets, rs('one', 1));
    const pod = await waitFor(() => pods(api)[0], 'a pod');
    await markPodReady(api, NS, pod.metadata!.name!);
    await waitFor(() => getRS(api, 'one').status?.readyReplicas === 1 && getRS(api, 'one').status?.availableReplicas === 1, 'ready 1');
  } finally {
    await stop();
  }
});

test('the ReplicationController controller keeps spec.replicas pods of the legacy kind, selected by its label map', async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newReplicationControllerController(ctx));
  try {
    // An orphan with the selected labels is adopted: only two pods are made.
    await api.create(resources.pods, orphan('stray', { app: 'legacy' }));
    const created = await api.create(resources.replicationcontrollers, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: NS },
      spec: {
        replicas: 3,
        selector: { app: 'legacy' },
        template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } },
      },
    } as KubeObject);
    const rcOf = () => api.objects<ReplicaSet>('/replicationcontrollers', NS)[0]!;
    await waitFor(() => pods(api).length === 3 && rcOf().status?.replicas === 3, '3 pods');
    for (const p of pods(api)) {
      assert.deepEqual(p.metadata!.ownerReferences, [
        { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    assert.ok(pods(api).some((p) => p.metadata!.name === 'stray'));
    await waitFor(() => events(api).filter((e) => e.reason === 'SuccessfulCreate').length === 2, '2 SuccessfulCreate events');
    assert.deepEqual([...new Set(events(api).map((e) => e.source?.component))], ['replication-controller']);
    await api.patch({ ...resources.replicationcontrollers, namespace: NS, name: 'legacy' }, { spec: { replicas: 1 } }, 'merge');
    await waitFor(() => pods(api).length === 1 && rcOf().status?.replicas === 1, 'scaled down to 1');
  } finally {
    await stop();
  }
});

test('status writes start from what this controller last wrote while the informer has not shown it: no conflicts with itself', async () => {
  const api = new FakeApi();
  // The ReplicaSet informer hears of every change 300 ms late, as a busy controller manager does.
  api.watchDelayMs.set('apps/replicasets', 300);
  const stopKubelet = fakeKubelet(api, { readyAfterMs: 10 });
  let statusWrites = 0;
  const stopCounting = api.onChange((resource, ev) => {
    if (resource === 'apps/replicasets' && ev.type === 'MODIFIED') statusWrites++;
  });
  const { stop } = await start(api);
  try {
    await api.create(resources.replicasets, rs('busy', 8));
    await waitFor(() => getRS(api, 'busy').status?.readyReplicas === 8, 'readyReplicas 8', 5000);
    await new Promise((r) => setTimeout(r, 600));
    const st = getRS(api, 'busy').status!;
    assert.deepEqual([st.replicas, st.fullyLabeledReplicas, st.readyReplicas, st.availableReplicas, st.observedGeneration], [8, 8, 8, 8, 1]);
    const calls = api.writes('updateStatus', 'apps/replicasets').length;
    assert.ok(statusWrites >= 3, `${statusWrites} status changes written`);
    // Every call was a write that took: none met a conflict and had to be read again and re-sent.
    assert.equal(calls, statusWrites, `${calls} status calls for ${statusWrites} writes`);
  } finally {
    stopCounting();
    stopKubelet();
    await stop();
  }
});
