import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { resources } from '../../client/index.js';
import { FakeApi, fakeKubelet, runControllers, waitFor } from '../fake-api.js';
import { newStatefulSetController } from './controller.js';

const NS = 'default';
const REF = { ...resources.statefulsets, namespace: NS, name: 'web' };

const statefulSet = (spec: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: NS },
  spec: {
    replicas: 3,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'img:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
    },
    volumeClaimTemplates: [
      { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    ],
    ...spec,
  },
});

const pods = (api: FakeApi) => api.objects<Pod>('/pods', NS).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
const claims = (api: FakeApi) => api.objects<PersistentVolumeClaim>('/persistentvolumeclaims', NS);
const sts = (api: FakeApi) => api.objects<StatefulSet>('apps/statefulsets', NS)[0]!;
const isReady = (p: Pod | undefined) => !!p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Records pod creations and deletions in order, with whether the previous ordinal was Ready when a pod was created. */
function journal(api: FakeApi) {
  const created: string[] = [];
  const deleted: string[] = [];
  const readyBefore: Record<string, boolean> = {};
  const off = api.onChange((rkey, ev) => {
    if (rkey !== '/pods') return;
    const name = ev.object.metadata!.name!;
    if (ev.type === 'ADDED') {
      created.push(name);
      const ord = Number(name.split('-').pop());
      if (ord > 0) readyBefore[name] = isReady(pods(api).find((p) => p.metadata!.name === `web-${ord - 1}`));
    }
    if (ev.type === 'DELETED') deleted.push(name);
  });
  return { created, deleted, readyBefore, off };
}

async function started(spec: Partial<NonNullable<StatefulSet['spec']>> = {}, readyAfterMs = 20) {
  const api = new FakeApi();
  const stopKubelet = fakeKubelet(api, { readyAfterMs });
  const log = journal(api);
  const { stop } = await runControllers(api, (ctx) => newStatefulSetController(ctx));
  await api.create(resources.statefulsets, statefulSet(spec));
  return {
    api,
    log,
    async stop() {
      await stop();
      stopKubelet();
      log.off();
    },
  };
}

test('OrderedReady: web-0, web-1, web-2 in order, each after the previous is Ready, with identity, claims and status', async () => {
  const { api, log, stop } = await started();
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 3, '3 ready replicas');
    assert.deepEqual(log.created, ['web-0', 'web-1', 'web-2']);
    assert.deepEqual(log.readyBefore, { 'web-1': true, 'web-2': true });
    const web1 = pods(api)[1]!;
    assert.equal(web1.spec!.hostname, 'web-1');
    assert.equal(web1.spec!.subdomain, 'web');
    assert.equal(web1.metadata!.labels!['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(web1.metadata!.labels!['apps.kubernetes.io/pod-index'], '1');
    assert.deepEqual(web1.spec!.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
    assert.equal(web1.metadata!.ownerReferences![0]!.kind, 'StatefulSet');
    assert.deepEqual(
      claims(api)
        .map((c) => c.metadata!.name)
        .sort(),
      ['data-web-0', 'data-web-1', 'data-web-2'],
    );
    const claim = claims(api)[0]!;
    assert.deepEqual(claim.metadata!.labels, { tier: 'db', app: 'web' });
    assert.equal(claim.metadata!.ownerReferences, undefined, 'Retain/Retain: no owner');
    assert.equal(claim.spec!.resources!.requests!.storage, '1Gi');
    const s = sts(api).status!;
    const rev = api.objects<ControllerRevision>('apps/controllerrevisions', NS);
    assert.equal(rev.length, 1);
    assert.deepEqual(
      [s.replicas, s.readyReplicas, s.availableReplicas, s.currentReplicas, s.updatedReplicas, s.observedGeneration],
      [3, 3, 3, 3, 3, sts(api).metadata!.generation],
    );
    assert.equal(s.currentRevision, rev[0]!.metadata!.name);
    assert.equal(s.updateRevision, rev[0]!.metadata!.name);
    assert.ok(pods(api).every((p) => p.metadata!.labels!['controller-revision-hash'] === s.updateRevision));
  } finally {
    await stop();
  }
});

test('ordinals.start names the pods from the start ordinal', async () => {
  const { api, stop } = await started({ replicas: 2, ordinals: { start: 5 } }, 0);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 2, '2 ready');
    assert.deepEqual(
      pods(api).map((p) => p.metadata!.name),
      ['web-5', 'web-6'],
    );
    assert.equal(pods(api)[0]!.metadata!.labels!['apps.kubernetes.io/pod-index'], '5');
  } finally {
    await stop();
  }
});

test('Parallel creates every pod without waiting for readiness', async () => {
  const { api, stop } = await started({ podManagementPolicy: 'Parallel' }, 60_000);
  try {
    await waitFor(() => pods(api).length === 3, '3 pods created while none is ready');
    assert.ok(pods(api).every((p) => !isReady(p)));
  } finally {
    await stop();
  }
});

