import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { persistentVolumeClaimStrategy, PVC_PROTECTION_FINALIZER, defaultClassOf } from './strategy.js';
import { persistentVolumeStrategy, PV_PROTECTION_FINALIZER } from '../persistentvolumes/strategy.js';

const sc = (name: string, isDefault: boolean, created = '2026-01-01T00:00:00Z'): KObject => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
});
const lookups = (classes: KObject[]) => ({
  getNamespace: () => undefined,
  listPriorityClasses: () => [],
  listStorageClasses: () => classes,
  get: () => undefined,
  list: () => [],
});
const claim = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>): KObject => ({
  metadata: { name: 'c', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const create = (o: KObject, classes: KObject[]) => {
  persistentVolumeClaimStrategy.prepareForCreate!(o, lookups(classes));
  return o as any;
};

test('DefaultStorageClass: a claim naming no class gets the default; "" and a named class are kept', () => {
  const classes = [sc('slow', false), sc('local-path', true)];
  assert.equal(create(claim(), classes).spec.storageClassName, 'local-path');
  assert.equal(create(claim({ storageClassName: '' }), classes).spec.storageClassName, '');
  assert.equal(create(claim({ storageClassName: 'slow' }), classes).spec.storageClassName, 'slow');
  // The beta annotation names a class too: nothing is defaulted.
  assert.equal(create(claim({}, { 'volume.beta.kubernetes.io/storage-class': 'slow' }), classes).spec.storageClassName, undefined);
  // No default class: the claim stays without one.
  assert.equal(create(claim(), [sc('slow', false)]).spec.storageClassName, undefined);
});

test('DefaultStorageClass: of two defaults the newest wins, as upstream since 1.26', () => {
  const older = sc('a-old', true, '2026-01-01T00:00:00Z');
  const newer = sc('b-new', true, '2026-01-02T00:00:00Z');
  assert.equal(defaultClassOf([older, newer])?.metadata.name, 'b-new');
  assert.equal(defaultClassOf([newer, older])?.metadata.name, 'b-new');
});

test('StorageObjectInUseProtection: new claims and volumes carry their protection finalizer once', () => {
  const c = create(claim(), []);
  assert.deepEqual(c.metadata.finalizers, [PVC_PROTECTION_FINALIZER]);
  const pv: KObject = { metadata: { name: 'v', finalizers: ['example.com/keep', PV_PROTECTION_FINALIZER] } };
  persistentVolumeStrategy.prepareForCreate!(pv, lookups([]));
  assert.deepEqual(pv.metadata.finalizers, ['example.com/keep', PV_PROTECTION_FINALIZER]);
  const bare: KObject = { metadata: { name: 'w' } };
  persistentVolumeStrategy.prepareForCreate!(bare, lookups([]));
  assert.deepEqual(bare.metadata.finalizers, [PV_PROTECTION_FINALIZER]);
});
