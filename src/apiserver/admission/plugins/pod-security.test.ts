import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/object.js';
import { ApiError } from '../../errors.js';
import { attributes, fixedLookups } from '../test-helpers.js';
import { podSecurity } from './pod-security.js';

const ns = (labels: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels } });
const pod = (name: string, securityContext?: Record<string, unknown>): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'team' },
  spec: { containers: [{ name: 'c', image: 'busybox', securityContext }] },
});
const enforceRestricted = ns({ 'pod-security.kubernetes.io/enforce': 'restricted' });

test('enforce refuses with upstream message; privileged namespaces are not checked', () => {
  assert.throws(
    () => podSecurity.validate!(attributes('pods', { object: pod('x', { privileged: true }), lookups: fixedLookups([enforceRestricted]) })),
    (e) =>
      e instanceof ApiError &&
      e.code === 403 &&
      e.message.startsWith(
        'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false',
      ),
  );
  const warnings: string[] = [];
  podSecurity.validate!(attributes('pods', { object: pod('x', { privileged: true }), lookups: fixedLookups([ns({})]), warnings }));
  assert.deepEqual(warnings, []);
});

test('warn adds the warning and admits; workload templates are only warned about, even under enforce', () => {
  const warnings: string[] = [];
  const lookups = fixedLookups([ns({ 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.30' })]);
  podSecurity.validate!(attributes('pods', { object: pod('x', { privileged: true }), lookups, warnings }));
  assert.deepEqual(warnings, ['would violate PodSecurity "baseline:v1.30": privileged (container "c" must not set securityContext.privileged=true)']);
  const deployment: KObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'team' },
    spec: { template: { metadata: {}, spec: pod('t', { privileged: true }).spec } },
  };
  const w2: string[] = [];
  podSecurity.validate!(
    attributes('deployments.apps', {
      object: deployment,
      lookups: fixedLookups([ns({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'baseline' })]),
      warnings: w2,
    }),
  );
  assert.deepEqual(w2, ['would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)']);
});

test('a pod update is checked only when its images change', () => {
  const old: KObject = { ...pod('x', { privileged: true }), metadata: { name: 'x', namespace: 'team', resourceVersion: '5' } };
  const relabelled = structuredClone(old);
  relabelled.metadata.labels = { a: 'b' };
  podSecurity.validate!(attributes('pods', { operation: 'UPDATE', object: relabelled, oldObject: old, lookups: fixedLookups([enforceRestricted]) }));
  const reimaged = structuredClone(old);
  (reimaged.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'other';
  assert.throws(
    () => podSecurity.validate!(attributes('pods', { operation: 'UPDATE', object: reimaged, oldObject: old, lookups: fixedLookups([enforceRestricted]) })),
    /violates PodSecurity/,
  );
});

test('namespaces: invalid labels are refused; a stricter enforce level warns about the pods already there', () => {
  assert.throws(
    () => podSecurity.validate!(attributes('namespaces', { object: ns({ 'pod-security.kubernetes.io/enforce': 'strict' }) })),
    (e) =>
      e instanceof ApiError &&
      e.code === 422 &&
      e.message ===
        'Namespace "team" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
  );
  const warnings: string[] = [];
  const pods = [pod('a', { privileged: true }), pod('b', { privileged: true }), pod('c', { privileged: true }), pod('ok')];
  podSecurity.validate!(
    attributes('namespaces', {
      operation: 'UPDATE',
      object: ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }),
      oldObject: ns({}),
      lookups: fixedLookups(pods),
      warnings,
    }),
  );
  assert.deepEqual(warnings, [
    'existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest"',
    'a (and 2 other pods): privileged',
  ]);
  const relaxed: string[] = [];
  podSecurity.validate!(
    attributes('namespaces', {
      operation: 'UPDATE',
      object: ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }),
      oldObject: enforceRestricted,
      lookups: fixedLookups(pods),
      warnings: relaxed,
    }),
  );
  assert.deepEqual(relaxed, [], 'relaxing the level evaluates nothing');
});
