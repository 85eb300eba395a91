import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceByKey } from '../registry/index.js';
import { attrsFunc, metadataAttrs, selectableFields } from './selection-attrs.js';
import type { KObject } from '../api/object.js';

const pods = resourceByKey('pods');

test("selection attributes: a pod's labels and every field a selector may name, '' where it has no value", () => {
  const pod: KObject = {
    metadata: { name: 'p', namespace: 'ns', labels: { app: 'x' } },
    spec: { nodeName: 'n1', hostNetwork: true },
    status: { phase: 'Running' },
  };
  const a = attrsFunc(pods)(pod);
  assert.deepEqual(a.labels, { app: 'x' });
  // A copy: the object's writer may change its labels later; the cache's version must not.
  pod.metadata.labels!.app = 'changed';
  assert.deepEqual(a.labels, { app: 'x' });
  assert.deepEqual(Object.keys(a.fields).sort(), selectableFields(pods).sort());
  assert.equal(a.fields['metadata.name'], 'p');
  assert.equal(a.fields['metadata.namespace'], 'ns');
  assert.equal(a.fields['spec.nodeName'], 'n1');
  assert.equal(a.fields['spec.hostNetwork'], 'true');
  assert.equal(a.fields['status.phase'], 'Running');
  assert.equal(a.fields['status.podIP'], '');
  // A pod without hostNetwork is selected by spec.hostNetwork=false, as upstream's pod field set.
  assert.equal(attrsFunc(pods)({ metadata: { name: 'q', namespace: 'ns' } }).fields['spec.hostNetwork'], 'false');
});

test('selection attributes: a cluster-scoped kind has an empty namespace; unlabelled objects have no labels', () => {
  const a = attrsFunc(resourceByKey('nodes'))({ metadata: { name: 'n1', namespace: 'stray' }, spec: { unschedulable: true } });
  assert.equal(a.fields['metadata.namespace'], '');
  assert.equal(a.fields['spec.unschedulable'], 'true');
  assert.equal(a.labels, undefined);
  assert.deepEqual(metadataAttrs({ metadata: { name: 'c', namespace: 'ns' } }).fields, { 'metadata.name': 'c', 'metadata.namespace': 'ns' });
});
