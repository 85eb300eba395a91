import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { csiNodePrinter } from './printer.js';
import { csiNodeValidator } from './validation.js';

const now = new Date('2026-01-01T00:01:00Z');
const csiNode = (drivers: unknown[], name = 'n1'): KObject => ({ metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { drivers } });
const ebs = (extra: Record<string, unknown> = {}) => ({ name: 'ebs.csi.aws.com', nodeID: 'i-123', allocatable: { count: 25 }, ...extra });

test('csinode: printed with its driver count, as kubectl get csinodes', () => {
  assert.deepEqual(
    csiNodePrinter.columns.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['Drivers', 'integer'],
      ['Age', 'string'],
    ],
  );
  assert.deepEqual(csiNodePrinter.cells(csiNode([ebs(), { name: 'pd.csi.storage.gke.io', nodeID: 'x' }]), now), ['n1', 2, '60s']);
  assert.deepEqual(csiNodePrinter.cells(csiNode([]), now), ['n1', 0, '60s']);
});

test("csinode: drivers' names, node IDs, counts and topology keys as upstream's ValidateCSINode", () => {
  assert.deepEqual(csiNodeValidator.create(csiNode([ebs({ topologyKeys: ['topology.ebs.csi.aws.com/zone'] })])), []);
  assert.deepEqual(
    csiNodeValidator
      .create(
        csiNode([
          ebs({ allocatable: { count: -1 } }),
          ebs({ nodeID: '' }),
          { name: 'Bad_Driver!', nodeID: 'x'.repeat(193) },
          { name: 'ok.example.com', nodeID: 'x', topologyKeys: ['zone', 'zone', 'a/b/c'] },
        ]),
      )
      .map(fieldErrorMessage),
    [
      'spec.drivers[0].allocatable.count: Invalid value: -1: must be greater than or equal to 0',
      'spec.drivers[1].nodeID: Required value',
      'spec.drivers[1].name: Duplicate value: "ebs.csi.aws.com"',
      `spec.drivers[2].name: Invalid value: "Bad_Driver!": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      `spec.drivers[2].nodeID: Invalid value: "${'x'.repeat(193)}": must be 192 characters or less`,
      'spec.drivers[3]: Duplicate value: "zone"',
      `spec.drivers[3]: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
  );
});

test('csinode update: a registered driver keeps its node ID and keys, its count may change; drivers come and go', () => {
  const old = csiNode([ebs()]);
  assert.deepEqual(csiNodeValidator.update!(csiNode([ebs({ allocatable: { count: 10 } })]), old), []);
  assert.deepEqual(csiNodeValidator.update!(csiNode([]), old), []);
  assert.deepEqual(csiNodeValidator.update!(csiNode([ebs(), { name: 'new.example.com', nodeID: 'y' }]), old), []);
  const changed = csiNodeValidator.update!(csiNode([ebs({ nodeID: 'i-456' })]), old);
  assert.deepEqual(
    changed.map((e) => [e.field, e.detail]),
    [['spec.drivers', 'field is immutable']],
  );
});