test('scale down removes the highest ordinal first, one at a time; Retain keeps the claims', async () => {
  const { api, log, stop } = await started({}, 0);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 3, '3 ready');
    await api.patch(REF, { spec: { replicas: 1 } }, 'merge');
    await waitFor(() => pods(api).length === 1 && sts(api).status?.replicas === 1, 'scaled to 1');
    assert.deepEqual(log.deleted, ['web-2', 'web-1']);
    assert.equal(claims(api).length, 3);
  } finally {
    await stop();
  }
});

test('whenScaled Delete: a scaled-down pod owns its claims (the garbage collector removes them with it); whenDeleted Delete: the set owns the rest', async () => {
  const { api, stop } = await started({ persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Delete' } }, 0);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 3, '3 ready');
    const setUid = sts(api).metadata!.uid;
    assert.ok(claims(api).every((c) => c.metadata!.ownerReferences?.length === 1 && c.metadata!.ownerReferences[0]!.uid === setUid));
    const web2 = pods(api)[2]!;
    await api.patch(REF, { spec: { replicas: 2 } }, 'merge');
    await waitFor(() => pods(api).length === 2, 'scaled to 2');
    const owners = (name: string) => claims(api).find((c) => c.metadata!.name === name)!.metadata!.ownerReferences!;
    assert.deepEqual(
      owners('data-web-2').map((r) => [r.kind, r.name, r.uid]),
      [['Pod', 'web-2', web2.metadata!.uid]],
    );
    assert.deepEqual(
      owners('data-web-0').map((r) => r.kind),
      ['StatefulSet'],
    );
  } finally {
    await stop();
  }
});

test('a rolling update replaces pods from the highest ordinal down, stops at the partition, then completes', async () => {
  const { api, log, stop } = await started({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, 10);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 3, '3 ready');
    const first = sts(api).status!.currentRevision;
    await api.patch(REF, { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } }, 'strategic');
    await waitFor(() => sts(api).status?.updatedReplicas === 2 && sts(api).status?.readyReplicas === 3, 'ordinals 1 and 2 updated');
    assert.deepEqual(log.deleted, ['web-2', 'web-1']);
    const images = () => pods(api).map((p) => p.spec!.containers[0]!.image);
    assert.deepEqual(images(), ['img:1', 'img:2', 'img:2']);
    let s = sts(api).status!;
    assert.equal(s.currentRevision, first, 'the partition keeps the current revision');
    assert.notEqual(s.updateRevision, first);
    assert.equal(s.currentReplicas, 1);

    await api.patch(REF, { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'strategic');
    await waitFor(() => sts(api).status?.currentRevision === sts(api).status?.updateRevision && sts(api).status?.readyReplicas === 3, 'complete');
    assert.deepEqual(log.deleted, ['web-2', 'web-1', 'web-0']);
    assert.deepEqual(images(), ['img:2', 'img:2', 'img:2']);
    s = sts(api).status!;
    assert.equal(s.currentReplicas, 3);
    assert.deepEqual(
      api
        .objects<ControllerRevision>('apps/controllerrevisions', NS)
        .map((r) => r.revision)
        .sort(),
      [1, 2],
    );
  } finally {
    await stop();
  }
});

test('maxUnavailable 2 replaces two pods at once; OnDelete replaces none until a pod is deleted', async () => {
  const { api, stop } = await started({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } }, 30);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 3, '3 ready');
    let most = 0;
    const off = api.onChange(() => {
      most = Math.max(most, 3 - pods(api).filter(isReady).length);
    });
    await api.patch(REF, { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } }, 'strategic');
    await waitFor(() => pods(api).every((p) => p.spec!.containers[0]!.image === 'img:2' && isReady(p)) && sts(api).status?.updatedReplicas === 3, 'updated');
    off();
    assert.equal(most, 2, 'two pods were replaced at once, never three');

    await api.patch(REF, { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null } } }, 'merge');
    await api.patch(REF, { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:3' }] } } } }, 'strategic');
    await waitFor(() => sts(api).status?.observedGeneration === sts(api).metadata!.generation, 'observed');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(pods(api).every((p) => p.spec!.containers[0]!.image === 'img:2'));
    await api.delete({ ...resources.pods, namespace: NS, name: 'web-1' });
    await waitFor(() => pods(api).find((p) => p.metadata!.name === 'web-1')?.spec!.containers[0]!.image === 'img:3', 'web-1 recreated on img:3');
    assert.equal(pods(api).find((p) => p.metadata!.name === 'web-0')!.spec!.containers[0]!.image, 'img:2');
  } finally {
    await stop();
  }
});

test('a failed pod is deleted and recreated under the same name', async () => {
  const { api, stop } = await started({ replicas: 2 }, 0);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 2, '2 ready');
    const old = pods(api)[1]!;
    await api.updateStatus({ ...resources.pods, namespace: NS }, { ...old, status: { phase: 'Failed' } });
    await waitFor(() => {
      const web1 = pods(api).find((p) => p.metadata!.name === 'web-1');
      return web1 && web1.metadata!.uid !== old.metadata!.uid && isReady(web1);
    }, 'web-1 replaced');
  } finally {
    await stop();
  }
});

