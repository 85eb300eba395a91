import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../client/index.js';
import { controllerOf, controllerRef, hasStatusCause, podFromTemplate, podNamePrefix, slowStartBatch } from './pod-control.js';

test('a pod from a template: generateName, labels, annotations, finalizers, controller reference, spec', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'ns', uid: 'u1' } };
  const ref = controllerRef(owner, 'apps/v1', 'ReplicaSet');
  assert.deepEqual(ref, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true, blockOwnerDeletion: true });
  const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const pod = podFromTemplate(template, owner, ref);
  assert.equal(pod.metadata!.generateName, 'web-abc-');
  assert.equal(pod.metadata!.namespace, 'ns');
  assert.deepEqual(pod.metadata!.labels, { app: 'web' });
  assert.deepEqual(pod.metadata!.annotations, { a: 'b' });
  assert.deepEqual(pod.metadata!.finalizers, ['f']);
  assert.deepEqual(pod.metadata!.ownerReferences, [ref]);
  assert.deepEqual(pod.spec, template.spec);
  assert.notEqual(pod.spec, template.spec, 'a copy');
  assert.deepEqual(controllerOf(pod), ref);
});

test('the name prefix drops the dash when it would make an invalid name', () => {
  assert.equal(podNamePrefix('web'), 'web-');
  assert.equal(podNamePrefix('x'.repeat(253)), 'x'.repeat(253));
});

test('slow start: batches of 1, 2, 4... stopping at the first batch with a failure', async () => {
  let calls = 0;
  const ok = await slowStartBatch(10, 1, async () => {
    calls++;
  });
  assert.deepEqual([ok.successes, ok.error, calls], [10, undefined, 10]);
  calls = 0;
  const failing = await slowStartBatch(20, 1, async () => {
    if (++calls > 3) throw new Error('quota');
  });
  // 1 + 2 succeed; of the batch of 4, none do: 7 attempts.
  assert.equal(calls, 7);
  assert.equal(failing.successes, 3);
  assert.equal((failing.error as Error).message, 'quota');
});

test('hasStatusCause reads the Status details', () => {
  const err = new StatusError({ code: 403, reason: 'Forbidden', message: 'x', details: { causes: [{ reason: 'NamespaceTerminating', message: 'y' }] } });
  assert.ok(hasStatusCause(err, 'NamespaceTerminating'));
  assert.ok(!hasStatusCause(new Error('x'), 'NamespaceTerminating'));
});
