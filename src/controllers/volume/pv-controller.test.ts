import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import { resources, type KubeObject } from '../../client/index.js';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { newPersistentVolumeController } from './pv-controller.js';
import { findBestMatch } from './matching.js';

const NS = 'default';
const claim = (api: FakeApi, name: string) => api.objects<PersistentVolumeClaim>('/persistentvolumeclaims', NS).find((c) => c.metadata?.name === name);
const volume = (api: FakeApi, name: string) => api.objects<PersistentVolume>('/persistentvolumes').find((v) => v.metadata?.name === name);
const events = (api: FakeApi, reason: string) => api.objects<Event>('/events').filter((e) => e.reason === reason);

function pv(
  name: string,
  storage: string,
  extra: Partial<PersistentVolume['spec']> = {},
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
): PersistentVolume {
  return {
    metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/srv/${name}` }, persistentVolumeReclaimPolicy: 'Retain', ...extra },
  };
}
function pvc(name: string, storage: string, extra: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim {
  return { metadata: { name, namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, storageClassName: '', ...extra } };
}

async function withController(fn: (api: FakeApi) => Promise<void>): Promise<void> {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newPersistentVolumeController(ctx, { resyncMs: 100 }));
  try {
    await fn(api);
  } finally {
    await stop();
  }
}

const create = (api: FakeApi, o: PersistentVolume | PersistentVolumeClaim) =>
  'namespace' in (o.metadata ?? {})
    ? api.create({ ...resources.persistentvolumeclaims, namespace: NS }, o as KubeObject)
    : api.create(resources.persistentvolumes, o as KubeObject);

test('matching: the smallest fitting volume of the class, modes and selector; a pre-bound volume first', () => {
  const avail = (v: PersistentVolume): PersistentVolume => ({ ...v, status: { phase: 'Available' } });
  const vols = [avail(pv('big', '10Gi')), avail(pv('small', '1Gi')), avail(pv('mid', '5Gi')), avail(pv('rwx', '2Gi', { accessModes: ['ReadWriteMany'] }))];
  const c = { ...pvc('c', '2Gi'), metadata: { name: 'c', namespace: NS, uid: 'u1' } };
  assert.equal(findBestMatch(c, vols)?.metadata?.name, 'mid');
  assert.equal(findBestMatch({ ...c, spec: { ...c.spec, accessModes: ['ReadWriteMany'] } }, vols)?.metadata?.name, 'rwx');
  assert.equal(findBestMatch({ ...c, spec: { ...c.spec, storageClassName: 'fast' } }, vols), undefined, 'no volume of class fast');
  assert.equal(findBestMatch({ ...pvc('c', '20Gi'), metadata: c.metadata }, vols), undefined, 'none big enough');
  const labelled = [...vols, avail(pv('ssd', '8Gi', {}, { disk: 'ssd' }))];
  assert.equal(findBestMatch({ ...c, spec: { ...c.spec, selector: { matchLabels: { disk: 'ssd' } } } }, labelled)?.metadata?.name, 'ssd');
  const pre = avail(pv('pre', '10Gi', { claimRef: { namespace: NS, name: 'c' } }));
  assert.equal(findBestMatch(c, [...vols, pre])?.metadata?.name, 'pre', 'pre-bound wins over a smaller fit');
  const elsewhere = avail(pv('taken', '2Gi', { claimRef: { namespace: NS, name: 'other', uid: 'u2' } }));
  assert.equal(findBestMatch(c, [elsewhere]), undefined);
  assert.equal(findBestMatch(c, vols, true), undefined, 'WaitForFirstConsumer leaves unbound volumes to the scheduler');
  assert.equal(findBestMatch({ ...c, spec: { ...c.spec, volumeMode: 'Block' } }, vols), undefined, 'volume mode must match');
});

test('binder: a volume turns Available; a claim binds the smallest fit, both sides Bound with capacity and modes', async () => {
  await withController(async (api) => {
    await create(api, pv('pv-5', '5Gi'));
    await create(api, pv('pv-2', '2Gi'));
    await waitFor(() => volume(api, 'pv-2')?.status?.phase === 'Available' && volume(api, 'pv-5')?.status?.phase === 'Available', 'volumes Available');
    await create(api, pvc('data', '1500Mi'));
    const bound = await waitFor(() => (claim(api, 'data')?.status?.phase === 'Bound' ? claim(api, 'data') : undefined), 'claim Bound');
    assert.equal(bound.spec?.volumeName, 'pv-2');
    assert.deepEqual(bound.status?.capacity, { storage: '2Gi' });
    assert.deepEqual(bound.status?.accessModes, ['ReadWriteOnce']);
    assert.equal(bound.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
    const v = await waitFor(() => (volume(api, 'pv-2')?.status?.phase === 'Bound' ? volume(api, 'pv-2') : undefined), 'volume Bound');
    assert.equal(v.spec?.claimRef?.name, 'data');
    assert.equal(v.spec?.claimRef?.uid, bound.metadata?.uid);
    assert.equal(volume(api, 'pv-5')?.status?.phase, 'Available');
  });
});

test('binder: no fitting volume leaves the claim Pending; one created later is bound', async () => {
  await withController(async (api) => {
    await create(api, pvc('wait', '3Gi'));
    await waitFor(() => events(api, 'FailedBinding').length > 0, 'the FailedBinding event');
    assert.equal(claim(api, 'wait')?.status?.phase, 'Pending');
    await create(api, pv('late', '4Gi'));
    await waitFor(() => claim(api, 'wait')?.status?.phase === 'Bound', 'bound to the later volume');
    assert.equal(claim(api, 'wait')?.spec?.volumeName, 'late');
  });
});

test('binder: a claim naming its volume binds to it; one naming a volume bound elsewhere stays Pending', async () => {
  await withController(async (api) => {
    await create(api, pv('chosen', '10Gi'));
    await create(api, pvc('mine', '1Gi', { volumeName: 'chosen' }));
    await waitFor(() => claim(api, 'mine')?.status?.phase === 'Bound', 'pre-bound claim Bound');
    await create(api, pvc('thief', '1Gi', { volumeName: 'chosen' }));
    await waitFor(() => events(api, 'FailedBinding').some((e) => e.message === 'volume "chosen" already bound to a different claim.'), 'refused');
    assert.equal(claim(api, 'thief')?.status?.phase, 'Pending');
    assert.equal(volume(api, 'chosen')?.spec?.claimRef?.name, 'mine');
  });
});

test('reclaim: Retain leaves the volume Released; Delete of a static volume fails; a provisioned one is left to its provisioner', async () => {
  await withController(async (api) => {
    await create(api, pv('keep', '1Gi'));
    await create(api, pv('static-del', '1Gi', { persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: NS, name: 'b' } }));
    await create(
      api,
      pv('prov', '1Gi', { persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: NS, name: 'c' } }, undefined, {
        'pv.kubernetes.io/provisioned-by': 'berth.dev/local-path',
      }),
    );
    for (const n of ['a', 'b', 'c']) await create(api, pvc(n, '1Gi', { volumeName: n === 'a' ? 'keep' : undefined }));
    await waitFor(() => ['a', 'b', 'c'].every((n) => claim(api, n)?.status?.phase === 'Bound'), 'all bound');
    for (const n of ['a', 'b', 'c']) await api.delete({ ...resources.persistentvolumeclaims, namespace: NS, name: n });
    await waitFor(() => volume(api, 'keep')?.status?.phase === 'Released', 'Retain: Released');
    await waitFor(() => volume(api, 'static-del')?.status?.phase === 'Failed', 'static Delete: Failed');
    assert.equal(volume(api, 'static-del')?.status?.message, 'no deletable volume plugin matched');
    await waitFor(() => volume(api, 'prov')?.status?.phase === 'Released', 'provisioned: Released for its provisioner');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(volume(api, 'prov')?.status?.phase, 'Released');
    assert.equal(volume(api, 'keep')?.spec?.claimRef?.name, 'a', 'a Released volume keeps its claimRef');
  });
});

test('a bound claim whose volume is gone is Lost', async () => {
  await withController(async (api) => {
    await create(api, pv('gone', '1Gi'));
    await create(api, pvc('orphan', '1Gi'));
    await waitFor(() => claim(api, 'orphan')?.status?.phase === 'Bound', 'bound');
    await api.delete({ ...resources.persistentvolumes, name: 'gone' });
    await waitFor(() => claim(api, 'orphan')?.status?.phase === 'Lost', 'Lost');
    assert.ok(events(api, 'ClaimLost').length > 0);
  });
});

test('WaitForFirstConsumer: no binding before a node is selected; then the class provisioner is named on the claim', async () => {
  await withController(async (api) => {
    await api.create(resources.storageclasses, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path' },
      provisioner: 'berth.dev/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    } as KubeObject);
    await create(api, pv('spare', '5Gi', { storageClassName: 'local-path' }));
    await create(api, pvc('late', '1Gi', { storageClassName: 'local-path' }));
    await waitFor(() => events(api, 'WaitForFirstConsumer').length > 0, 'waiting for the first consumer');
    assert.equal(claim(api, 'late')?.spec?.volumeName, undefined);
    const c = claim(api, 'late')!;
    await api.update({ ...resources.persistentvolumeclaims, namespace: NS }, {
      ...c,
      metadata: { ...c.metadata, annotations: { 'volume.kubernetes.io/selected-node': 'n1' } },
    } as KubeObject);
    await waitFor(
      () => claim(api, 'late')?.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'] === 'berth.dev/local-path',
      'provisioner named',
    );
    assert.ok(events(api, 'ExternalProvisioning').length > 0);
  });
});
