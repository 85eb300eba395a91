// NodeInfo's own copies of the numbers Filter and Score read must always agree with the
// objects they copy, whatever happens to the node and its pods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeInfo } from './node-info.js';
import { makeNode, makePod, withRequests } from './testing.js';

function assertCopiesAgree(ni: NodeInfo, what: string): void {
  assert.deepEqual(
    [
      ni.podCount,
      ni.allocPods,
      ni.allocMilliCPU,
      ni.allocMemory,
      ni.allocEphemeralStorage,
      ni.reqMilliCPU,
      ni.reqMemory,
      ni.reqEphemeralStorage,
      ni.nonZeroMilliCPU,
      ni.nonZeroMemory,
    ],
    [
      ni.pods.length,
      ni.allocatable.allowedPodNumber,
      ni.allocatable.milliCPU,
      ni.allocatable.memory,
      ni.allocatable.ephemeralStorage,
      ni.requested.milliCPU,
      ni.requested.memory,
      ni.requested.ephemeralStorage,
      ni.nonZeroRequested.milliCPU,
      ni.nonZeroRequested.memory,
    ],
    what,
  );
}

test('the copied resource numbers follow pods added and removed, node changes and snapshots', () => {
  const ni = new NodeInfo(makeNode('n', { cpu: '4', memory: '8Gi', pods: '10', 'ephemeral-storage': '20Gi' }));
  assertCopiesAgree(ni, 'new');
  assert.equal(ni.allocMilliCPU, 4000);
  ni.addPod(makePod('a', { nodeName: 'n', containers: [withRequests('500m', '1Gi')] }));
  ni.addPod(makePod('b', { nodeName: 'n', containers: [{ name: 'c', image: 'x' }] })); // best effort: non-zero defaults
  assertCopiesAgree(ni, 'after adds');
  assert.deepEqual([ni.podCount, ni.reqMilliCPU, ni.nonZeroMilliCPU], [2, 500, 600]);
  const snap = ni.snapshot();
  ni.removePod('default/a');
  assertCopiesAgree(ni, 'after a remove');
  assertCopiesAgree(snap, 'snapshot');
  assert.equal(snap.reqMilliCPU, 500, 'a snapshot keeps what it copied');
  ni.setNode(makeNode('n', { cpu: '2', memory: '8Gi', pods: '10' }));
  assertCopiesAgree(ni, 'after the node changed');
  assert.equal(ni.allocMilliCPU, 2000);
  const taints = [{ key: 'k', value: 'v', effect: 'NoSchedule' as const }];
  ni.setNode(makeNode('n', { cpu: '2', memory: '8Gi', pods: '10' }, { zone: 'z1' }, { taints, unschedulable: true }));
  assert.deepEqual([ni.labels, ni.taints, ni.unschedulable], [{ 'kubernetes.io/hostname': 'n', zone: 'z1' }, taints, true]);
  const cordoned = ni.snapshot();
  ni.setNode(makeNode('n', { cpu: '2', memory: '8Gi', pods: '10' }));
  assert.deepEqual([ni.labels, ni.taints, ni.unschedulable], [{ 'kubernetes.io/hostname': 'n' }, undefined, false]);
  assert.deepEqual([cordoned.labels, cordoned.taints, cordoned.unschedulable], [{ 'kubernetes.io/hostname': 'n', zone: 'z1' }, taints, true]);
  ni.clearNode();
  assert.deepEqual([ni.name, ni.labels, ni.taints, ni.unschedulable], ['', {}, undefined, false]);
});
