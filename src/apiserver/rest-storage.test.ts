import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, type KObject } from '../api/object.js';
import { resources, resourceByKey } from '../registry/index.js';
import { SqliteStore } from '../storage/sqlite.js';
import type { Writer } from '../api/managedfields/index.js';
import { ApiError } from './errors.js';
import { RestStorage, type Change } from './rest-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-rest-storage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pods = resourceByKey('pods');
const KUBELET: Writer = { manager: 'kubelet', apiVersion: 'v1', subresource: 'status' };
const CONTROLLER: Writer = { manager: 'kube-controller-manager', apiVersion: 'v1' };

/** A store whose next `races` updates each lose to a write made just before them (same value, new revision). */
class RacingStore extends SqliteStore {
  races = 0;
  override async update(key: string, value: string, expected: number, origin?: unknown) {
    if (this.races > 0) {
      this.races--;
      const kv = (await super.get(key))!;
      await super.update(key, kv.value, kv.modRevision);
    }
    return super.update(key, value, expected, origin);
  }
}

async function withStorage(name: string, fn: (storage: RestStorage, store: RacingStore) => Promise<void>): Promise<void> {
  const store = new RacingStore(join(dir, `${name}.db`));
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  try {
    await storage.create(resourceByKey('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await storage.create(resourceByKey('serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } });
    await fn(storage, store);
  } finally {
    for (const c of storage.caches.values()) c.stop();
    await store.close();
  }
}

const pod = (name: string, nodeName?: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'team', labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName },
});

const running = { phase: 'Running', podIP: '10.244.0.5', conditions: [{ type: 'Ready', status: 'True' }] };

/** What a PUT sends: the object as read, changed by `edit`, with (or without) its resourceVersion. */
function put(current: KObject, edit: (o: KObject) => void, pinned = true): KObject {
  const body = clone(current);
  delete body.metadata.managedFields;
  if (!pinned) delete body.metadata.resourceVersion;
  edit(body);
  return body;
}

test("a write's JSON is JSON.stringify of the object it hands back; a dry run and a no-op have none", async () => {
  await withStorage('json', async (storage) => {
    const same = (w: { obj: KObject; json?: string }, what: string) => assert.equal(w.json, JSON.stringify(w.obj), what);
    const created = await storage.create(pods, pod('p', 'node-1'), { writer: CONTROLLER });
    same(created, 'create');
    const relabelled = await storage.update(
      pods,
      'team',
      'p',
      { replacement: () => put(created.obj, (o) => (o.metadata.labels!.tier = 'front')) },
      { writer: CONTROLLER, precondition: created.obj.metadata.resourceVersion },
    );
    same(relabelled, 'update');
    const status = await storage.update(
      pods,
      'team',
      'p',
      { replacement: () => put(relabelled.obj, (o) => (o.status = running)) },
      { writer: KUBELET, subresource: 'status', precondition: relabelled.obj.metadata.resourceVersion },
    );
    same(status, 'status update');
    assert.equal((status.obj.status as { phase: string }).phase, 'Running');
    const patched = await storage.update(pods, 'team', 'p', (cur) => ((cur.metadata.annotations = { a: 'b' }), cur), { writer: CONTROLLER });
    same(patched, 'read-modify-write');

    const dry = await storage.update(
      pods,
      'team',
      'p',
      { replacement: () => put(patched.obj, (o) => (o.metadata.labels = {})) },
      { dryRun: true, writer: CONTROLLER },
    );
    assert.equal(dry.json, undefined, 'dry run');
    assert.deepEqual(dry.obj.metadata.labels, {});
    const noop = await storage.update(
      pods,
      'team',
      'p',
      { replacement: () => put(patched.obj, () => {}) },
      { writer: CONTROLLER, precondition: patched.obj.metadata.resourceVersion },
    );
    assert.equal(noop.json, undefined, 'no-op');
    assert.equal(noop.obj.metadata.resourceVersion, patched.obj.metadata.resourceVersion, 'a no-op keeps the resourceVersion');

    // A bound pod's delete is graceful: an update that sets deletionTimestamp, answered with the object.
    const deleting = await storage.delete(pods, 'team', 'p', {});
    assert.equal(deleting.deleted, false);
    assert.ok(deleting.obj.metadata.deletionTimestamp);
    same(deleting, 'graceful delete');
  });
});

