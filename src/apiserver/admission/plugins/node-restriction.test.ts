import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '../../../api/object.js';
import { admitNodeRestriction, forbiddenNodeLabels, nodeRestriction, type NodeRestrictionAttributes } from './node-restriction.js';
import { AdmissionChain } from '../chain.js';
import { attributes, fixedLookups } from '../test-helpers.js';

const n1 = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const PODS = { group: '', plural: 'pods' };
const NODES = { group: '', plural: 'nodes' };
const LEASES = { group: 'coordination.k8s.io', plural: 'leases' };

const pods: Record<string, Pod> = {
  'ns/mine': { metadata: { name: 'mine', namespace: 'ns', uid: 'uid-mine' }, spec: { nodeName: 'n1', containers: [] } },
  'ns/theirs': { metadata: { name: 'theirs', namespace: 'ns', uid: 'uid-theirs' }, spec: { nodeName: 'n2', containers: [] } },
};
const lookups = {
  pod: (ns: string, name: string) => pods[`${ns}/${name}`],
  node: (name: string): Node | undefined => (name === 'n1' ? { metadata: { name: 'n1', uid: 'uid-n1' } } : undefined),
};

function run(a: Partial<NodeRestrictionAttributes> & Pick<NodeRestrictionAttributes, 'operation' | 'resource'>): string | undefined {
  try {
    admitNodeRestriction({ subresource: '', namespace: undefined, name: '', object: undefined, oldObject: undefined, user: n1, ...a }, lookups);
    return undefined;
  } catch (e) {
    assert.equal((e as { code?: number }).code, 403);
    return (e as Error).message;
  }
}

const mirror = (spec: Partial<Pod['spec']> = {}, owner: Record<string, unknown> = {}): KObject =>
  ({
    metadata: {
      name: 'static-web',
      namespace: 'ns',
      annotations: { 'kubernetes.io/config.mirror': 'hash' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1', controller: true, ...owner }],
    },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }], ...spec },
  }) as KObject;

test('anyone but a node passes; a node with no name is refused', () => {
  admitNodeRestriction(
    {
      operation: 'DELETE',
      resource: NODES,
      subresource: '',
      namespace: undefined,
      name: 'n2',
      object: undefined,
      oldObject: undefined,
      user: { name: 'bob', groups: [] },
    },
    lookups,
  );
  assert.equal(
    run({ operation: 'DELETE', resource: NODES, name: 'n2', user: { name: 'bob', groups: ['system:nodes'] } }),
    'nodes "n2" is forbidden: could not determine node from user "bob"',
  );
});

test('nodes: only its own; no taint changes; no node-restriction or foreign kubernetes.io labels', () => {
  const node = (labels: Record<string, string>, taints: unknown[] = []) => ({ metadata: { name: 'n1', labels }, spec: { taints } }) as KObject;
  assert.equal(
    run({ operation: 'UPDATE', resource: NODES, name: 'n2', object: node({}), oldObject: node({}) }),
    'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
  );
  assert.equal(run({ operation: 'UPDATE', resource: NODES, name: 'n1', object: node({ a: 'b' }), oldObject: node({}) }), undefined);
  assert.equal(
    run({ operation: 'UPDATE', resource: NODES, name: 'n1', object: node({ 'node-restriction.kubernetes.io/x': 'y' }), oldObject: node({}) }),
    'nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: NODES, object: node({ 'node-role.kubernetes.io/control-plane': 'true', 'kubernetes.io/hostname': 'n1' }) }),
    'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-role.kubernetes.io/control-plane',
  );
  assert.equal(
    run({ operation: 'UPDATE', resource: NODES, name: 'n1', object: node({}, []), oldObject: node({}, [{ key: 'k', effect: 'NoSchedule' }]) }),
    'nodes "n1" is forbidden: node "n1" is not allowed to modify taints',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: NODES, object: node({}, [{ key: 'k', effect: 'NoSchedule' }]) }),
    undefined,
    'taints at registration are kubelet`s',
  );
  assert.equal(
    run({ operation: 'DELETE', resource: NODES, name: 'n2', oldObject: node({}) }),
    'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
  );
});

