import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { defaultReplicationController } from './defaults.js';
import { replicationControllerValidator } from './validation.js';
import { replicationControllerPrinter } from './printer.js';

const rc = (spec: Record<string, unknown>, labels?: Record<string, string>): KObject => {
  const o: KObject = { metadata: { name: 'r', namespace: 'n', ...(labels ? { labels } : {}) }, spec };
  defaultReplicationController(o);
  return o;
};
const template = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'i' }], ...extra },
});
const errors = (o: KObject) => replicationControllerValidator.create(o).map((e) => `${e.field}: ${e.type}: ${e.detail ?? ''}`);

test('rc defaults: selector and labels from the template, one replica', () => {
  const o = rc({ template: template({ app: 'x', tier: 'web' }) });
  assert.deepEqual((o.spec as any).selector, { app: 'x', tier: 'web' });
  assert.deepEqual(o.metadata.labels, { app: 'x', tier: 'web' });
  assert.equal((o.spec as any).replicas, 1);
  assert.equal((o.spec as any).template.spec.restartPolicy, 'Always');
  // What the user gave is kept.
  const own = rc({ selector: { app: 'x' }, replicas: 0, template: template({ app: 'x', tier: 'web' }) }, { mine: 'yes' });
  assert.deepEqual((own.spec as any).selector, { app: 'x' });
  assert.deepEqual(own.metadata.labels, { mine: 'yes' });
  assert.equal((own.spec as any).replicas, 0);
  assert.deepEqual(errors(own), []);
});

test('rc validation: selector required, must match the template, template required, restart Always only', () => {
  assert.deepEqual(errors(rc({ replicas: 1 })), ['spec.selector: FieldValueRequired: ', 'spec.template: FieldValueRequired: ']);
  assert.deepEqual(errors(rc({ selector: { app: 'x' }, template: template({ app: 'y' }) })), [
    'spec.template.metadata.labels: FieldValueInvalid: `selector` does not match template `labels`',
  ]);
  assert.deepEqual(errors(rc({ template: template({ app: 'x' }, { restartPolicy: 'Never', activeDeadlineSeconds: 5 }) })), [
    'spec.template.spec.restartPolicy: FieldValueNotSupported: supported values: "Always"',
    'spec.template.spec.activeDeadlineSeconds: FieldValueForbidden: activeDeadlineSeconds in ReplicationController is not Supported',
  ]);
  assert.deepEqual(errors(rc({ replicas: -1, template: template({ app: 'x' }) })), ['spec.replicas: FieldValueInvalid: must be greater than or equal to 0']);
  // Unlike apps/v1 the selector may change.
  const a = rc({ template: template({ app: 'x', v: '1' }) });
  const b = rc({ selector: { app: 'x' }, template: template({ app: 'x', v: '1' }) });
  assert.deepEqual(replicationControllerValidator.update!(b, a), []);
});

test('rc printer: desired, current, ready, and the selector as labels in -o wide', () => {
  const o = rc({ replicas: 3, template: template({ app: 'x', b: '2' }) });
  o.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  o.status = { replicas: 2, readyReplicas: 1 };
  const cells = replicationControllerPrinter.cells(o, new Date('2026-01-01T00:01:00Z'));
  assert.deepEqual(cells, ['r', 3, 2, 1, '60s', 'c', 'i', 'app=x,b=2']);
  assert.deepEqual(
    replicationControllerPrinter.columns.map((c) => c.name),
    ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'],
  );
});
