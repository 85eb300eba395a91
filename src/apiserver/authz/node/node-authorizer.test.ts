import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '../../../api/object.js';
import type { Attributes } from '../attributes.js';
import { answerReview } from '../reviews.js';
import { Authorizer, forbiddenError } from '../authorizer.js';
import { nodeRules } from '../bootstrap-policy.js';
import { RbacAuthorizer } from '../rbac.js';
import { NodeGraph } from './graph.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { nodeIdentity } from './node-identity.js';

const node = (name: string) => ({ name: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
const ask = (user: Attributes['user'], verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({
  user,
  verb,
  resourceRequest: true,
  path: '',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace: '',
  name: '',
  ...o,
});

function setup(): NodeAuthorizer {
  const g = new NodeGraph();
  g.setPod({
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      nodeName: 'n1',
      serviceAccountName: 'sa',
      containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 'cm' } }] }],
      volumes: [{ name: 'v', secret: { secretName: 'mine' } }],
    },
  } as Pod);
  return new NodeAuthorizer(g, nodeRules());
}

test('nodeIdentity: system:node:NAME in system:nodes; the group with another name is an unknown node', () => {
  assert.equal(nodeIdentity(node('n1')), 'n1');
  assert.equal(nodeIdentity({ name: 'system:node:n1', groups: [] }), undefined);
  assert.equal(nodeIdentity({ name: 'bob', groups: ['system:nodes'] }), '');
});

test('secrets and configmaps: get (and list/watch by name) only of what its pods use', () => {
  const a = setup();
  const n1 = node('n1');
  assert.ok(a.authorize(ask(n1, 'get', 'secrets', { namespace: 'ns', name: 'mine' })).allowed);
  assert.ok(a.authorize(ask(n1, 'watch', 'secrets', { namespace: 'ns', name: 'mine', fieldSelector: 'metadata.name=mine' })).allowed);
  assert.ok(a.authorize(ask(n1, 'get', 'configmaps', { namespace: 'ns', name: 'cm' })).allowed);
  const other = a.authorize(ask(n1, 'get', 'secrets', { namespace: 'ns', name: 'other' }));
  assert.deepEqual(other, { allowed: false, reason: "no relationship found between node 'n1' and this object" });
  assert.equal(a.authorize(ask(node('n2'), 'get', 'secrets', { namespace: 'ns', name: 'mine' })).allowed, false);
  assert.deepEqual(a.authorize(ask(n1, 'list', 'secrets', { namespace: 'ns' })), { allowed: false, reason: 'No Object name found' });
  assert.deepEqual(a.authorize(ask(n1, 'update', 'secrets', { namespace: 'ns', name: 'mine' })), {
    allowed: false,
    reason: 'can only read resources of this type',
  });
});

test('serviceaccount tokens: only for the service accounts of its pods', () => {
  const a = setup();
  assert.ok(a.authorize(ask(node('n1'), 'create', 'serviceaccounts', { namespace: 'ns', name: 'sa', subresource: 'token' })).allowed);
  assert.equal(a.authorize(ask(node('n1'), 'create', 'serviceaccounts', { namespace: 'ns', name: 'default', subresource: 'token' })).allowed, false);
  assert.equal(a.authorize(ask(node('n1'), 'get', 'serviceaccounts', { namespace: 'ns', name: 'sa' })).allowed, false);
});

test('nodes: its own by name; writes left to NodeRestriction; not all nodes', () => {
  const a = setup();
  const n1 = node('n1');
  assert.ok(a.authorize(ask(n1, 'get', 'nodes', { name: 'n1' })).allowed);
  assert.ok(a.authorize(ask(n1, 'watch', 'nodes', { name: 'n1', fieldSelector: 'metadata.name=n1' })).allowed);
  assert.deepEqual(a.authorize(ask(n1, 'get', 'nodes', { name: 'n2' })), { allowed: false, reason: "node 'n1' cannot read 'n2', only its own Node object" });
  assert.deepEqual(a.authorize(ask(n1, 'list', 'nodes')), { allowed: false, reason: "node 'n1' cannot read all nodes, only its own Node object" });
  assert.ok(a.authorize(ask(n1, 'patch', 'nodes', { name: 'n2' })).allowed);
  assert.ok(a.authorize(ask(n1, 'patch', 'nodes', { name: 'n1', subresource: 'status' })).allowed);
  assert.equal(a.authorize(ask(n1, 'delete', 'nodes', { name: 'n1' })).allowed, false);
});

test('pods: get of its own, list/watch with its spec.nodeName, status, mirror pods', () => {
  const a = setup();
  const n1 = node('n1');
  assert.ok(a.authorize(ask(n1, 'get', 'pods', { namespace: 'ns', name: 'web' })).allowed);
  assert.equal(a.authorize(ask(node('n2'), 'get', 'pods', { namespace: 'ns', name: 'web' })).allowed, false);
  assert.ok(a.authorize(ask(n1, 'watch', 'pods', { fieldSelector: 'spec.nodeName=n1' })).allowed);
  assert.ok(a.authorize(ask(n1, 'list', 'pods', { fieldSelector: 'status.phase!=Failed,spec.nodeName==n1' })).allowed);
  assert.deepEqual(a.authorize(ask(n1, 'list', 'pods', { fieldSelector: 'spec.nodeName=n2' })), {
    allowed: false,
    reason: 'can only list/watch pods with spec.nodeName field selector',
  });
  assert.equal(a.authorize(ask(n1, 'list', 'pods', { fieldSelector: 'spec.nodeName!=n1' })).allowed, false);
  assert.ok(a.authorize(ask(n1, 'patch', 'pods', { namespace: 'ns', name: 'x', subresource: 'status' })).allowed);
  assert.ok(a.authorize(ask(n1, 'create', 'pods', { namespace: 'ns' })).allowed);
  assert.equal(a.authorize(ask(n1, 'update', 'pods', { namespace: 'ns', name: 'web' })).allowed, false);
  assert.equal(a.authorize(ask(n1, 'create', 'pods', { namespace: 'ns', name: 'web', subresource: 'exec' })).allowed, false);
});

