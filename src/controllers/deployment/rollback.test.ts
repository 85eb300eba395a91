import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1';
import { resources } from '../../client/index.js';
import { waitFor } from '../fake-api.js';
import { getRollbackTo } from './rollback.js';
import { deployment, eventsOf, getD, podsOf, ref, rolledOut, rsOf, setImage, startWorkloads } from './test-fixtures.js';

test('undo as kubectl does it (old template patched back): the old ReplicaSet is scaled up with a new revision', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    const d0 = deployment('undo', 3);
    d0.metadata!.annotations = { 'kubernetes.io/change-cause': 'first' };
    await env.api.create(resources.deployments, d0);
    await waitFor(() => rolledOut(env.api, 'undo'), 'first rollout');
    await env.api.patch(
      ref('undo'),
      { metadata: { annotations: { 'kubernetes.io/change-cause': 'second' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } },
      'strategic',
    );
    await waitFor(() => rolledOut(env.api, 'undo') && getD(env.api, 'undo').status?.observedGeneration === 2, 'second rollout');
    const [first, second] = rsOf(env.api, 'undo');
    assert.equal(first!.metadata!.annotations!['kubernetes.io/change-cause'], 'first');
    assert.equal(second!.metadata!.annotations!['kubernetes.io/change-cause'], 'second');
    // kubectl rollout undo: the template of revision 1 (hash label removed) and its annotations.
    const template = structuredClone(first!.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await env.api.patch(
      ref('undo'),
      [
        { op: 'replace', path: '/spec/template', value: template },
        { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'first' } },
      ],
      'json',
    );
    await waitFor(() => rolledOut(env.api, 'undo') && getD(env.api, 'undo').status?.observedGeneration === 3, 'rolled back');
    const rss = rsOf(env.api, 'undo');
    assert.equal(rss.length, 2, 'no third ReplicaSet');
    assert.equal(rss[1]!.metadata!.uid, first!.metadata!.uid, 'the first ReplicaSet is the new one again');
    assert.equal(rss[1]!.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(rss[1]!.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(rss[1]!.spec!.replicas, 3);
    assert.equal(rss[0]!.spec!.replicas, 0);
    assert.equal(getD(env.api, 'undo').metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.ok(podsOf(env.api, 'undo').every((p) => p.spec!.containers[0]!.image === 'img:1'));
  } finally {
    await env.stop();
  }
});

test('the deprecated rollback annotation rolls back to the previous revision and is cleared', async () => {
  const env = await startWorkloads({ readyAfterMs: 5 });
  try {
    await env.api.create(resources.deployments, deployment('legacy', 2));
    await waitFor(() => rolledOut(env.api, 'legacy'), 'first rollout');
    await setImage(env.api, 'legacy', 'img:2');
    await waitFor(() => rolledOut(env.api, 'legacy') && getD(env.api, 'legacy').status?.observedGeneration === 2, 'second rollout');
    await env.api.patch(ref('legacy'), { metadata: { annotations: { 'deprecated.deployment.rollback.to': '0' } } }, 'merge');
    await waitFor(() => getD(env.api, 'legacy').spec!.template!.spec!.containers[0]!.image === 'img:1', 'template restored');
    assert.equal(getRollbackTo(getD(env.api, 'legacy')), undefined);
    await waitFor(() => rolledOut(env.api, 'legacy') && podsOf(env.api, 'legacy').every((p) => p.spec!.containers[0]!.image === 'img:1'), 'rolled back');
    await waitFor(
      () => eventsOf(env.api, 'legacy').some((e) => e.reason === 'DeploymentRollback' && e.message === 'Rolled back deployment "legacy" to revision 1'),
      'rollback event',
    );
    // Rolling back to the revision already running: a warning, nothing else.
    await env.api.patch(ref('legacy'), { metadata: { annotations: { 'deprecated.deployment.rollback.to': '3' } } }, 'merge');
    await waitFor(() => eventsOf(env.api, 'legacy').some((e) => e.reason === 'DeploymentRollbackTemplateUnchanged'), 'unchanged warning');
    await waitFor(() => getRollbackTo(getD(env.api, 'legacy')) === undefined, 'annotation cleared');
    // A revision that doesn't exist.
    await env.api.patch(ref('legacy'), { metadata: { annotations: { 'deprecated.deployment.rollback.to': '42' } } }, 'merge');
    await waitFor(
      () =>
        eventsOf(env.api, 'legacy').some(
          (e) => e.reason === 'DeploymentRollbackRevisionNotFound' && e.message === 'Unable to find the revision to rollback to.',
        ),
      'not found warning',
    );
  } finally {
    await env.stop();
  }
});

test('getRollbackTo reads the annotation', () => {
  const d = (v?: string): Deployment => ({ metadata: { annotations: v === undefined ? {} : { 'deprecated.deployment.rollback.to': v } } });
  assert.equal(getRollbackTo(d()), undefined);
  assert.equal(getRollbackTo(d('0')), 0);
  assert.equal(getRollbackTo(d('7')), 7);
  assert.equal(getRollbackTo(d('x')), undefined);
});
