import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { resources } from '../client/index.js';
import { selectorFromSet } from '../api/labels.js';
import { byController, claimObjects, type ClaimOptions } from './controller-ref.js';
import { FakeApi } from './fake-api.js';

const NS = 'ns';
const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: NS, uid: 'owner-uid' } };
const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'owner-uid', controller: true, blockOwnerDeletion: true };

async function setup() {
  const api = new FakeApi();
  const mk = (name: string, labels: Record<string, string>, owners?: unknown[]) =>
    api.create<Pod>(resources.pods, {
      metadata: { name, namespace: NS, labels, ...(owners ? { ownerReferences: owners as never } : {}) },
      spec: { containers: [] },
    });
  const pods = [
    await mk('mine', { app: 'a' }, [ref]),
    await mk('mine-stale', { app: 'b' }, [ref]),
    await mk('orphan', { app: 'a' }),
    await mk('orphan-other', { app: 'b' }),
    await mk('theirs', { app: 'a' }, [{ ...ref, name: 'other', uid: 'other-uid' }]),
  ];
  let rechecks = 0;
  const opts: ClaimOptions = {
    client: api.client,
    gvr: resources.pods,
    controller: owner,
    ref,
    selector: selectorFromSet({ app: 'a' }),
    recheck: async () => {
      rechecks++;
    },
  };
  return { api, pods, opts, rechecks: () => rechecks };
}

test('claims its matching pods, adopts matching orphans, releases stale ones, leaves others alone', async () => {
  const { api, pods, opts, rechecks } = await setup();
  const claimed = await claimObjects(pods, opts);
  assert.deepEqual(
    claimed.map((p) => p.metadata!.name),
    ['mine', 'orphan'],
  );
  const byName = (n: string) => api.objects<Pod>('/pods', NS).find((p) => p.metadata!.name === n)!;
  assert.deepEqual(byName('orphan').metadata!.ownerReferences, [ref]);
  assert.equal(byName('mine-stale').metadata!.ownerReferences?.length ?? 0, 0);
  assert.equal(byName('orphan-other').metadata!.ownerReferences, undefined);
  assert.equal(byName('theirs').metadata!.ownerReferences![0]!.uid, 'other-uid');
  assert.equal(rechecks(), 1, 'the controller is re-read once, before adopting');
  assert.deepEqual(byController(byName('orphan')), ['ns/owner-uid']);
  assert.deepEqual(byController(byName('orphan-other')), ['ns/']);
});

test('a controller being deleted adopts and releases nothing', async () => {
  const { api, pods, opts } = await setup();
  const claimed = await claimObjects(pods, { ...opts, controller: { ...owner, metadata: { ...owner.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } } });
  assert.deepEqual(
    claimed.map((p) => p.metadata!.name),
    ['mine'],
  );
  assert.equal(api.writes('patch', '/pods').length, 0);
});

test('a failed recheck refuses adoption with an error; a pod gone meanwhile is skipped', async () => {
  const { api, pods, opts } = await setup();
  await assert.rejects(claimObjects(pods, { ...opts, recheck: async () => Promise.reject(new Error('rs has just been deleted')) }), /just been deleted/);
  await api.delete({ ...resources.pods, namespace: NS, name: 'orphan' });
  const claimed = await claimObjects(pods, opts);
  assert.deepEqual(
    claimed.map((p) => p.metadata!.name),
    ['mine'],
  );
});
