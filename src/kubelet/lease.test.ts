import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_LEASE_NAMESPACE, nodeLease } from './lease.js';

const AT = new Date(Date.parse('2026-01-02T03:04:05Z') + 250);

test('a renewed Lease builds on the last copy (its resourceVersion makes the write a compare-and-swap) and is owned by its Node', () => {
  const lease = nodeLease({
    nodeName: 'n1',
    nodeUid: 'uid-1',
    durationSeconds: 40,
    at: AT,
    last: { metadata: { name: 'n1', resourceVersion: '7', labels: { a: 'b' } }, spec: { holderIdentity: 'someone', leaseTransitions: 2 } },
  });
  assert.equal(NODE_LEASE_NAMESPACE, 'kube-node-lease');
  assert.deepEqual(lease.metadata, {
    name: 'n1',
    namespace: 'kube-node-lease',
    resourceVersion: '7',
    labels: { a: 'b' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }],
  });
  assert.deepEqual(lease.spec, { holderIdentity: 'n1', leaseTransitions: 2, leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.250000Z' });
});

test('before the Node is known the Lease has no owner of its own (a copy read from the server keeps its owner)', () => {
  const first = nodeLease({ nodeName: 'n1', durationSeconds: 10, at: AT });
  assert.deepEqual(first.metadata, { name: 'n1', namespace: 'kube-node-lease' });
  assert.equal(first.spec?.leaseDurationSeconds, 10);
  const owner = [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'old' }];
  const kept = nodeLease({ nodeName: 'n1', durationSeconds: 10, at: AT, last: { metadata: { name: 'n1', ownerReferences: owner } } });
  assert.deepEqual(kept.metadata?.ownerReferences, owner);
});
