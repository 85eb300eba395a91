import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { persistentVolumeValidator } from './validation.js';
import { persistentVolumePrinter } from './printer.js';
import { defaultPersistentVolume } from './defaults.js';
import { persistentVolumeClaimValidator } from '../persistentvolumeclaims/validation.js';
import { persistentVolumeClaimPrinter } from '../persistentvolumeclaims/printer.js';
import { storageClassValidator } from '../storageclasses/validation.js';
import { storageClassPrinter } from '../storageclasses/printer.js';
import { accessModesString } from './shared.js';

const now = new Date('2026-01-01T00:01:00Z');
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: '2026-01-01T00:00:00Z' });

test('pv: one source, capacity and modes required; defaults; printed as kubectl get pv', () => {
  const pv: KObject = {
    metadata: meta('pv1'),
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], hostPath: { path: '/data' } },
  };
  defaultPersistentVolume(pv);
  assert.deepEqual(persistentVolumeValidator.create(pv), []);
  assert.equal((pv.status as any).phase, 'Pending');
  assert.deepEqual(persistentVolumePrinter.cells(pv, now), ['pv1', '1Gi', 'RWO,ROX', 'Retain', 'Pending', '', '', '<unset>', '', '60s', 'Filesystem']);
  assert.deepEqual(persistentVolumeValidator.create({ metadata: meta('pv2'), spec: { accessModes: ['Sometimes'] } }).map(fieldErrorMessage), [
    'spec.accessModes: Unsupported value: "Sometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.capacity: Required value',
    'spec: Required value: must specify a volume type',
  ]);
  const local = persistentVolumeValidator.create({
    metadata: meta('pv3'),
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: '/x' } },
  });
  assert.deepEqual(local.map(fieldErrorMessage), ['spec.nodeAffinity: Required value: Local volume requires node affinity']);
  assert.equal(accessModesString(['ReadWriteOncePod', 'ReadWriteMany', 'ReadWriteOnce']), 'RWO,RWX,RWOP');
});

test('pvc: modes and a storage request; the spec fixed after creation but for a larger request', () => {
  const pvc = (storage: string, extra: Record<string, unknown> = {}): KObject => ({
    metadata: meta('c', 'n'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...extra },
  });
  assert.deepEqual(persistentVolumeClaimValidator.create(pvc('1Gi')), []);
  assert.deepEqual(persistentVolumeClaimValidator.create({ metadata: meta('c', 'n'), spec: { accessModes: ['ReadWriteOnce'] } }).map(fieldErrorMessage), [
    'spec.resources.requests.storage: Required value',
  ]);
  assert.deepEqual(persistentVolumeClaimValidator.update!(pvc('2Gi'), pvc('1Gi')), []);
  assert.deepEqual(
    persistentVolumeClaimValidator.update!(pvc('1Gi', { storageClassName: 'x' }), pvc('1Gi')).map((e) => e.field),
    ['spec'],
  );
  assert.deepEqual(
    persistentVolumeClaimValidator.update!(pvc('1Gi'), pvc('2Gi')).map((e) => e.field),
    ['spec.resources.requests.storage'],
  );
  const bound = {
    ...pvc('1Gi', { volumeName: 'pv1', storageClassName: 'local-path' }),
    status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
  };
  assert.deepEqual(persistentVolumeClaimPrinter.cells(bound, now), ['c', 'Bound', 'pv1', '1Gi', 'RWO', 'local-path', '<unset>', '60s', '<unset>']);
  const deleting = { ...bound, metadata: { ...bound.metadata, deletionTimestamp: '2026-01-01T00:00:30Z' } };
  assert.equal(persistentVolumeClaimPrinter.cells(deleting, now)[1], 'Terminating');
  const pv = { metadata: meta('pv1'), spec: { capacity: { storage: '1Gi' } }, status: { phase: 'Bound' } };
  assert.equal(persistentVolumePrinter.cells(pv, now)[4], 'Bound');
  assert.equal(persistentVolumePrinter.cells({ ...pv, metadata: { ...pv.metadata, deletionTimestamp: '2026-01-01T00:00:30Z' } }, now)[4], 'Terminating');
});

test('storageclass: a provisioner, known modes; the default class marked; parameters immutable', () => {
  const sc = (extra: Record<string, unknown> = {}): KObject => ({
    metadata: { ...meta('fast'), annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'berth.dev/local-path',
    ...extra,
  });
  assert.deepEqual(storageClassValidator.create(sc()), []);
  assert.deepEqual(storageClassValidator.create(sc({ volumeBindingMode: 'Later' })).map(fieldErrorMessage), [
    'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
  ]);
  assert.deepEqual(storageClassValidator.update!(sc({ parameters: { a: 'b' } }), sc()).map(fieldErrorMessage), [
    'parameters: Forbidden: updates to parameters are forbidden.',
  ]);
  assert.deepEqual(storageClassPrinter.cells(sc({ volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' }), now), [
    'fast (default)',
    'berth.dev/local-path',
    'Delete',
    'WaitForFirstConsumer',
    'false',
    '60s',
  ]);
});