test('a pinned PUT is tried once, with its body itself: a lost race is a 409', async () => {
  await withStorage('pinned', async (storage, store) => {
    const { obj } = await storage.create(pods, pod('p'));
    const body = put(obj, (o) => (o.metadata.labels!.tier = 'front'));
    let calls = 0;
    const replacement = () => (calls++, body);
    store.races = 1;
    await assert.rejects(
      storage.update(pods, 'team', 'p', { replacement }, { precondition: obj.metadata.resourceVersion }),
      (e) => e instanceof ApiError && e.code === 409,
    );
    assert.equal(calls, 1);
    // A stale resourceVersion is refused before the body is even asked for.
    await assert.rejects(
      storage.update(pods, 'team', 'p', { replacement }, { precondition: obj.metadata.resourceVersion }),
      (e) => e instanceof ApiError && e.code === 409,
    );
    assert.equal(calls, 1);
  });
});

test('an unconditional PUT that loses races is retried, each attempt on a fresh copy of its body', async () => {
  await withStorage('retried', async (storage, store) => {
    const { obj } = await storage.create(pods, pod('p'));
    const body = put(obj, (o) => (o.metadata.labels!.tier = 'front'), false);
    const given: KObject[] = [];
    store.races = 2;
    const out = await storage.update(pods, 'team', 'p', { replacement: () => (given.push(clone(body)), given.at(-1)!) });
    assert.equal(given.length, 3, 'two lost races, then the write');
    assert.deepEqual(out.obj.metadata.labels, { app: 'web', tier: 'front' });
    assert.equal(out.obj.metadata.resourceVersion, String(Number(obj.metadata.resourceVersion) + 3), 'written after the two racing writes');
    assert.deepEqual(await storage.get(pods, 'team', 'p'), out.obj);
  });
});

/** An object with what differs between two stores (uids, clocks) blanked out. */
const comparable = (o: KObject) =>
  JSON.stringify(o)
    .replace(/"uid":"[^"]*"/g, '"uid":""')
    .replace(/kube-api-access-\w+/g, 'kube-api-access-')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'T');

test('a PUT written as a Replacement stores what the same PUT written as a Mutation (the former form) stored', async () => {
  const writes: Array<{ edit: (o: KObject) => void; subresource?: 'status'; pinned: boolean; writer: Writer }> = [
    { edit: (o) => (o.metadata.labels = { app: 'web', tier: 'front' }), pinned: true, writer: CONTROLLER },
    { edit: (o) => (o.status = running), subresource: 'status', pinned: true, writer: KUBELET },
    // A status sent with a main-resource PUT is ignored; the labels are taken.
    { edit: (o) => ((o.status = { phase: 'Failed' }), (o.metadata.annotations = { x: 'y' })), pinned: false, writer: CONTROLLER },
    // The spec sent with a status PUT is ignored; labels and annotations are taken.
    {
      edit: (o) => (((o.spec as Record<string, unknown>).activeDeadlineSeconds = 5), (o.metadata.labels = {}), (o.status = { phase: 'Succeeded' })),
      subresource: 'status',
      pinned: false,
      writer: KUBELET,
    },
    { edit: () => {}, pinned: true, writer: CONTROLLER },
  ];
  const run = async (name: string, form: (body: KObject) => Change) => {
    const out: string[] = [];
    await withStorage(name, async (storage) => {
      let current = (await storage.create(pods, pod('p'), { writer: CONTROLLER })).obj;
      for (const w of writes) {
        const body = put(current, w.edit, w.pinned);
        const opts = { writer: w.writer, subresource: w.subresource, precondition: body.metadata.resourceVersion || undefined };
        current = (await storage.update(pods, 'team', 'p', form(body), opts)).obj;
        out.push(comparable(await storage.get(pods, 'team', 'p')));
      }
    });
    return out;
  };
  const replaced = await run('replacement', (body) => ({ replacement: () => body }));
  const mutated = await run('mutation', (body) => () => clone(body));
  assert.deepEqual(replaced, mutated);
  // The writes did what they say (so that the comparison compares something).
  const last = JSON.parse(replaced.at(-1)!) as KObject;
  assert.deepEqual(last.status, { phase: 'Succeeded', qosClass: 'BestEffort' });
  assert.deepEqual(last.metadata.labels, {});
  assert.deepEqual(last.metadata.annotations, { x: 'y' });
  assert.equal((last.spec as Record<string, unknown>).activeDeadlineSeconds, undefined);
  assert.equal(replaced[3], replaced[4], 'the last PUT is a no-op');
});
