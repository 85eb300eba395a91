// LIST semantics where the watch cache serves them (upstream 1.33's ConsistentListFromCache and
// ListFromCacheSnapshot): paged lists read one snapshot page after page while objects change,
// without reading the store; limits, exact revisions, selectors, Tables, the real kubectl's
// chunked get; and a continue token past compaction is 410 Gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, eventually, kubectlOk, startServer, type RunningServer } from './harness.js';

const COUNT = 300;
let s: RunningServer;

const cmPath = '/api/v1/namespaces/pg/configmaps';
const name = (i: number) => `cm-${String(i).padStart(4, '0')}`;

before(async () => {
  s = await startServer({ args: ['--disable-scheduler', '--disable-controller-manager'] });
  assert.equal((await api(s, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pg' } })).status, 201);
  for (let i = 0; i < COUNT; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, async (_, j) => {
        const r = await api(s, 'POST', cmPath, { metadata: { name: name(i + j), labels: { half: String((i + j) % 2) } }, data: { i: String(i + j) } });
        assert.equal(r.status, 201, r.text);
      }),
    );
  }
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

/** How many list reads of configmaps the store has served (etcd_request_duration_seconds_count). */
async function storeLists(server: RunningServer): Promise<number> {
  const r = await api(server, 'GET', '/metrics');
  const m = /^etcd_request_duration_seconds_count\{operation="list",type="configmaps"\} (\d+)$/m.exec(r.text);
  return m ? Number(m[1]) : 0;
}

async function pageAll(path: string, limit: number): Promise<{ pages: any[]; items: any[] }> {
  const pages: any[] = [];
  let token = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api(s, 'GET', `${path}${sep}limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    pages.push(r.json);
    token = r.json.metadata.continue ?? '';
  } while (token);
  return { pages, items: pages.flatMap((p) => p.items) };
}

test('a paged list is the state at its first page: changes made while paging do not show, and the store is not read', async () => {
  const before = await api(s, 'GET', cmPath);
  const all = before.json.items.map((o: any) => `${o.metadata.name}@${o.metadata.resourceVersion}`);
  assert.ok(all.length >= COUNT);
  const reads = await storeLists(s);

  const first = await api(s, 'GET', `${cmPath}?limit=100`);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.items.length, 100);
  assert.equal(first.json.metadata.remainingItemCount, all.length - 100);
  const rv = first.json.metadata.resourceVersion;
  // Change things behind the cursor and ahead of it.
  assert.equal((await api(s, 'PUT', `${cmPath}/${name(250)}`, { metadata: { name: name(250) }, data: { changed: 'yes' } })).status, 200);
  assert.equal((await api(s, 'DELETE', `${cmPath}/${name(260)}`)).status, 200);
  assert.equal((await api(s, 'POST', cmPath, { metadata: { name: 'cm-9999' } })).status, 201);
  assert.equal((await api(s, 'PUT', `${cmPath}/${name(5)}`, { metadata: { name: name(5) }, data: { changed: 'yes' } })).status, 200);

  const items = [...first.json.items];
  let token = first.json.metadata.continue;
  while (token) {
    const r = await api(s, 'GET', `${cmPath}?limit=100&continue=${encodeURIComponent(token)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.resourceVersion, rv, 'every page is at the first page revision');
    items.push(...r.json.items);
    token = r.json.metadata.continue;
    if (token) assert.equal(r.json.metadata.remainingItemCount, all.length - items.length);
  }
  assert.deepEqual(
    items.map((o: any) => `${o.metadata.name}@${o.metadata.resourceVersion}`),
    all,
  );
  assert.equal(await storeLists(s), reads, 'the pages came from the watch cache');

  // A new list sees the changes.
  const now = (await api(s, 'GET', cmPath)).json.items.map((o: any) => o.metadata.name);
  assert.ok(now.includes('cm-9999') && !now.includes(name(260)));
});

test('limit: ignored with resourceVersion=0, honoured at an exact revision (legacy and Exact), which shows that revision', async () => {
  const whole = await api(s, 'GET', `${cmPath}?limit=10&resourceVersion=0`);
  assert.equal(whole.status, 200);
  assert.ok(whole.json.items.length >= COUNT - 1, 'resourceVersion=0 ignores the limit, as upstream');
  assert.equal(whole.json.metadata.continue, undefined);

  const at = whole.json.metadata.resourceVersion;
  assert.equal((await api(s, 'POST', cmPath, { metadata: { name: 'cm-0000a' } })).status, 201);
  for (const q of [`limit=3&resourceVersion=${at}`, `limit=3&resourceVersion=${at}&resourceVersionMatch=Exact`]) {
    const r = await api(s, 'GET', `${cmPath}?${q}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.resourceVersion, at);
    assert.deepEqual(
      r.json.items.map((o: any) => o.metadata.name),
      [name(0), name(1), name(2)],
      `${q}: the state at ${at}, before cm-0000a`,
    );
    assert.ok(r.json.metadata.continue);
  }
  // NotOlderThan with a limit is a page of the current state.
  const nt = await api(s, 'GET', `${cmPath}?limit=3&resourceVersion=${at}&resourceVersionMatch=NotOlderThan`);
  assert.deepEqual(
    nt.json.items.map((o: any) => o.metadata.name),
    [name(0), 'cm-0000a', name(1)],
  );
});

test('selectors page through matching objects only; the last page has no continue token', async () => {
  const { pages, items } = await pageAll(`${cmPath}?labelSelector=half%3D1`, 40);
  assert.ok(pages.length >= 4);
  assert.ok(items.length >= COUNT / 2 - 2);
  assert.ok(items.every((o: any) => o.metadata.labels.half === '1'));
  assert.equal(new Set(items.map((o: any) => o.metadata.name)).size, items.length, 'no object twice');
  // With a selector upstream does not count what remains.
  assert.ok(pages.every((p) => p.metadata.remainingItemCount === undefined));
  assert.equal(pages.at(-1).metadata.continue, undefined);
});

test('long lists stream in chunks as JSON, Table and metadata, and the real kubectl pages through them', async () => {
  const json = await api(s, 'GET', '/api/v1/configmaps');
  assert.equal(json.status, 200);
  assert.equal(json.headers.get('transfer-encoding'), 'chunked');
  const names = json.json.items.filter((o: any) => o.metadata.namespace === 'pg').map((o: any) => o.metadata.name);
  assert.ok(names.length >= COUNT);

  const table = await api(s, 'GET', '/api/v1/configmaps', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.equal(table.status, 200);
  assert.equal(table.json.kind, 'Table');
  assert.equal(table.json.rows.length, json.json.items.length);
  assert.equal(table.json.rows[0].object.kind, 'PartialObjectMetadata');

  const meta = await api(s, 'GET', '/api/v1/configmaps', undefined, { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  assert.equal(meta.json.kind, 'PartialObjectMetadataList');
  assert.deepEqual(
    meta.json.items.map((o: any) => o.metadata.name),
    json.json.items.map((o: any) => o.metadata.name),
  );

  const out = kubectlOk(s, [
    '--kubeconfig',
    s.kubeconfig,
    'get',
    'configmaps',
    '-n',
    'pg',
    '--chunk-size=50',
    '--no-headers',
    '-o',
    'custom-columns=NAME:.metadata.name',
  ]);
  assert.deepEqual(out.trim().split('\n'), names);
  const wide = kubectlOk(s, ['--kubeconfig', s.kubeconfig, 'get', 'configmaps', '-A', '--chunk-size=70', '--no-headers']);
  assert.equal(wide.trim().split('\n').length, json.json.items.length);
});

test('a continue token whose revision compaction has passed is 410 Gone, with upstream message', async () => {
  const c = await startServer({ args: ['--disable-scheduler', '--disable-controller-manager', '--compaction-interval', '1'] });
  try {
    await api(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pg' } });
    for (let i = 0; i < 5; i++) await api(c, 'POST', cmPath, { metadata: { name: name(i) } });
    const first = await api(c, 'GET', `${cmPath}?limit=2`);
    const token = first.json.metadata.continue;
    assert.ok(token);
    // Later changes, then compaction past the token's revision.
    await api(c, 'POST', cmPath, { metadata: { name: 'later' } });
    const expired = await eventually(
      async () => {
        await api(c, 'POST', '/api/v1/namespaces/pg/secrets', { metadata: { generateName: 'tick-' } });
        const r = await api(c, 'GET', `${cmPath}?limit=2&continue=${encodeURIComponent(token)}`);
        return r.status === 410 ? r : undefined;
      },
      'compaction to pass the continue token',
      20_000,
    );
    assert.equal(expired!.json.reason, 'Expired');
    assert.match(expired!.json.message, /^The provided continue parameter is too old to display a consistent list result/);
  } finally {
    await c.stop();
    c.cleanup();
  }
});
