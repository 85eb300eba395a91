import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { resources } from '../../client/index.js';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { newPvcProtectionController, newPvProtectionController, podUsesClaim } from './protection.js';

const NS = 'default';
const claims = (api: FakeApi) => api.objects<PersistentVolumeClaim>('/persistentvolumeclaims', NS);
const volumes = (api: FakeApi) => api.objects<PersistentVolume>('/persistentvolumes');

const pod = (name: string, claim: string, nodeName?: string): Pod => ({
  metadata: { name, namespace: NS },
  spec: { nodeName, containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] },
});

test('a pod holds a claim while scheduled and not finished', () => {
  assert.equal(podUsesClaim(pod('p', 'data', 'n1'), 'data'), true);
  assert.equal(podUsesClaim(pod('p', 'data', 'n1'), 'other'), false);
  assert.equal(podUsesClaim(pod('p', 'data'), 'data'), false);
  assert.equal(podUsesClaim({ ...pod('p', 'data', 'n1'), status: { phase: 'Succeeded' } }, 'data'), false);
  assert.equal(podUsesClaim({ ...pod('p', 'data', 'n1'), status: { phase: 'Running' } }, 'data'), true);
  const eph: Pod = { metadata: { name: 'web' }, spec: { nodeName: 'n1', containers: [], volumes: [{ name: 'scratch', ephemeral: {} }] } };
  assert.equal(podUsesClaim(eph, 'web-scratch'), true);
});

test('pvc-protection: a claim gets the finalizer; deleted while a running pod uses it, it stays until the pod finishes', async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newPvcProtectionController(ctx));
  try {
    await api.create(resources.persistentvolumeclaims, {
      metadata: { name: 'data', namespace: NS },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    } as PersistentVolumeClaim);
    await waitFor(() => claims(api)[0]?.metadata?.finalizers?.includes('kubernetes.io/pvc-protection'), 'the finalizer added');
    await api.create(resources.pods, { ...pod('user', 'data', 'n1'), status: { phase: 'Running' } });
    await api.delete({ ...resources.persistentvolumeclaims, namespace: NS, name: 'data' });
    await new Promise((r) => setTimeout(r, 200));
    const held = claims(api)[0];
    assert.ok(held?.metadata?.deletionTimestamp, 'marked for deletion');
    assert.deepEqual(held.metadata?.finalizers, ['kubernetes.io/pvc-protection'], 'kept while the pod runs');
    const running = api.objects<Pod>('/pods', NS)[0]!;
    await api.updateStatus({ ...resources.pods, namespace: NS }, { ...running, status: { phase: 'Succeeded' } });
    await waitFor(() => claims(api).length === 0, 'the claim gone once its pod finished');
  } finally {
    await stop();
  }
});

test('pvc-protection: a claim no pod uses goes at once; a pod of another claim does not hold it', async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newPvcProtectionController(ctx));
  try {
    await api.create(resources.pods, { ...pod('other', 'else', 'n1'), status: { phase: 'Running' } });
    await api.create(resources.persistentvolumeclaims, {
      metadata: { name: 'data', namespace: NS, finalizers: ['kubernetes.io/pvc-protection'] },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    } as PersistentVolumeClaim);
    await api.delete({ ...resources.persistentvolumeclaims, namespace: NS, name: 'data' });
    await waitFor(() => claims(api).length === 0, 'the unused claim gone');
  } finally {
    await stop();
  }
});

test('pv-protection: a bound volume stays while bound; released, its finalizer comes off', async () => {
  const api = new FakeApi();
  const { stop } = await runControllers(api, (ctx) => newPvProtectionController(ctx));
  try {
    const created = await api.create(resources.persistentvolumes, {
      metadata: { name: 'pv1' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } },
    } as PersistentVolume);
    await api.updateStatus(resources.persistentvolumes, { ...created, status: { phase: 'Bound' } });
    await waitFor(() => volumes(api)[0]?.metadata?.finalizers?.includes('kubernetes.io/pv-protection'), 'the finalizer added');
    await api.delete({ ...resources.persistentvolumes, name: 'pv1' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(volumes(api).length, 1, 'a bound volume is kept');
    await api.updateStatus(resources.persistentvolumes, { ...volumes(api)[0]!, status: { phase: 'Released' } });
    await waitFor(() => volumes(api).length === 0, 'the released volume gone');
  } finally {
    await stop();
  }
});
