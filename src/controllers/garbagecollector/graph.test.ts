import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../../client/index.js';
import { DependencyGraph, referenceDiffs } from './graph.js';

function recorder() {
  const deletes: string[] = [];
  const orphans: string[] = [];
  const graph = new DependencyGraph({ attemptToDelete: (u) => deletes.push(u), attemptToOrphan: (u) => orphans.push(u) });
  return { graph, deletes, orphans };
}

const ref = (uid: string, name = uid, extra: Partial<OwnerReference> = {}): OwnerReference => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name,
  uid,
  ...extra,
});

function obj(uid: string, name: string, meta: Record<string, unknown> = {}): KubeObject {
  return { metadata: { uid, name, namespace: 'ns', resourceVersion: '1', ...meta } } as KubeObject;
}

test('a dependent seen before its owner makes a virtual owner to verify; the owner seen later is real', () => {
  const { graph, deletes } = recorder();
  graph.observe('v1', 'Pod', obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web')] }));
  const virtual = graph.get('rs1')!;
  assert.equal(virtual.observed, false);
  assert.deepEqual(virtual.identity, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs1', namespace: 'ns' });
  assert.deepEqual(deletes, ['rs1']);
  assert.deepEqual(
    [...virtual.dependents].map((d) => d.identity.uid),
    ['p1'],
  );

  graph.observe('apps/v1', 'ReplicaSet', obj('rs1', 'web'));
  assert.equal(graph.get('rs1'), virtual, 'the same node, now observed');
  assert.equal(virtual.observed, true);
  assert.deepEqual(deletes, ['rs1'], 'the dependent agrees with the observed identity: nothing to re-check');
});

test('an owner deleted in the background: its dependents are looked at and it is known absent', () => {
  const { graph, deletes } = recorder();
  graph.observe('apps/v1', 'ReplicaSet', obj('rs1', 'web'));
  graph.observe('v1', 'Pod', obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web')] }));
  graph.observe('v1', 'Pod', obj('p2', 'p2', { ownerReferences: [ref('rs1', 'web')] }));
  assert.deepEqual(deletes, []);
  graph.observeDeleted('apps/v1', 'ReplicaSet', obj('rs1', 'web'));
  assert.equal(graph.get('rs1'), undefined);
  assert.deepEqual(deletes.sort(), ['p1', 'p2']);
  assert.ok(graph.absentOwners.has({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs1', namespace: 'ns' }));
});

test('foreground deletion: the owner waits for its dependents; blocking ones are those with blockOwnerDeletion', () => {
  const { graph, deletes } = recorder();
  const rs = obj('rs1', 'web');
  graph.observe('apps/v1', 'ReplicaSet', rs);
  graph.observe('v1', 'Pod', obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web', { blockOwnerDeletion: true })] }));
  graph.observe('v1', 'Pod', obj('p2', 'p2', { ownerReferences: [ref('rs1', 'web')] }));
  const deleting = obj('rs1', 'web', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
  graph.observe('apps/v1', 'ReplicaSet', deleting, rs);
  const owner = graph.get('rs1')!;
  assert.equal(owner.deletingDependents, true);
  assert.deepEqual(deletes.sort(), ['p1', 'p2', 'rs1']);
  assert.deepEqual(
    owner.blockingDependents().map((d) => d.identity.uid),
    ['p1'],
  );

  // The same state seen again is no new transition.
  deletes.length = 0;
  graph.observe('apps/v1', 'ReplicaSet', { ...deleting }, deleting);
  assert.deepEqual(deletes, []);

  // The blocking dependent goes: the owner is looked at again (to drop its finalizer).
  graph.observeDeleted('v1', 'Pod', obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web', { blockOwnerDeletion: true })] }));
  assert.deepEqual(deletes, ['rs1']);
  assert.deepEqual(owner.blockingDependents(), []);
});

test('orphan deletion is handed to the orphan queue once', () => {
  const { graph, orphans, deletes } = recorder();
  const rs = obj('rs1', 'web');
  graph.observe('apps/v1', 'ReplicaSet', rs);
  const orphaning = obj('rs1', 'web', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['orphan'] });
  graph.observe('apps/v1', 'ReplicaSet', orphaning, rs);
  graph.observe('apps/v1', 'ReplicaSet', orphaning, orphaning);
  assert.deepEqual(orphans, ['rs1']);
  assert.deepEqual(deletes, []);
  assert.equal(graph.get('rs1')!.beingDeleted, true);
});

test('a dependent that stops blocking (or drops the reference) wakes its owner', () => {
  const { graph, deletes } = recorder();
  graph.observe('apps/v1', 'ReplicaSet', obj('rs1', 'web'));
  const p = obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web', { blockOwnerDeletion: true })] });
  graph.observe('v1', 'Pod', p);
  const unblocked = obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web', { blockOwnerDeletion: false })] });
  graph.observe('v1', 'Pod', unblocked, p);
  assert.deepEqual(deletes, ['rs1']);
  graph.observe('v1', 'Pod', obj('p1', 'p1', { ownerReferences: [] }), unblocked);
  assert.deepEqual(deletes, ['rs1'], 'a non-blocking reference removed wakes nobody');
  assert.equal(graph.get('rs1')!.dependents.size, 0);
});

test('a virtual owner found absent: matching dependents are re-checked, the node goes', () => {
  const { graph, deletes } = recorder();
  graph.observe('v1', 'ConfigMap', obj('c1', 'c1', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'gone' }] }));
  deletes.length = 0;
  graph.virtualDelete(graph.get('gone')!.identity);
  assert.equal(graph.get('gone'), undefined);
  assert.deepEqual(deletes, ['c1']);
  assert.ok(graph.absentOwners.has({ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'gone', namespace: 'ns' }));
});

test('a virtual owner named two ways: the absent name is settled, the other is checked next', () => {
  const { graph, deletes } = recorder();
  graph.observe('v1', 'ConfigMap', obj('c1', 'c1', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: 'u' }] }));
  graph.observe('v1', 'ConfigMap', obj('c2', 'c2', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'b', uid: 'u' }] }));
  deletes.length = 0;
  const first = { ...graph.get('u')!.identity };
  assert.equal(first.name, 'a');
  graph.virtualDelete(first);
  const node = graph.get('u')!;
  assert.ok(node, 'kept: c2 knows it by another name');
  assert.equal(node.identity.name, 'b');
  assert.deepEqual(deletes.sort(), ['c1', 'u']);
});

