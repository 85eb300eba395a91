import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_VERBS, path } from '../api/kind.js';
import { fieldValue, resourceTypeOf } from './kind.js';

test('a minimal declaration gets every default: v1, all verbs, the default table, the generic strategy', () => {
  const r = resourceTypeOf({ group: 'example.com', kind: 'Widget', plural: 'widgets', namespaced: true });
  assert.equal(r.key, 'widgets.example.com');
  assert.equal(r.apiVersion, 'example.com/v1');
  assert.equal(r.listKind, 'WidgetList');
  assert.equal(r.singular, 'widget');
  assert.deepEqual(r.verbs, ALL_VERBS);
  assert.deepEqual([r.hasStatus, r.hasGeneration, r.allowCreateOnUpdate, r.returnDeletedObject], [false, false, false, false]);
  assert.deepEqual(r.strategy, {});
  assert.equal(r.defaulter, undefined);
  assert.equal(r.validator, undefined);
  assert.deepEqual(
    r.printer.columns.map((c) => c.name),
    ['Name', 'Created At'],
  );
  assert.deepEqual(r.printer.cells({ metadata: { name: 'w', creationTimestamp: '2026-01-01T00:00:00Z' } }, new Date()), ['w', '2026-01-01T00:00:00Z']);
});

test('field selectors: metadata fields for every kind, the declared ones, and nothing else', () => {
  const r = resourceTypeOf({ kind: 'Thing', plural: 'things', namespaced: false, fieldLabels: { 'spec.color': path('spec', 'color') } });
  const obj = { metadata: { name: 't', namespace: 'ignored' }, spec: { color: 'red' } };
  assert.equal(r.key, 'things');
  assert.equal(fieldValue(r, obj, 'metadata.name'), 't');
  assert.equal(fieldValue(r, obj, 'metadata.namespace'), '', 'a cluster-scoped kind has no namespace to select on');
  assert.equal(fieldValue(r, obj, 'spec.color'), 'red');
  assert.equal(fieldValue(r, { metadata: { name: 't' } }, 'spec.color'), '', 'a missing field selects as empty');
  assert.equal(fieldValue(r, obj, 'spec.size'), undefined, 'an undeclared field is not a field of this kind');
});
