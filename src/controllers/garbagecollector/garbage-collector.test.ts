import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../../client/index.js';
import {
  classifyReferences,
  decide,
  NamespacedOwnerOfClusterScopedError,
  RestMappingError,
  servedKinds,
  type KindMapping,
  type OwnerLookup,
} from './garbage-collector.js';
import { AbsentOwnerCache, GraphNode, type ObjectIdentity } from './graph.js';

const kinds = servedKinds();

/** Owners that exist, by "namespace/name"; the lookups made are recorded. */
function lookup(live: Record<string, KubeObject>) {
  const absent = new AbsentOwnerCache();
  const gets: string[] = [];
  const l: OwnerLookup = {
    async get(ref, _mapping: KindMapping, namespace) {
      gets.push(`${namespace ?? ''}/${ref.name}`);
      return live[`${namespace ?? ''}/${ref.name}`];
    },
    mapping: (ref) => kinds.get(`${ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : ''}/${ref.kind}`),
    isKnownAbsent: (id: ObjectIdentity) => absent.has(id),
    markAbsent: (id: ObjectIdentity) => absent.add(id),
  };
  return { l, gets, absent };
}

const rsRef = (name: string, uid: string): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid });
const live = (uid: string, meta: Record<string, unknown> = {}): KubeObject => ({ metadata: { uid, ...meta } }) as KubeObject;

test('served kinds map any version of a group to the served resource and scope', () => {
  assert.deepEqual(kinds.get('apps/ReplicaSet'), { gvr: { group: 'apps', version: 'v1', resource: 'replicasets' }, namespaced: true });
  assert.deepEqual(kinds.get('/Node'), { gvr: { group: '', version: 'v1', resource: 'nodes' }, namespaced: false });
  assert.equal(kinds.get('/Lease'), undefined);
  assert.ok(kinds.get('coordination.k8s.io/Lease'));
});

test('references are solid, dangling (absent, or another uid under the name) or waiting', async () => {
  const { l, gets } = lookup({
    'ns/alive': live('u-alive'),
    'ns/renamed': live('u-new'),
    'ns/foreground': live('u-fg', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }),
    'ns/background': live('u-bg', { deletionTimestamp: '2024-01-01T00:00:00Z' }),
  });
  const refs = [rsRef('alive', 'u-alive'), rsRef('gone', 'u-gone'), rsRef('renamed', 'u-old'), rsRef('foreground', 'u-fg'), rsRef('background', 'u-bg')];
  const c = await classifyReferences(refs, 'ns', l);
  assert.deepEqual(
    c.solid.map((r) => r.name),
    ['alive', 'background'],
  );
  assert.deepEqual(
    c.dangling.map((r) => r.name),
    ['gone', 'renamed'],
  );
  assert.deepEqual(
    c.waiting.map((r) => r.name),
    ['foreground'],
  );
  assert.equal(gets.length, 5);
  // Absent owners are remembered: a second dependent needs no GET for them.
  gets.length = 0;
  const again = await classifyReferences([rsRef('gone', 'u-gone')], 'ns', l);
  assert.deepEqual(
    again.dangling.map((r) => r.name),
    ['gone'],
  );
  assert.deepEqual(gets, []);
});

test('cluster-scoped owners are looked up without a namespace; namespaced owners of cluster-scoped objects are refused', async () => {
  const { l, gets } = lookup({ '/n1': live('node-uid') });
  const c = await classifyReferences([{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid' }], 'ns', l);
  assert.equal(c.solid.length, 1);
  assert.deepEqual(gets, ['/n1']);
  await assert.rejects(classifyReferences([rsRef('x', 'y')], '', l), NamespacedOwnerOfClusterScopedError);
  await assert.rejects(classifyReferences([{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w' }], 'ns', l), RestMappingError);
});

const none = { solid: [], dangling: [], waiting: [] };

test('decide: keep with a solid owner, strip dangling and waiting references beside one', () => {
  const node = new GraphNode({ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'p', namespace: 'ns' }, [], true);
  assert.deepEqual(decide({ ...none, solid: [rsRef('a', 'a')] }, live('p'), node), { action: 'keep' });
  assert.deepEqual(decide({ solid: [rsRef('a', 'a')], dangling: [rsRef('b', 'b')], waiting: [rsRef('c', 'c')] }, live('p'), node), {
    action: 'removeReferences',
    uids: ['b', 'c'],
  });
});

test('decide: no owner left means delete, with the policy the object already asks for', () => {
  const node = new GraphNode({ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'p', namespace: 'ns' }, [], true);
  const dangling = { ...none, dangling: [rsRef('b', 'b')] };
  assert.deepEqual(decide(dangling, live('p'), node), { action: 'delete', policy: 'Background' });
  assert.deepEqual(decide(dangling, live('p', { finalizers: ['orphan'] }), node), { action: 'delete', policy: 'Orphan' });
  assert.deepEqual(decide(dangling, live('p', { finalizers: ['foregroundDeletion'] }), node), { action: 'delete', policy: 'Foreground' });
  // Waiting owners but no dependents of its own: a plain background delete.
  assert.deepEqual(decide({ ...none, waiting: [rsRef('c', 'c')] }, live('p'), node), { action: 'delete', policy: 'Background' });
});

test('decide: an item with dependents whose owner waits goes in the foreground, unblocking a cycle first', () => {
  const node = new GraphNode({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs', namespace: 'ns' }, [], true);
  const dep = new GraphNode({ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'p', namespace: 'ns' }, [], true);
  node.addDependent(dep);
  const waiting = { ...none, waiting: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'd' }] };
  assert.deepEqual(decide(waiting, live('rs'), node), { action: 'delete', policy: 'Foreground', unblockFirst: false });
  dep.deletingDependents = true;
  assert.deepEqual(decide(waiting, live('rs'), node), { action: 'delete', policy: 'Foreground', unblockFirst: true });
});
