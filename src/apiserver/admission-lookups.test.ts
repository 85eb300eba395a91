import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources, resourceByKey } from '../registry/index.js';
import { SqliteStore } from '../storage/sqlite.js';
import { RestStorage } from './rest-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-lookups-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("admission look-ups decode each version of an object once, and see a new version as soon as it's written", async () => {
  const store = new SqliteStore(join(dir, 'l.db'));
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  const namespaces = resourceByKey('namespaces');
  try {
    await storage.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { v: '1' } } });
    const first = storage.lookups.getNamespace('team');
    assert.deepEqual(first?.metadata.labels, { 'kubernetes.io/metadata.name': 'team', v: '1' });
    assert.equal(storage.lookups.getNamespace('team'), first, 'the same version is not decoded again');
    await storage.update(namespaces, undefined, 'team', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, v: '2' } } }));
    const second = storage.lookups.getNamespace('team');
    assert.notEqual(second, first);
    assert.equal(second?.metadata.labels?.v, '2');
    await storage.delete(namespaces, undefined, 'team', {});
    // Deleting a namespace finalizes it first: gone or terminating, never the old version.
    const third = storage.lookups.getNamespace('team');
    assert.ok(third === undefined || third.metadata.deletionTimestamp, JSON.stringify(third?.metadata));
    assert.equal(storage.lookups.getNamespace('missing'), undefined);
  } finally {
    for (const c of storage.caches.values()) c.stop();
    store.close();
  }
});

test('admission look-ups keep listed objects decoded per version, except pods, which are read one-off', async () => {
  const store = new SqliteStore(join(dir, 'm.db'));
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  try {
    await storage.create(resourceByKey('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await storage.create(resourceByKey('serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } });
    await storage.create(resourceByKey('pods'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'team' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await storage.create(resourceByKey('priorityclasses.scheduling.k8s.io'), {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high' },
      value: 1000,
    });
    const classes = storage.lookups.listPriorityClasses();
    assert.deepEqual(
      classes.map((c) => c.metadata.name),
      ['high'],
    );
    assert.deepEqual(storage.lookups.listPriorityClasses(), classes);
    assert.ok(
      storage.lookups.listPriorityClasses().every((c, i) => c === classes[i]),
      'the same versions are not decoded again',
    );
    const [pod] = storage.lookups.list('pods', 'team');
    assert.equal(pod?.metadata.name, 'p');
    assert.notEqual(storage.lookups.list('pods', 'team')[0], pod, 'a pod is decoded for the one read');
    assert.notEqual(storage.lookups.get('pods', 'team', 'p'), pod);
  } finally {
    for (const c of storage.caches.values()) c.stop();
    store.close();
  }
});
