import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapAllows, forbiddenResource, requestVerb, selectedName } from './bootstrap-authz.js';

const user = { name: 'system:bootstrap:server', groups: ['system:bootstrappers', 'system:authenticated'] };
const csr = (verb: string, name?: string) => ({ verb, group: 'certificates.k8s.io', resource: 'certificatesigningrequests', name });
const owners: Record<string, string> = { mine: 'system:bootstrap:server', theirs: 'system:admin' };
const ownerOf = async (n: string) => owners[n];

test('a bootstrap caller may create CSRs and get or watch its own, nothing else', async () => {
  assert.equal(await bootstrapAllows(user, csr('create'), undefined, ownerOf), true);
  assert.equal(await bootstrapAllows(user, csr('get', 'mine'), undefined, ownerOf), true);
  assert.equal(await bootstrapAllows(user, csr('watch'), 'mine', ownerOf), true);
  assert.equal(await bootstrapAllows(user, csr('get', 'gone'), undefined, ownerOf), true, 'a missing one reads as NotFound');
  assert.equal(await bootstrapAllows(user, csr('get', 'theirs'), undefined, ownerOf), false);
  assert.equal(await bootstrapAllows(user, csr('watch'), 'theirs', ownerOf), false);
  assert.equal(await bootstrapAllows(user, csr('watch'), undefined, ownerOf), false, 'a watch of all requests');
  assert.equal(await bootstrapAllows(user, csr('list'), undefined, ownerOf), false);
  assert.equal(await bootstrapAllows(user, csr('delete', 'mine'), undefined, ownerOf), false);
  assert.equal(await bootstrapAllows(user, { ...csr('update', 'mine'), subresource: 'approval' }, undefined, ownerOf), false, 'approving its own');
  assert.equal(await bootstrapAllows(user, { verb: 'list', group: '', resource: 'pods', namespace: 'default' }, undefined, ownerOf), false);
  assert.equal(await bootstrapAllows(user, { verb: 'get', group: '', resource: 'secrets', namespace: 'kube-system', name: 'x' }, undefined, ownerOf), false);
});

test("refusals read as upstream RBAC's", () => {
  const pods = forbiddenResource(user, { verb: 'list', group: '', resource: 'pods', namespace: 'default' });
  assert.equal(pods.code, 403);
  assert.equal(pods.message, 'pods is forbidden: User "system:bootstrap:server" cannot list resource "pods" in API group "" in the namespace "default"');
  const one = forbiddenResource(user, { verb: 'get', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', name: 'theirs' });
  assert.equal(
    one.message,
    'certificatesigningrequests.certificates.k8s.io "theirs" is forbidden: User "system:bootstrap:server" cannot get resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope',
  );
  assert.deepEqual(one.toStatus().details, { name: 'theirs', group: 'certificates.k8s.io', kind: 'certificatesigningrequests' });
  const log = forbiddenResource(user, { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'ns', name: 'p' });
  assert.match(log.message, /cannot get resource "pods\/log"/);
});

test('verbs and field selectors as upstream derives them', () => {
  assert.equal(requestVerb('GET', true, false), 'get');
  assert.equal(requestVerb('GET', false, false), 'list');
  assert.equal(requestVerb('GET', false, true), 'watch');
  assert.equal(requestVerb('DELETE', false, false), 'deletecollection');
  assert.equal(requestVerb('POST', false, false), 'create');
  assert.equal(selectedName('metadata.name=csr-x'), 'csr-x');
  assert.equal(selectedName('metadata.name==csr-x'), 'csr-x');
  assert.equal(selectedName('metadata.name!=csr-x'), undefined);
  assert.equal(selectedName('metadata.name=a,spec.signerName=b'), undefined);
  assert.equal(selectedName(null), undefined);
});
