import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { EventRecorder, resources, type KubeObject } from '../client/index.js';
import { FakeApi, waitFor } from '../controllers/fake-api.js';
import { LocalPathProvisioner, isLocalPathVolumeOf, volumeDir } from './local-path.js';
import { setUpVolumes, VolumeError, type VolumeSources } from './volumes.js';

const NS = 'default';

test('local-path: a claim selected for this node gets a directory and a volume pinned here; released under Delete, both go', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-local-path-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const api = new FakeApi();
  await api.create(resources.storageclasses, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'local-path' },
    provisioner: 'berth.dev/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  } as KubeObject);
  const recorder = new EventRecorder({ client: api.client, component: 'kubelet', log: () => {} });
  const p = new LocalPathProvisioner({ client: api.client, nodeName: 'n1', dataDir, recorder, log: () => {} });
  await p.start();
  try {
    const claim = (name: string, node: string) =>
      api.create({ ...resources.persistentvolumeclaims, namespace: NS }, {
        metadata: {
          name,
          namespace: NS,
          annotations: { 'volume.kubernetes.io/storage-provisioner': 'berth.dev/local-path', 'volume.kubernetes.io/selected-node': node },
        },
        spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
      } as KubeObject) as Promise<PersistentVolumeClaim>;
    const mine = await claim('data', 'n1');
    const other = await claim('theirs', 'n2');
    const pv = await waitFor(() => api.objects<PersistentVolume>('/persistentvolumes')[0], 'a volume');
    const dir = volumeDir(dataDir, mine);
    assert.equal(dir, join(dataDir, 'storage', `pvc-${mine.metadata!.uid}_default_data`));
    assert.ok(existsSync(dir), 'the directory made');
    assert.equal(pv.metadata?.name, `pvc-${mine.metadata!.uid}`);
    assert.equal(pv.spec?.hostPath?.path, dir);
    assert.deepEqual(pv.spec?.capacity, { storage: '2Gi' });
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.spec?.claimRef?.uid, mine.metadata!.uid);
    assert.ok(isLocalPathVolumeOf(pv, 'n1') && !isLocalPathVolumeOf(pv, 'n2'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(api.objects('/persistentvolumes').length, 1, `no volume for ${other.metadata!.name}, selected for another node`);
    writeFileSync(join(dir, 'f'), 'x');
    await api.updateStatus(resources.persistentvolumes, { ...pv, status: { phase: 'Released' } } as KubeObject);
    await waitFor(() => api.objects('/persistentvolumes').length === 0, 'the volume deleted');
    assert.equal(existsSync(dir), false, 'the directory removed');
  } finally {
    await p.stop();
  }
});

test('a persistentVolumeClaim volume mounts its bound volume; an unbound claim waits with kubelet message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-pvc-vol-'));
  try {
    let claim: PersistentVolumeClaim = { metadata: { name: 'data', namespace: NS }, spec: {}, status: { phase: 'Pending' } };
    const pv: PersistentVolume = { metadata: { name: 'pv1' }, spec: { hostPath: { path: dir } } };
    const src: VolumeSources = {
      getConfigMap: async () => undefined,
      getSecret: async () => undefined,
      getClaim: async (_ns, name) => (name === 'data' ? claim : undefined),
      getVolume: async (name) => (name === 'pv1' ? pv : undefined),
      podIPs: [],
      hostIPs: [],
      allocatable: { cpuMilli: 1000, memory: 1 << 30 },
    };
    const pod: Pod = {
      metadata: { name: 'p', namespace: NS, uid: 'u1' },
      spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] },
    };
    await assert.rejects(
      setUpVolumes(pod, dir, src),
      (e: Error) => e instanceof VolumeError && e.message === 'PVC default/data has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")',
    );
    claim = { ...claim, spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } };
    assert.equal((await setUpVolumes(pod, dir, src)).get('v'), dir);
    const missing: Pod = { ...pod, spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'nope' } }] } };
    await assert.rejects(setUpVolumes(missing, dir, src), /persistentvolumeclaim "nope" not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local-path for simulated nodes: volumes of the nodes served, objects only, no directory', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-local-path-sim-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const api = new FakeApi();
  const recorder = new EventRecorder({ client: api.client, component: 'kubelet', log: () => {} });
  const served = new Set(['sim-1', 'sim-2']);
  const p = new LocalPathProvisioner({ client: api.client, nodeName: (n) => served.has(n), dataDir, directories: false, recorder, log: () => {} });
  await p.start();
  try {
    for (const [name, node] of [
      ['a', 'sim-2'],
      ['b', 'elsewhere'],
    ])
      await api.create({ ...resources.persistentvolumeclaims, namespace: NS }, {
        metadata: {
          name,
          namespace: NS,
          annotations: { 'volume.kubernetes.io/storage-provisioner': 'berth.dev/local-path', 'volume.kubernetes.io/selected-node': node },
        },
        spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      } as KubeObject);
    const pv = await waitFor(() => api.objects<PersistentVolume>('/persistentvolumes')[0], 'a volume');
    assert.equal(pv.spec?.claimRef?.name, 'a');
    assert.ok(isLocalPathVolumeOf(pv, 'sim-2'));
    assert.equal(existsSync(join(dataDir, 'storage')), false, 'nothing made on this machine');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(api.objects('/persistentvolumes').length, 1, 'no volume for a node not served');
    await api.updateStatus(resources.persistentvolumes, { ...pv, status: { phase: 'Released' } } as KubeObject);
    await waitFor(() => api.objects('/persistentvolumes').length === 0, 'the released volume deleted');
  } finally {
    await p.stop();
  }
});
