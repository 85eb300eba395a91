import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KUBELET_READY, NO_PRESSURE, kubeletNotReady, nodeAnnotations, nodeConditionBodies, wellKnownNodeLabels } from './node-conditions.js';

test('a healthy node: no pressure and Ready, in the kubelet order and words', () => {
  assert.deepEqual(
    nodeConditionBodies(NO_PRESSURE, KUBELET_READY).map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ],
  );
});

test('each pressure is reported on its own, and a node not ready says why', () => {
  const c = nodeConditionBodies({ memory: true, disk: false, pid: true }, kubeletNotReady('container runtime is down: x'));
  assert.deepEqual(
    c.map((x) => [x.type, x.status, x.reason]),
    [
      ['MemoryPressure', 'True', 'KubeletHasInsufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'True', 'KubeletHasInsufficientPID'],
      ['Ready', 'False', 'KubeletNotReady'],
    ],
  );
  assert.equal(c[3]!.message, 'container runtime is down: x');
  assert.equal(nodeConditionBodies({ memory: false, disk: true, pid: false }, KUBELET_READY)[1]!.reason, 'KubeletHasDiskPressure');
});

test('the labels and annotations a kubelet registers its Node with', () => {
  assert.deepEqual(wellKnownNodeLabels('n1', 'arm64'), {
    'beta.kubernetes.io/arch': 'arm64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'arm64',
    'kubernetes.io/hostname': 'n1',
    'kubernetes.io/os': 'linux',
  });
  assert.deepEqual(nodeAnnotations(), { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' });
});
