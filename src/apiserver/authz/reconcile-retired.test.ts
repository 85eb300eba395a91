import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources, resourceByKey } from '../../registry/index.js';
import { SqliteStore } from '../../storage/sqlite.js';
import { RestStorage } from '../rest-storage.js';
import { reconcileBootstrapPolicy } from './reconcile.js';
import { bootstrapObjects } from '../admission.js';
import type { KObject } from '../../api/object.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-retired-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const G = 'rbac.authorization.k8s.io';
const stopgap = (annotations: Record<string, string>, labels: Record<string, string>) =>
  ({
    apiVersion: `${G}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'berth:system:nodes', labels, annotations },
    roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'system:node' },
    subjects: [{ kind: 'Group', apiGroup: G, name: 'system:nodes' }],
  }) as KObject;

test("an older cluster's stopgap binding of system:node to every node goes at start, unless an admin pinned it", async () => {
  const store = new SqliteStore(join(dir, 'r.db'));
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  const bindings = resourceByKey(`clusterrolebindings.${G}`);
  const logs: string[] = [];
  try {
    // As at a server's start: the system namespaces exist before the policy is reconciled.
    for (const { key, obj } of bootstrapObjects()) if (key === 'namespaces') await storage.create(resourceByKey(key), obj);
    await storage.create(bindings, stopgap({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' }, { 'kubernetes.io/bootstrapping': 'rbac-defaults' }));
    await reconcileBootstrapPolicy(storage, (m) => logs.push(m));
    await assert.rejects(storage.get(bindings, undefined, 'berth:system:nodes'), /not found/);
    assert.ok(
      logs.some((l) => /removing ClusterRoleBinding berth:system:nodes/.test(l)),
      logs.join('\n'),
    );
    // system:node is there, bound to no one.
    const sn = (await storage.get(bindings, undefined, 'system:node')) as KObject & { subjects?: unknown[] };
    assert.deepEqual(sn.subjects ?? [], []);
    // Pinned by an admin: kept.
    await storage.create(bindings, stopgap({ 'rbac.authorization.kubernetes.io/autoupdate': 'false' }, { 'kubernetes.io/bootstrapping': 'rbac-defaults' }));
    await reconcileBootstrapPolicy(storage, () => undefined);
    assert.equal((await storage.get(bindings, undefined, 'berth:system:nodes')).metadata.name, 'berth:system:nodes');
  } finally {
    for (const c of storage.caches.values()) c.stop();
    store.close();
  }
});
