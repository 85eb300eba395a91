import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite.js';
import { serviceNetwork } from './network.js';
import { IP_RESERVATIONS, PORT_RESERVATIONS } from './reservations.js';
import { LEAK_GRACE_MS, repairServiceAllocations } from './repair.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-svcrepair-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const stored = (name: string, uid: string, created: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid, creationTimestamp: created }, spec });
const holder = (name: string, uid: string, since: string) => JSON.stringify({ namespace: 'default', name, uid, since });

test('repair: lost reservations come back, old leaks go, young ones stay, doubled values are reported', async () => {
  const store = new SqliteStore(join(dir, 'r.db'));
  const now = Date.parse('2026-01-01T12:00:00Z');
  const old = new Date(now - LEAK_GRACE_MS - 1000).toISOString();
  const young = new Date(now - 1000).toISOString();
  // a: holds 10.43.0.5 and node port 30005 with no reservation (a store restored from a backup).
  await store.create(
    '/registry/services/default/a',
    stored('a', 'uid-a', '2026-01-01T00:00:00Z', {
      type: 'NodePort',
      clusterIP: '10.43.0.5',
      clusterIPs: ['10.43.0.5'],
      ports: [{ port: 80, nodePort: 30005 }],
    }),
  );
  // b: created later with the same IP (written before reservations existed).
  await store.create(
    '/registry/services/default/b',
    stored('b', 'uid-b', '2026-01-01T01:00:00Z', { type: 'ClusterIP', clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ports: [{ port: 80 }] }),
  );
  // c: its IP is reserved in the name of a Service that no longer exists (same name, old uid).
  await store.create(
    '/registry/services/default/c',
    stored('c', 'uid-c2', '2026-01-01T02:00:00Z', { type: 'ClusterIP', clusterIP: '10.43.0.6', clusterIPs: ['10.43.0.6'], ports: [{ port: 80 }] }),
  );
  await store.create(IP_RESERVATIONS + '10.43.0.6', holder('c', 'uid-c1', old));
  // Leaks: one from a server that died long ago, one from a create still in flight.
  await store.create(IP_RESERVATIONS + '10.43.9.9', holder('gone', 'uid-x', old));
  await store.create(PORT_RESERVATIONS + '30999', holder('gone', 'uid-x', old));
  await store.create(IP_RESERVATIONS + '10.43.8.8', holder('inflight', 'uid-y', young));
  // d's value was reserved a moment ago by a Service this pass has not listed: left alone.
  await store.create(
    '/registry/services/default/d',
    stored('d', 'uid-d', '2026-01-01T03:00:00Z', { type: 'ClusterIP', clusterIP: '10.43.0.7', clusterIPs: ['10.43.0.7'], ports: [{ port: 80 }] }),
  );
  await store.create(IP_RESERVATIONS + '10.43.0.7', holder('newer', 'uid-n', young));

  const report = await repairServiceAllocations(store, serviceNetwork(), now);
  assert.deepEqual(report.restored.sort(), ['10.43.0.5: default/a', '10.43.0.6: default/c', '30005: default/a']);
  assert.deepEqual(report.released.sort(), ['10.43.9.9: default/gone', '30999: default/gone']);
  assert.deepEqual(report.doubled, ['10.43.0.5: default/a, default/b']);
  const keys = async (p: string) => (await store.list(p, { keysOnly: true })).items.map((kv) => kv.key.slice(p.length)).sort();
  assert.deepEqual(await keys(IP_RESERVATIONS), ['10.43.0.5', '10.43.0.6', '10.43.0.7', '10.43.8.8']);
  assert.equal(JSON.parse((await store.get(IP_RESERVATIONS + '10.43.0.7'))!.value).uid, 'uid-n');
  assert.deepEqual(await keys(PORT_RESERVATIONS), ['30005']);
  assert.equal(JSON.parse((await store.get(IP_RESERVATIONS + '10.43.0.5'))!.value).uid, 'uid-a', 'the oldest holder keeps it');
  assert.equal(JSON.parse((await store.get(IP_RESERVATIONS + '10.43.0.6'))!.value).uid, 'uid-c2');

  // A second pass finds nothing more to do (the in-flight one is not yet old).
  const again = await repairServiceAllocations(store, serviceNetwork(), now);
  assert.deepEqual([again.restored, again.released], [[], []]);
  await store.close();
});
