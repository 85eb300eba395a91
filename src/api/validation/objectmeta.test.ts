import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metadataValidator, nameIsDNSLabel, nameIsDNSSubdomain, validateObjectMeta } from './objectmeta.js';
import { invalid } from '../field-errors.js';

test('object metadata: names, labels, annotations', () => {
  const errs = validateObjectMeta({ name: 'Bad_Name', namespace: 'default', labels: { '-x': 'y', ok: 'bad value' } }, true, nameIsDNSSubdomain);
  assert.deepEqual(
    errs.map((e) => e.field),
    ['metadata.name', 'metadata.labels', 'metadata.labels'],
  );
  assert.deepEqual(
    validateObjectMeta({ name: 'a.b' }, false, nameIsDNSLabel).map((e) => e.field),
    ['metadata.name'],
    'DNS label names have no dots',
  );
  assert.deepEqual(validateObjectMeta({ name: 'a.b', namespace: 'd' }, true, nameIsDNSSubdomain), [], 'DNS subdomain names may have dots');
  const big = validateObjectMeta({ name: 'x', namespace: 'd', annotations: { a: 'x'.repeat(300 * 1024) } }, true, nameIsDNSSubdomain);
  assert.equal(big[0]?.type, 'FieldValueTooLong');
});

test('object metadata: a namespaced kind needs a namespace, a cluster-scoped one may not have one', () => {
  assert.deepEqual(
    validateObjectMeta({ name: 'x' }, true, nameIsDNSSubdomain).map((e) => `${e.field} ${e.type}`),
    ['metadata.namespace FieldValueRequired'],
  );
  assert.deepEqual(
    validateObjectMeta({ name: 'x', namespace: 'd' }, false, nameIsDNSSubdomain).map((e) => `${e.field} ${e.type}`),
    ['metadata.namespace FieldValueForbidden'],
  );
});

test("a metadata validator adds the kind's own checks after the metadata's", () => {
  const v = metadataValidator(true, nameIsDNSSubdomain, (o) => (o.spec?.bad ? [invalid('spec.bad', true, 'no')] : []));
  assert.deepEqual(v.create({ metadata: { name: 'x', namespace: 'd' }, spec: {} }), []);
  assert.deepEqual(
    v.create({ metadata: { name: 'X' }, spec: { bad: true } }).map((e) => e.field),
    ['metadata.name', 'metadata.namespace', 'spec.bad'],
  );
});