test('forbiddenNodeLabels: kubelet labels and other domains are free; removals count as changes', () => {
  assert.deepEqual(
    forbiddenNodeLabels(
      { 'kubernetes.io/hostname': 'h', 'node.kubernetes.io/instance-type': 't', 'kubelet.kubernetes.io/x': '1', 'example.com/a': 'b', 'foo.k8s.io/z': '1' },
      { 'x.node-restriction.kubernetes.io/gone': 'y' },
    ),
    ['foo.k8s.io/z', 'x.node-restriction.kubernetes.io/gone'],
  );
  assert.deepEqual(forbiddenNodeLabels({ 'node-role.kubernetes.io/worker': '' }, { 'node-role.kubernetes.io/worker': '' }), []);
});

test('pods: only mirror pods bound to itself, owned by its Node, referencing nothing', () => {
  assert.equal(run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: mirror() }), undefined);
  const plain = mirror();
  delete plain.metadata.annotations;
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: plain }),
    'pods "static-web" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: mirror({ nodeName: 'n2' }) }),
    'pods "static-web" is forbidden: node "n1" can only create pods with spec.nodeName set to itself',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: mirror({}, { uid: 'other' }) }),
    'pods "static-web" is forbidden: node n1 UID mismatch: expected other got uid-n1',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: mirror({}, { controller: false }) }),
    'pods "static-web" is forbidden: node "n1" can only create pods with a controller owner reference set to itself',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: mirror({ volumes: [{ name: 'v', secret: { secretName: 's' } }] }) }),
    'pods "static-web" is forbidden: node "n1" can not create pods that reference secrets',
  );
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, namespace: 'ns', object: mirror({ serviceAccountName: 'default' }) }),
    'pods "static-web" is forbidden: node "n1" can not create pods that reference a service account',
  );
  assert.equal(run({ operation: 'DELETE', resource: PODS, namespace: 'ns', name: 'mine', oldObject: pods['ns/mine'] as KObject }), undefined);
  assert.equal(
    run({ operation: 'DELETE', resource: PODS, namespace: 'ns', name: 'theirs', oldObject: pods['ns/theirs'] as KObject }),
    'pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself',
  );
  assert.equal(
    run({ operation: 'UPDATE', resource: PODS, namespace: 'ns', name: 'mine', object: pods['ns/mine'] as KObject, oldObject: pods['ns/mine'] as KObject }),
    'pods "mine" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods',
  );
});