test('leases: its own in kube-node-lease only', () => {
  const a = setup();
  const n1 = node('n1');
  assert.ok(a.authorize(ask(n1, 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n1' })).allowed);
  assert.ok(a.authorize(ask(n1, 'create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' })).allowed);
  assert.deepEqual(a.authorize(ask(n1, 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n2' })), {
    allowed: false,
    reason: 'can only access node lease with the same name as the requesting node',
  });
  assert.equal(a.authorize(ask(n1, 'get', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-system', name: 'n1' })).allowed, false);
  assert.equal(a.authorize(ask(n1, 'list', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' })).allowed, false);
});

test("csinodes: its own by name (a create is NodeRestriction's to check); csidrivers read by the static rules", () => {
  const a = setup();
  const n1 = node('n1');
  const csiNode = (verb: string, name?: string) => ask(n1, verb, 'csinodes', { apiGroup: 'storage.k8s.io', ...(name ? { name } : {}) });
  assert.ok(a.authorize(csiNode('get', 'n1')).allowed);
  assert.ok(a.authorize(csiNode('patch', 'n1')).allowed);
  assert.ok(a.authorize(csiNode('create')).allowed);
  assert.deepEqual(a.authorize(csiNode('update', 'n2')), { allowed: false, reason: 'can only access CSINode with the same name as the requesting node' });
  assert.deepEqual(a.authorize(csiNode('list')), { allowed: false, reason: 'can only get, create, update, patch, or delete a CSINode' });
  assert.ok(a.authorize(ask(n1, 'watch', 'csidrivers', { apiGroup: 'storage.k8s.io' })).allowed);
  assert.equal(a.authorize(ask(n1, 'create', 'csidrivers', { apiGroup: 'storage.k8s.io' })).allowed, false);
});

test("static rules for the rest (events, services); Berth's DNS slice for its own node only", () => {
  const a = setup();
  const n1 = node('n1');
  assert.ok(a.authorize(ask(n1, 'create', 'events', { namespace: 'ns' })).allowed);
  assert.ok(a.authorize(ask(n1, 'watch', 'services')).allowed);
  assert.equal(a.authorize(ask(n1, 'create', 'deployments', { apiGroup: 'apps', namespace: 'ns' })).allowed, false);
  const slice = (name: string, verb = 'patch') => ask(n1, verb, 'endpointslices', { apiGroup: 'discovery.k8s.io', namespace: 'kube-system', name });
  assert.ok(a.authorize(slice('kube-dns-n1')).allowed);
  assert.equal(a.authorize(slice('kube-dns-n2')).allowed, false);
  assert.equal(a.authorize(slice('kube-dns-n1', 'delete')).allowed, false);
  assert.ok(a.authorize(ask(n1, 'watch', 'endpointslices', { apiGroup: 'discovery.k8s.io' })).allowed, 'read by the static rules');
  // Not a node: no opinion, no reason.
  assert.deepEqual(a.authorize(ask({ name: 'bob', groups: [] }, 'get', 'secrets', { namespace: 'ns', name: 'mine' })), { allowed: false, reason: '' });
  assert.deepEqual(a.authorize(ask({ name: 'bob', groups: ['system:nodes'] }, 'get', 'nodes', { name: 'bob' })), {
    allowed: false,
    reason: 'unknown node for user "bob"',
  });
});

test("the chain Node,RBAC: the Node authorizer's reason is in upstream's 403", () => {
  const chain = new Authorizer(['Node', 'RBAC'], new RbacAuthorizer({ role: () => undefined, clusterRole: () => undefined }), setup());
  const attrs = ask(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 'other' });
  const d = chain.authorize(attrs);
  assert.equal(d.allowed, false);
  assert.equal(
    forbiddenError(attrs, d.reason).message,
    `secrets "other" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "ns": no relationship found between node 'n1' and this object`,
  );
  assert.ok(chain.authorize(ask(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 'mine' })).allowed);
  // Without the Node mode nodes get nothing from it.
  const rbacOnly = new Authorizer(['RBAC'], new RbacAuthorizer({ role: () => undefined, clusterRole: () => undefined }), setup());
  assert.equal(rbacOnly.authorize(ask(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 'mine' })).allowed, false);
});

test('a rules review by a node is incomplete, as upstream: the Node authorizer lists no rules', () => {
  const chain = new Authorizer(['Node', 'RBAC'], new RbacAuthorizer({ role: () => undefined, clusterRole: () => undefined }), setup());
  const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace: 'ns' } } as unknown as KObject;
  const status = (answerReview(review, node('n1'), undefined, chain) as unknown as { status: Record<string, unknown> }).status;
  assert.equal(status.incomplete, true);
  assert.equal(status.evaluationError, 'node authorizer does not support user rule resolution');
  const user = (answerReview(review, { name: 'bob', groups: [] }, undefined, chain) as unknown as { status: Record<string, unknown> }).status;
  assert.equal(user.incomplete, false);
});
