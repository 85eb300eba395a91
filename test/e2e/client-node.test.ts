// @kubernetes/client-node, unmodified, against a real Berth server: typed calls, JSON patch,
// KubernetesObjectApi (strategic merge patch), and an informer that re-lists after 410.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, AppsV1Api, KubeConfig, KubernetesObjectApi, makeInformer, ListWatch, type V1ConfigMap } from '@kubernetes/client-node';
import { eventually, startServer, type RunningServer } from './harness.js';

let s: RunningServer;
let kc: KubeConfig;
let core: CoreV1Api;

before(async () => {
  // Compaction every second, so that the informer test can meet a 410 without waiting minutes.
  s = await startServer({ args: ['--compaction-interval', '1'] });
  kc = new KubeConfig();
  kc.loadFromFile(s.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'cn' } } });
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

const cm = (name: string, data: Record<string, string>): V1ConfigMap => ({ metadata: { name, labels: { app: 'cn' } }, data });

test('client-node: create, get, list with a label selector, json-patch, delete', async () => {
  const created = await core.createNamespacedConfigMap({ namespace: 'cn', body: cm('one', { a: '1' }) });
  assert.ok(created.metadata?.uid);
  assert.equal(created.metadata?.namespace, 'cn');
  await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'other' }, data: {} } });
  const list = await core.listNamespacedConfigMap({ namespace: 'cn', labelSelector: 'app=cn' });
  assert.deepEqual(
    list.items.map((i) => i.metadata?.name),
    ['one'],
  );
  assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);

  const patched = await core.patchNamespacedConfigMap({
    name: 'one',
    namespace: 'cn',
    body: [
      { op: 'add', path: '/data/b', value: '2' },
      { op: 'replace', path: '/data/a', value: 'x' },
    ],
  });
  assert.deepEqual(patched.data, { a: 'x', b: '2' });
  assert.notEqual(patched.metadata?.resourceVersion, created.metadata?.resourceVersion);

  await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'cn' }), (e: any) => e.code === 404);
  await core.deleteNamespacedConfigMap({ name: 'other', namespace: 'cn' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'other', namespace: 'cn' }), (e: any) => e.code === 404);
});

test('client-node: KubernetesObjectApi create and strategic merge patch of a deployment', async () => {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await objects.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'cn' },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          containers: [
            { name: 'a', image: 'busybox:1' },
            { name: 'b', image: 'busybox:2' },
          ],
        },
      },
    },
  } as any);
  await objects.patch({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'cn' },
    spec: { template: { spec: { containers: [{ name: 'b', image: 'busybox:3' }] } } },
  } as any);
  const apps = kc.makeApiClient(AppsV1Api);
  const d = await apps.readNamespacedDeployment({ name: 'd', namespace: 'cn' });
  assert.deepEqual(
    d.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`),
    ['a=busybox:1', 'b=busybox:3'],
  );
  assert.equal(d.spec?.replicas, 1);
});

test('client-node: an informer sees ADDED, MODIFIED, DELETED, and re-lists after 410', async () => {
  await core.createNamespace({ body: { metadata: { name: 'inf' } } });
  let lists = 0;
  const listFn = () => {
    lists++;
    return core.listNamespacedConfigMap({ namespace: 'inf' });
  };
  const informer = makeInformer(kc, '/api/v1/namespaces/inf/configmaps', listFn);
  const events: string[] = [];
  // Every namespace also holds kube-root-ca.crt, published by the server as upstream does.
  const mine = (o: V1ConfigMap) => o.metadata?.name !== 'kube-root-ca.crt';
  informer.on('add', (o) => mine(o) && events.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => mine(o) && events.push(`update ${o.metadata?.name} ${JSON.stringify(o.data)}`));
  informer.on('delete', (o) => mine(o) && events.push(`delete ${o.metadata?.name}`));
  const errors: unknown[] = [];
  informer.on('error', (e) => errors.push(e));
  await informer.start();
  try {
    await core.createNamespacedConfigMap({ namespace: 'inf', body: cm('w', { v: '1' }) });
    await core.patchNamespacedConfigMap({ name: 'w', namespace: 'inf', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: 'inf' });
    await eventually(() => events.includes('delete w'), `add/update/delete in ${JSON.stringify(events)}`);
    assert.deepEqual(events, ['add w', 'update w {"v":"2"}', 'delete w']);
    assert.equal(lists, 1);

    // Stop watching, change things, let compaction pass the informer's resourceVersion, resume.
    await informer.stop();
    const stale = (informer as unknown as ListWatch<V1ConfigMap>).latestResourceVersion();
    await core.createNamespacedConfigMap({ namespace: 'inf', body: cm('later', { v: '1' }) });
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'churn-' } } });
    await new Promise((r) => setTimeout(r, 2500));
    const probe = await fetchWatchError(s, `/api/v1/namespaces/inf/configmaps?watch=true&resourceVersion=${stale}`);
    assert.match(probe, /"code":410/, 'the stale resourceVersion is expired on the server');
    events.length = 0;
    await informer.start();
    await eventually(() => events.includes('add later'), `re-list after 410 in ${JSON.stringify(events)}`);
    assert.ok(lists >= 2, `the informer listed again (${lists} lists)`);
    assert.deepEqual(
      informer
        .list('inf')
        .filter(mine)
        .map((o) => o.metadata?.name),
      ['later'],
    );
    // Stopping an informer aborts its watch request; anything else would be a real error.
    assert.deepEqual(
      errors.filter((e) => (e as Error)?.name !== 'AbortError'),
      [],
    );
  } finally {
    await informer.stop();
  }
});

async function fetchWatchError(server: RunningServer, path: string): Promise<string> {
  const { request } = await import('node:https');
  return new Promise((res, rej) => {
    const req = request(new URL(path, server.url), { ca: server.caCert, headers: { Authorization: `Bearer ${server.token}` } }, (r) => {
      let text = '';
      r.on('data', (d) => (text += d));
      r.on('end', () => res(text));
    });
    req.on('error', rej);
    req.end();
  });
}
