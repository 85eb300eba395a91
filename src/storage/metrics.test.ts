import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { registry } from '../metrics/registry.js';
import { InstrumentedStore, resourceOfKey } from './metrics.js';
import { SqliteStore } from './sqlite.js';
import { storeSuite } from './store-suite.js';
import { KeyExistsError } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-instrumented-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

// The wrapper must be a store like any other: the whole store suite, through it.
storeSuite('instrumented sqlite', async () => new InstrumentedStore(new SqliteStore(join(dir, `s${n++}.db`))));

test('resourceOfKey: the resource of a key or prefix under /registry/', () => {
  assert.equal(resourceOfKey('/registry/pods/default/web'), 'pods');
  assert.equal(resourceOfKey('/registry/deployments.apps/'), 'deployments.apps');
  assert.equal(resourceOfKey('/registry/nodes'), 'nodes');
  assert.equal(resourceOfKey('/other/x'), '');
});

async function count(operation: string, type: string): Promise<number> {
  const m = await registry.getSingleMetric('etcd_request_duration_seconds')!.get();
  return (
    m.values.find(
      (v) => (v as { metricName?: string }).metricName === 'etcd_request_duration_seconds_count' && v.labels.operation === operation && v.labels.type === type,
    )?.value ?? 0
  );
}

test('etcd_request_duration_seconds counts each call by operation and resource, failed ones too', async () => {
  const store = new InstrumentedStore(new SqliteStore(join(dir, 'count.db')));
  try {
    const before = {
      create: await count('create', 'widgets'),
      get: await count('get', 'widgets'),
      list: await count('list', 'widgets'),
      update: await count('update', 'widgets'),
      del: await count('delete', 'widgets'),
    };
    const kv = await store.create('/registry/widgets/ns/a', '{}');
    await assert.rejects(store.create('/registry/widgets/ns/a', '{}'), KeyExistsError);
    await store.get('/registry/widgets/ns/a');
    await store.list('/registry/widgets/');
    await store.update('/registry/widgets/ns/a', '{"x":1}', kv.modRevision);
    await store.delete('/registry/widgets/ns/a');
    assert.equal((await count('create', 'widgets')) - before.create, 2);
    assert.equal((await count('get', 'widgets')) - before.get, 1);
    assert.equal((await count('list', 'widgets')) - before.list, 1);
    assert.equal((await count('update', 'widgets')) - before.update, 1);
    assert.equal((await count('delete', 'widgets')) - before.del, 1);
  } finally {
    await store.close();
  }
});