test('a reference that disagrees with the observed owner sends the dependent to be verified', () => {
  const { graph, deletes } = recorder();
  graph.observe('v1', 'ConfigMap', obj('o1', 'real-name'));
  graph.observe('v1', 'ConfigMap', obj('c1', 'c1', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'wrong-name', uid: 'o1' }] }));
  assert.deepEqual(deletes, ['c1']);
  // An owner in another namespace cannot own it either.
  deletes.length = 0;
  graph.observe('v1', 'ConfigMap', { metadata: { uid: 'o2', name: 'x', namespace: 'other' } });
  graph.observe('v1', 'ConfigMap', obj('c2', 'c2', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'o2' }] }));
  assert.deepEqual(deletes, ['c2']);
});

test('referenceDiffs finds added, removed and changed references by uid', () => {
  const d = referenceDiffs([ref('a'), ref('b', 'b', { blockOwnerDeletion: true })], [ref('b', 'b', { blockOwnerDeletion: false }), ref('c')]);
  assert.deepEqual(
    d.added.map((r) => r.uid),
    ['c'],
  );
  assert.deepEqual(
    d.removed.map((r) => r.uid),
    ['a'],
  );
  assert.deepEqual(
    d.changed.map((c) => [c.old.blockOwnerDeletion, c.now.blockOwnerDeletion]),
    [[true, false]],
  );
});

test('a node holds the current version of its owner references, not the first one it saw', () => {
  // The informer's cache holds the current object: a node keeping the first version's list
  // would keep a second copy of every pod's references.
  const { graph, deletes } = recorder();
  graph.observe('apps/v1', 'ReplicaSet', obj('rs1', 'web'));
  const v1 = obj('p1', 'p1', { ownerReferences: [ref('rs1', 'web')] });
  graph.observe('v1', 'Pod', v1);
  const v2 = obj('p1', 'p1', { resourceVersion: '2', ownerReferences: [ref('rs1', 'web')] });
  graph.observe('v1', 'Pod', v2, v1);
  assert.equal(graph.get('p1')!.owners, v2.metadata!.ownerReferences, "the current version's list itself");
  assert.deepEqual(deletes, [], 'unchanged references: nothing to look at');
  assert.deepEqual(
    [...graph.get('rs1')!.dependents].map((d) => d.identity.uid),
    ['p1'],
  );
});

test('nodes without dependents share one empty set; a node gets its own with its first dependent and drops it with its last', () => {
  const { graph } = recorder();
  graph.observe('apps/v1', 'ReplicaSet', obj('rs1', 'web'));
  graph.observe('v1', 'Pod', obj('p1', 'p1'));
  const rs = graph.get('rs1')!;
  const empty = rs.dependents;
  assert.equal(empty.size, 0);
  assert.equal(graph.get('p1')!.dependents, empty, 'one shared empty set');

  const p2 = obj('p2', 'p2', { ownerReferences: [ref('rs1', 'web')] });
  const p3 = obj('p3', 'p3', { ownerReferences: [ref('rs1', 'web')] });
  graph.observe('v1', 'Pod', p2);
  graph.observe('v1', 'Pod', p3);
  assert.notEqual(rs.dependents, empty);
  assert.deepEqual([...rs.dependents].map((d) => d.identity.uid).sort(), ['p2', 'p3']);
  assert.equal(empty.size, 0, 'the shared empty set stays empty');

  graph.observeDeleted('v1', 'Pod', p2);
  assert.deepEqual(
    [...rs.dependents].map((d) => d.identity.uid),
    ['p3'],
  );
  graph.observeDeleted('v1', 'Pod', p3);
  assert.equal(rs.dependents, empty, 'back to the shared empty set');
});
