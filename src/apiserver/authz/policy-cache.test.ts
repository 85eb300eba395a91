import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources, resourceByKey } from '../../registry/index.js';
import { SqliteStore } from '../../storage/sqlite.js';
import { RestStorage } from '../rest-storage.js';
import { cachedRbacAuthorizer } from './policy-cache.js';
import type { Attributes } from './attributes.js';
import type { KObject } from '../../api/object.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-policy-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const G = 'rbac.authorization.k8s.io';
const clusterRole = (verbs: string[]) =>
  ({ apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs }] }) as KObject;
const listPods: Attributes = {
  user: { name: 'alice', groups: ['system:authenticated'] },
  verb: 'list',
  resourceRequest: true,
  path: '/api/v1/pods',
  apiGroup: '',
  apiVersion: 'v1',
  resource: 'pods',
  subresource: '',
  namespace: '',
  name: '',
};

test('the RBAC cache follows roles as they change, decoding each version once', async () => {
  const store = new SqliteStore(join(dir, 'p.db'));
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  const rbac = cachedRbacAuthorizer(storage, () => {});
  const roles = resourceByKey(`clusterroles.${G}`);
  try {
    await storage.create(roles, clusterRole(['get']));
    await storage.create(resourceByKey(`clusterrolebindings.${G}`), {
      apiVersion: `${G}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'alice-reads' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'reader' },
      subjects: [{ kind: 'User', apiGroup: G, name: 'alice' }],
    });
    await rbac.start();
    const { authorizer } = rbac;
    assert.equal(authorizer.authorize(listPods).allowed, false);
    const first = authorizer.roleGetter.clusterRole('reader');
    assert.ok(first);
    assert.equal(authorizer.roleGetter.clusterRole('reader'), first, 'a check reads the role decoded once, not its JSON again');
    // A change is seen by the next check, with no wait: the cache hands it over as it applies it.
    await storage.update(roles, undefined, 'reader', (cur) => ({ ...cur, rules: clusterRole(['get', 'list']).rules }));
    assert.equal(authorizer.authorize(listPods).allowed, true);
    assert.notEqual(authorizer.roleGetter.clusterRole('reader'), first);
    await storage.delete(roles, undefined, 'reader', {});
    const d = authorizer.authorize(listPods);
    assert.equal(d.allowed, false);
    assert.match(d.reason, /clusterrole.rbac.authorization.k8s.io "reader" not found/);
  } finally {
    rbac.stop();
    for (const c of storage.caches.values()) c.stop();
    store.close();
  }
});