test('minReadySeconds: OrderedReady waits until the previous pod has been Ready that long; availableReplicas follows', async () => {
  const api = new FakeApi();
  const stopKubelet = fakeKubelet(api, { readyAfterMs: 0 });
  const readyAt = new Map<string, number>();
  const createdAt = new Map<string, number>();
  const off = api.onChange((rkey, ev) => {
    if (rkey !== '/pods') return;
    const name = ev.object.metadata!.name!;
    if (ev.type === 'ADDED') createdAt.set(name, Date.now());
    if (isReady(ev.object as Pod) && !readyAt.has(name)) readyAt.set(name, Date.now());
  });
  const { stop } = await runControllers(api, (ctx) => newStatefulSetController(ctx));
  try {
    await api.create(resources.statefulsets, statefulSet({ replicas: 2, minReadySeconds: 2 }));
    await waitFor(() => sts(api).status?.readyReplicas === 1, 'web-0 ready');
    assert.equal(sts(api).status!.availableReplicas, 0, 'ready, not yet available');
    await waitFor(() => sts(api).status?.availableReplicas === 2, 'both available', 10_000);
    // Ready times are whole seconds (as upstream's): 2 s after the recorded transition, so at least 1 s after the event.
    const transition = Date.parse(pods(api)[0]!.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!);
    assert.ok(createdAt.get('web-1')! > transition + 2000, 'web-1 created only once web-0 had been Ready 2 s');
    const waited = createdAt.get('web-1')! - readyAt.get('web-0')!;
    assert.ok(waited >= 1000, `web-1 created ${waited} ms after web-0 was ready`);
  } finally {
    await stop();
    stopKubelet();
    off();
  }
});

test('a StatefulSet re-created after an orphaning delete adopts its pods and revision and replaces nothing', async () => {
  const { api, stop } = await started({ replicas: 2 }, 0);
  try {
    await waitFor(() => sts(api).status?.readyReplicas === 2, '2 ready');
    const before = pods(api).map((p) => p.metadata!.uid);
    const revision = api.objects<ControllerRevision>('apps/controllerrevisions', NS)[0]!;
    // What the garbage collector does for an orphaning delete: the owner references go, then the set.
    for (const o of [...pods(api), revision]) {
      const ref =
        o.kind === 'Pod'
          ? { ...resources.pods, namespace: NS, name: o.metadata!.name! }
          : { ...resources.controllerrevisions, namespace: NS, name: o.metadata!.name! };
      await api.patch(ref, { metadata: { ownerReferences: null } }, 'merge');
    }
    await api.delete(REF);
    await api.create(resources.statefulsets, statefulSet({ replicas: 2 }));
    const uid = sts(api).metadata!.uid;
    await waitFor(() => pods(api).every((p) => p.metadata!.ownerReferences?.[0]?.uid === uid) && sts(api).status?.readyReplicas === 2, 'pods adopted');
    await waitFor(() => sts(api).status?.currentRevision === revision.metadata!.name, 'the old revision is current');
    assert.deepEqual(
      pods(api).map((p) => p.metadata!.uid),
      before,
    );
    const revs = api.objects<ControllerRevision>('apps/controllerrevisions', NS);
    assert.equal(revs.length, 1);
    assert.equal(revs[0]!.metadata!.ownerReferences![0]!.uid, uid);
  } finally {
    await stop();
  }
});

test("a StatefulSet re-created while its predecessor's pod still terminates creates that ordinal once the old pod is gone", async () => {
  const api = new FakeApi();
  const stopKubelet = fakeKubelet(api);
  // The deleted set's web-0, still terminating (a finalizer stands in for its grace period):
  // owned by another set, so no event of it reaches the new set.
  const oldRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'deleted-set-uid', controller: true, blockOwnerDeletion: true };
  await api.create(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: NS, labels: { app: 'web' }, ownerReferences: [oldRef], finalizers: ['test/terminating'] },
    spec: { containers: [{ name: 'c', image: 'img:1' }] },
  });
  const podRef = { ...resources.pods, namespace: NS, name: 'web-0' };
  await api.delete(podRef);
  const { stop } = await runControllers(api, (ctx) => newStatefulSetController(ctx));
  try {
    await api.create(resources.statefulsets, statefulSet({ replicas: 1, volumeClaimTemplates: [] }));
    const uid = sts(api).metadata!.uid;
    await waitFor(() => api.writes('create', '/pods').length >= 2 && sts(api).status?.observedGeneration === 1, 'the new set tried to create web-0');
    // Let the syncs the set's own events started finish: from here only a retry creates web-0.
    await new Promise((r) => setTimeout(r, 300));
    await api.patch(podRef, { metadata: { finalizers: null } }, 'merge');
    await waitFor(() => pods(api)[0]?.metadata?.ownerReferences?.[0]?.uid === uid && isReady(pods(api)[0]), "the new set's web-0 running");
    assert.ok(
      !api.objects<{ reason?: string }>('/events', NS).some((e) => e.reason === 'FailedCreate'),
      'a name still taken is retried, not reported as a failure (as upstream)',
    );
  } finally {
    await stop();
    stopKubelet();
  }
});
