import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKubeletLabel, isKubernetesLabel, mayKubeletSetLabel } from './kubelet-labels.js';

test('kubernetes.io and k8s.io namespaces, subdomains included; an unprefixed key is in none', () => {
  for (const k of ['kubernetes.io/x', 'a.kubernetes.io/x', 'k8s.io/x', 'b.k8s.io/x']) assert.ok(isKubernetesLabel(k), k);
  for (const k of ['x', 'example.com/x', 'notkubernetes.io/x', 'kubernetes.io.example.com/x']) assert.ok(!isKubernetesLabel(k), k);
});

test("the kubelet's set: well-known labels and the kubelet.kubernetes.io / node.kubernetes.io namespaces", () => {
  for (const k of [
    'kubernetes.io/hostname',
    'beta.kubernetes.io/arch',
    'topology.kubernetes.io/region',
    'kubelet.kubernetes.io/x',
    'node-role.kubelet.kubernetes.io/w',
    'x.node.kubernetes.io/y',
  ]) {
    assert.ok(isKubeletLabel(k), k);
  }
  for (const k of ['node-restriction.kubernetes.io/x', 'node-role.kubernetes.io/master', 'kubernetes.io/role', 'topology.kubernetes.io/rack']) {
    assert.ok(!isKubeletLabel(k), k);
    assert.ok(!mayKubeletSetLabel(k), k);
  }
  assert.ok(mayKubeletSetLabel('example.com/team'));
  assert.ok(mayKubeletSetLabel('disk'));
});
