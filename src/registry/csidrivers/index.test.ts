import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { csiDriverPrinter } from './printer.js';
import { csiDriverValidator } from './validation.js';
import { defaultCSIDriver } from './defaults.js';

const now = new Date('2026-01-01T00:01:00Z');
const driver = (spec: Record<string, unknown> = {}, name = 'ebs.csi.aws.com'): KObject => {
  const o: KObject = { metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
  defaultCSIDriver(o);
  return o;
};

test("csidriver: upstream's defaults, and the columns of kubectl get csidrivers", () => {
  const d = driver();
  assert.deepEqual(d.spec, {
    attachRequired: true,
    podInfoOnMount: false,
    storageCapacity: false,
    fsGroupPolicy: 'ReadWriteOnceWithFSType',
    volumeLifecycleModes: ['Persistent'],
    requiresRepublish: false,
    seLinuxMount: false,
  });
  assert.deepEqual(csiDriverValidator.create(d), []);
  assert.deepEqual(
    csiDriverPrinter.columns.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['AttachRequired', 'boolean'],
      ['PodInfoOnMount', 'boolean'],
      ['StorageCapacity', 'boolean'],
      ['TokenRequests', 'string'],
      ['RequiresRepublish', 'boolean'],
      ['Modes', 'string'],
      ['Age', 'string'],
    ],
  );
  assert.deepEqual(csiDriverPrinter.cells(d, now), ['ebs.csi.aws.com', true, false, false, '<unset>', false, 'Persistent', '60s']);
  const custom = driver({
    attachRequired: false,
    podInfoOnMount: true,
    tokenRequests: [{ audience: 'vault' }, { audience: 'gcp' }],
    volumeLifecycleModes: ['Persistent', 'Ephemeral'],
  });
  assert.deepEqual(csiDriverPrinter.cells(custom, now), ['ebs.csi.aws.com', false, true, false, 'vault,gcp', false, 'Persistent,Ephemeral', '60s']);
});

test("csidriver: validated as upstream's ValidateCSIDriver", () => {
  assert.deepEqual(
    csiDriverValidator
      .create(
        driver({
          fsGroupPolicy: 'Sometimes',
          volumeLifecycleModes: ['Forever'],
          tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }, { audience: 'b', expirationSeconds: 2 ** 33 }],
        }),
      )
      .map(fieldErrorMessage),
    [
      'spec.fsGroupPolicy: Unsupported value: "Sometimes": supported values: "File", "None", "ReadWriteOnceWithFSType"',
      'spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      'spec.tokenRequests[1].audience: Duplicate value: "a"',
      'spec.tokenRequests[2].expirationSeconds: Invalid value: 8589934592: may not specify a duration larger than 2^32 seconds',
      'spec.volumeLifecycleModes: Unsupported value: "Forever": supported values: "Persistent", "Ephemeral"',
    ],
  );
  // Without defaulting, the switches are required.
  assert.deepEqual(
    csiDriverValidator.create({ metadata: { name: 'x.example.com' }, spec: {} }).map((e) => e.field),
    ['spec.attachedRequired', 'spec.podInfoOnMount', 'spec.storageCapacity', 'spec.seLinuxMount'],
  );
});

test('csidriver update: attachRequired and the lifecycle modes are fixed, the rest may change', () => {
  const old = driver();
  assert.deepEqual(csiDriverValidator.update!(driver({ podInfoOnMount: true, storageCapacity: true }), old), []);
  assert.deepEqual(
    csiDriverValidator.update!(driver({ attachRequired: false, volumeLifecycleModes: ['Ephemeral'] }), old).map((e) => [e.field, e.detail]),
    [
      ['spec.attachedRequired', 'field is immutable'],
      ['spec.volumeLifecycleModes', 'field is immutable'],
    ],
  );
});
