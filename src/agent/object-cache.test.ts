import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1';
import { resources } from '../client/index.js';
import { FakeApi, recordingReads, waitFor } from '../controllers/fake-api.js';
import { ObjectCache } from './object-cache.js';

function countingApi() {
  const api = new FakeApi();
  return { api, ...recordingReads(api) };
}

/** A pod as the service-account admission leaves it: kube-root-ca.crt projected, plus a secret volume. */
const podUsing = (name: string, secret: string): Pod => ({
  metadata: { namespace: 'team', name, uid: `uid-${name}` },
  spec: {
    containers: [{ name: 'c' }],
    volumes: [
      { name: 'kube-api-access', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } },
      { name: 's', secret: { secretName: secret } },
    ],
  },
});

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const { api, client, reads } = countingApi();
  await api.create<ConfigMap>(resources.configmaps, { metadata: { namespace: 'team', name: 'kube-root-ca.crt' }, data: { 'ca.crt': 'CA-1' } });
  await api.create<Secret>(resources.secrets, { metadata: { namespace: 'team', name: 'creds' }, data: { k: 'djE=' } });
  const cache = new ObjectCache(client, { ttlMs: 60_000 });
  t.after(() => cache.stop());
  return { api, cache, reads };
}

const caOf = async (cache: ObjectCache, how: 'get' | 'getFresh' = 'getFresh') =>
  (await cache[how]<ConfigMap>(resources.configmaps, 'team', 'kube-root-ca.crt'))?.data?.['ca.crt'];

test("the pods of a namespace share one watch per object they reference; their starts read the watch's copy", async (t) => {
  const { cache, reads } = await setup(t);
  cache.register('uid-a', podUsing('a', 'creds'));
  cache.register('uid-b', podUsing('b', 'creds'));
  cache.register('uid-b', podUsing('b', 'creds'));
  assert.equal(cache.watchedCount(), 2);
  for (let i = 0; i < 5; i++) assert.equal(await caOf(cache), 'CA-1');
  assert.equal((await cache.getFresh<Secret>(resources.secrets, 'team', 'creds'))?.data?.k, 'djE=');
  assert.deepEqual(reads.sort(), ['list configmaps', 'list secrets', 'watch configmaps', 'watch secrets'], 'one list and watch each, no GET');
});

test("an update reaches the watch's copy: the next read has it, without a GET", async (t) => {
  const { api, cache, reads } = await setup(t);
  cache.register('uid-a', podUsing('a', 'creds'));
  assert.equal(await caOf(cache), 'CA-1');
  const cm = api.objects<ConfigMap>('/configmaps', 'team')[0]!;
  await api.update(resources.configmaps, { ...cm, data: { 'ca.crt': 'CA-2' } });
  await waitFor(async () => (await caOf(cache, 'get')) === 'CA-2', 'the update in the cache');
  assert.equal(reads.filter((r) => r.startsWith('get ')).length, 0);
});

test('a referenced object that does not exist reads as missing, then as created', async (t) => {
  const { api, cache, reads } = await setup(t);
  cache.register('uid-a', podUsing('a', 'later'));
  assert.equal(await cache.getFresh(resources.secrets, 'team', 'later'), undefined);
  await api.create<Secret>(resources.secrets, { metadata: { namespace: 'team', name: 'later' }, data: { k: 'eA==' } });
  await waitFor(async () => (await cache.getFresh<Secret>(resources.secrets, 'team', 'later'))?.data?.k === 'eA==', 'the new secret');
  assert.equal(reads.filter((r) => r.startsWith('get ')).length, 0);
});

test('the last pod unregistered stops the watch; then the object is read by GET again', async (t) => {
  const { cache, reads } = await setup(t);
  cache.register('uid-a', podUsing('a', 'creds'));
  cache.register('uid-b', podUsing('b', 'creds'));
  await waitFor(() => reads.filter((r) => r.startsWith('watch ')).length === 2, 'both watches started');
  cache.unregister('uid-a');
  assert.equal(cache.watchedCount(), 2, 'b still uses them');
  assert.equal(reads.filter((r) => r.startsWith('stop ')).length, 0);
  cache.unregister('uid-b');
  assert.equal(cache.watchedCount(), 0);
  await waitFor(() => new Set(reads.filter((r) => r.startsWith('stop '))).size === 2, 'both watches stopped');
  assert.equal(await caOf(cache), 'CA-1');
  assert.deepEqual(
    reads.filter((r) => r.startsWith('get ')),
    ['get configmaps kube-root-ca.crt'],
  );
});

test('an object no pod registered: getFresh reads it each time, get at most once per TTL', async (t) => {
  const { cache, reads } = await setup(t);
  assert.equal(await caOf(cache), 'CA-1');
  assert.equal(await caOf(cache), 'CA-1');
  assert.equal(await caOf(cache, 'get'), 'CA-1');
  assert.equal(await caOf(cache, 'get'), 'CA-1');
  assert.equal(await cache.get(resources.configmaps, 'team', 'absent'), undefined);
  assert.deepEqual(reads, ['get configmaps kube-root-ca.crt', 'get configmaps kube-root-ca.crt', 'get configmaps kube-root-ca.crt', 'get configmaps absent']);
});