test('pod status and eviction: only of pods bound to itself; no label changes through status', () => {
  const mine = pods['ns/mine'] as KObject;
  const status = (object: KObject, oldObject: KObject) =>
    run({ operation: 'UPDATE', resource: PODS, subresource: 'status', namespace: 'ns', name: oldObject.metadata.name!, object, oldObject });
  assert.equal(status({ ...mine, status: { phase: 'Running' } }, mine), undefined);
  assert.equal(
    status(pods['ns/theirs'] as KObject, pods['ns/theirs'] as KObject),
    'pods "theirs" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself',
  );
  assert.equal(
    status({ ...mine, metadata: { ...mine.metadata, labels: { a: 'b' } } }, mine),
    'pods "mine" is forbidden: node "n1" cannot update labels through pod status',
  );
  const evict = (name: string) =>
    run({ operation: 'CREATE', resource: PODS, subresource: 'eviction', namespace: 'ns', name, object: { metadata: { name } } as KObject });
  assert.equal(evict('mine'), undefined);
  assert.equal(evict('theirs'), 'pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
  assert.equal(
    run({ operation: 'CREATE', resource: PODS, subresource: 'binding', namespace: 'ns', name: 'mine' }),
    `pods "mine" is forbidden: unexpected pod subresource "binding", only 'status' and 'eviction' are allowed`,
  );
});

test('csinodes: its own name only, on create from the body', () => {
  const CSINODES = { group: 'storage.k8s.io', plural: 'csinodes' };
  const csiNode = (name: string) => ({ metadata: { name }, spec: { drivers: [] } }) as KObject;
  assert.equal(run({ operation: 'CREATE', resource: CSINODES, object: csiNode('n1') }), undefined);
  assert.equal(run({ operation: 'UPDATE', resource: CSINODES, name: 'n1', object: csiNode('n1'), oldObject: csiNode('n1') }), undefined);
  assert.equal(
    run({ operation: 'CREATE', resource: CSINODES, object: csiNode('n2') }),
    'csinodes.storage.k8s.io "n2" is forbidden: can only access CSINode with the same name as the requesting node',
  );
  assert.equal(
    run({ operation: 'DELETE', resource: CSINODES, name: 'n2' }),
    'csinodes.storage.k8s.io "n2" is forbidden: can only access CSINode with the same name as the requesting node',
  );
});

test('leases: its own, in kube-node-lease', () => {
  const lease = (name: string) => ({ metadata: { name, namespace: 'kube-node-lease' } }) as KObject;
  assert.equal(run({ operation: 'CREATE', resource: LEASES, namespace: 'kube-node-lease', object: lease('n1') }), undefined);
  assert.equal(
    run({ operation: 'CREATE', resource: LEASES, namespace: 'kube-node-lease', object: lease('n2') }),
    'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
  );
  assert.equal(
    run({ operation: 'UPDATE', resource: LEASES, namespace: 'kube-system', name: 'n1', object: lease('n1'), oldObject: lease('n1') }),
    'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace',
  );
});

test('in the chain: only nodes’ writes to the restricted kinds; the Node’s uid from the lookups', async () => {
  const n1Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'uid-n1' } } as KObject;
  const lookups = fixedLookups([n1Node]);
  const pod = { ...mirror(), apiVersion: 'v1', kind: 'Pod' } as KObject;
  assert.ok(nodeRestriction.handles(attributes('pods', { object: pod, user: n1, lookups })));
  assert.ok(!nodeRestriction.handles(attributes('pods', { object: pod, lookups })), 'the admin is no node');
  assert.ok(
    !nodeRestriction.handles(
      attributes('configmaps', { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } } as KObject, user: n1 }),
    ),
  );
  assert.deepEqual(nodeRestriction.lookupsFor!(attributes('pods', { object: pod, user: n1, lookups })), [['nodes', undefined, 'n1']]);
  const otherCSINode = { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'n2' }, spec: { drivers: [] } } as KObject;
  await assert.rejects(
    new AdmissionChain([nodeRestriction]).admit(attributes('csinodes.storage.k8s.io', { object: otherCSINode, user: n1 })),
    /can only access CSINode with the same name as the requesting node/,
  );
  await new AdmissionChain([nodeRestriction]).admit(attributes('pods', { object: pod, user: n1, lookups }));
  const other = {
    ...pod,
    metadata: { ...pod.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'stale', controller: true }] },
  } as KObject;
  await assert.rejects(
    new AdmissionChain([nodeRestriction]).admit(attributes('pods', { object: other, user: n1, lookups })),
    /node n1 UID mismatch: expected stale got uid-n1/,
  );
  const n2Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } } as KObject;
  await assert.rejects(
    new AdmissionChain([nodeRestriction]).admit(attributes('nodes', { operation: 'UPDATE', object: n2Node, oldObject: n2Node, user: n1 })),
    /nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"/,
  );
});

test('token requests: only bound to a pod on this node, with its uid', () => {
  const SAS = { group: '', plural: 'serviceaccounts' };
  const token = (ref?: Record<string, string>) =>
    run({
      operation: 'CREATE',
      resource: SAS,
      subresource: 'token',
      namespace: 'ns',
      name: 'default',
      object: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: {},
        spec: { ...(ref ? { boundObjectRef: ref } : {}) },
      } as unknown as KObject,
    });
  assert.equal(token({ apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'uid-mine' }), undefined);
  assert.equal(token(), 'serviceaccounts "default" is forbidden: node requested token not bound to a pod');
  assert.equal(
    token({ apiVersion: 'v1', kind: 'Pod', name: 'mine' }),
    'serviceaccounts "default" is forbidden: node requested token with a pod binding without a uid',
  );
  assert.equal(
    token({ apiVersion: 'v1', kind: 'Pod', name: 'theirs', uid: 'uid-theirs' }),
    'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node',
  );
  assert.match(
    token({ apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'old' }) ?? '',
    /the UID in the bound object reference \(old\) does not match the UID in record/,
  );
  // Any other write to a ServiceAccount is not NodeRestriction's (the authorizer refuses it).
  assert.equal(run({ operation: 'UPDATE', resource: SAS, namespace: 'ns', name: 'default' }), undefined);
});
