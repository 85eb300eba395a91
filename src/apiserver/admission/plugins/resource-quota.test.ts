import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../api/object.js';
import { resources, resourceByKey } from '../../../registry/index.js';
import { SqliteStore } from '../../../storage/sqlite.js';
import { ApiError } from '../../errors.js';
import { RestStorage } from '../../rest-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-quota-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Any = Record<string, any>;
const pods = resourceByKey('pods');
const quotas = resourceByKey('resourcequotas');
const pod = (name: string, cpu?: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'team' },
  spec: { containers: [{ name: 'c', image: 'busybox', ...(cpu ? { resources: { requests: { cpu } } } : {}) }] },
});

/** A storage with namespace team and quota `q` whose status the controller would have set (used all 0). */
async function setUp(file: string, hard: Record<string, string>, extra: Any = {}): Promise<{ storage: RestStorage; store: SqliteStore }> {
  const store = new SqliteStore(join(dir, file));
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  await storage.create(resourceByKey('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  // What the namespace's lifecycle gives every namespace: the pods' default ServiceAccount.
  await storage.create(resourceByKey('serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } });
  await storage.create(quotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'team' }, spec: { hard, ...extra } });
  const used = Object.fromEntries(Object.keys(hard).map((k) => [k, '0']));
  await storage.update(quotas, 'team', 'q', (cur) => ({ ...cur, status: { hard, used } }), { subresource: 'status' });
  return { storage, store };
}

const used = async (storage: RestStorage) => ((await storage.get(quotas, 'team', 'q')) as Any).status.used;

test('ResourceQuota: of three concurrent creates against pods=2 exactly two pass, the third gets upstream message, usage is charged', async () => {
  const { storage, store } = await setUp('a.db', { pods: '2', 'requests.cpu': '1' });
  try {
    const results = await Promise.allSettled(['p1', 'p2', 'p3'].map((n) => storage.create(pods, pod(n, '100m'))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof ApiError && refused.reason.code === 403);
    assert.match(refused.reason.message, /^pods "p[123]" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2$/);
    assert.deepEqual(await used(storage), { pods: '2', 'requests.cpu': '200m' });
  } finally {
    await store.close();
  }
});

test('ResourceQuota: compute quotas need pods to state their requests; dry runs are measured, not charged; cpu over the limit is refused', async () => {
  const { storage, store } = await setUp('b.db', { 'requests.cpu': '1' });
  try {
    await assert.rejects(
      storage.create(pods, pod('bare')),
      (e) => e instanceof ApiError && e.code === 403 && e.message === 'pods "bare" is forbidden: failed quota: q: must specify requests.cpu for: c',
    );
    await storage.create(pods, pod('dry', '600m'), { dryRun: true });
    assert.deepEqual(await used(storage), { 'requests.cpu': '0' });
    await storage.create(pods, pod('big', '600m'));
    await assert.rejects(
      storage.create(pods, pod('bigger', '600m')),
      (e) =>
        e instanceof ApiError &&
        e.message === 'pods "bigger" is forbidden: exceeded quota: q, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
    // A pod update is not measured (its resources cannot change): no constraint applies to it.
    await storage.update(pods, 'team', 'big', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } }));
    // Other kinds are not counted by a compute quota.
    await storage.create(resourceByKey('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team' } });
  } finally {
    await store.close();
  }
});

test('ResourceQuota: a service update that adds node ports is charged the difference', async () => {
  const { storage, store } = await setUp('e.db', { 'services.nodeports': '1' });
  const services = resourceByKey('services');
  try {
    await storage.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'team' },
      spec: {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
        ],
      },
    });
    await assert.rejects(
      storage.update(services, 'team', 's', (cur) => ({ ...cur, spec: { ...(cur.spec as Any), type: 'NodePort' } })),
      (e) =>
        e instanceof ApiError &&
        e.message ===
          'services "s" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    );
  } finally {
    await store.close();
  }
});

test('ResourceQuota: count/<resource> quotas, and scopes: a BestEffort quota counts only best-effort pods', async () => {
  const { storage, store } = await setUp('c.db', { 'count/configmaps': '1' });
  try {
    const cm = (name: string): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team' } });
    await storage.create(resourceByKey('configmaps'), cm('one'));
    await assert.rejects(
      storage.create(resourceByKey('configmaps'), cm('two')),
      (e) =>
        e instanceof ApiError &&
        e.message === 'configmaps "two" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1',
    );
  } finally {
    await store.close();
  }
  const scoped = await setUp('d.db', { pods: '1' }, { scopes: ['BestEffort'] });
  try {
    await scoped.storage.create(pods, pod('be1'));
    await scoped.storage.create(pods, pod('burstable', '100m'));
    await assert.rejects(scoped.storage.create(pods, pod('be2')), /exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1$/);
  } finally {
    await scoped.store.close();
  }
});
