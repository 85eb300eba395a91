import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KObject } from '../../api/object.js';
import { ApiError } from '../../apiserver/errors.js';
import { SqliteStore } from '../../storage/sqlite.js';
import { allocateCreate, allocateUpdate, releaseAll, serviceAllocators } from './allocation.js';
import { serviceNetwork } from './network.js';
import { IP_RESERVATIONS, PORT_RESERVATIONS } from './reservations.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-svcalloc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function fresh() {
  const store = new SqliteStore(join(dir, `s${n++}.db`));
  return { store, a: serviceAllocators(store, serviceNetwork('10.43.0.0/16', '30000-32767')) };
}

type Any = Record<string, any>;
const svc = (name: string, spec: Any): KObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: randomUUID() }, spec: { type: 'ClusterIP', ...spec } }) as KObject;
const spec = (o: KObject) => (o as Any).spec as Any;

async function keys(store: SqliteStore, prefix: string): Promise<string[]> {
  return (await store.list(prefix, { keysOnly: true })).items.map((kv) => kv.key.slice(prefix.length)).sort();
}

async function rejects(p: Promise<unknown>, code: number, message: string | RegExp) {
  await assert.rejects(p, (e) => e instanceof ApiError && e.code === code && (typeof message === 'string' ? e.message === message : message.test(e.message)));
}

test('a new Service gets a free cluster IP, reserved under its own key once its write is stored', async () => {
  const { store, a } = fresh();
  const s = svc('web', { ports: [{ port: 80, protocol: 'TCP' }] });
  const finish = await allocateCreate(s, a, false);
  const ip = spec(s).clusterIP as string;
  assert.match(ip, /^10\.43\.\d+\.\d+$/);
  assert.deepEqual(spec(s).clusterIPs, [ip]);
  await finish(true);
  assert.deepEqual(await keys(store, IP_RESERVATIONS), [ip]);
  const holder = JSON.parse((await store.get(IP_RESERVATIONS + ip))!.value);
  assert.equal(holder.uid, s.metadata.uid);
  await store.close();
});

test('a requested IP or port held by another Service, or out of range, is a 422 with upstream words', async () => {
  const { store, a } = fresh();
  await (
    await allocateCreate(
      svc('one', { clusterIP: '10.43.0.7', clusterIPs: ['10.43.0.7'], type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }),
      a,
      false,
    )
  )(true);
  await rejects(
    allocateCreate(svc('two', { clusterIP: '10.43.0.7', clusterIPs: ['10.43.0.7'], ports: [{ port: 80 }] }), a, false),
    422,
    'Service "two" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.7"}: failed to allocate IP 10.43.0.7: provided IP is already allocated',
  );
  await rejects(
    allocateCreate(svc('three', { clusterIP: '10.9.0.7', clusterIPs: ['10.9.0.7'], ports: [{ port: 80 }] }), a, false),
    422,
    'Service "three" is invalid: spec.clusterIPs: Invalid value: []string{"10.9.0.7"}: failed to allocate IP 10.9.0.7: the provided IP (10.9.0.7) is not in the valid range. The range of valid IPs is 10.43.0.0/16',
  );
  await rejects(
    allocateCreate(svc('four', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }), a, false),
    422,
    'Service "four" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
  );
  await rejects(
    allocateCreate(svc('five', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 8080 }] }), a, false),
    422,
    /spec.ports\[0\].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767$/,
  );
  // The refused ones left nothing behind: four's IP was taken before its port failed, and given back.
  assert.deepEqual(await keys(store, IP_RESERVATIONS), ['10.43.0.7']);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), ['30080']);
  await store.close();
});

test('headless and ExternalName Services take no IP; TCP and UDP of one port share one node port', async () => {
  const { store, a } = fresh();
  const headless = svc('h', { clusterIP: 'None', clusterIPs: ['None'] });
  await (
    await allocateCreate(headless, a, false)
  )(true);
  const ext = svc('e', { type: 'ExternalName', externalName: 'example.com' });
  await (
    await allocateCreate(ext, a, false)
  )(true);
  assert.equal(spec(ext).clusterIP, undefined);
  assert.deepEqual(await keys(store, IP_RESERVATIONS), []);
  const dns = svc('dns', {
    type: 'NodePort',
    ports: [
      { name: 'u', port: 53, protocol: 'UDP' },
      { name: 't', port: 53, protocol: 'TCP' },
      { name: 'w', port: 80, protocol: 'TCP' },
    ],
  });
  await (
    await allocateCreate(dns, a, false)
  )(true);
  const [u, t, w] = spec(dns).ports.map((p: Any) => p.nodePort);
  assert.equal(u, t);
  assert.notEqual(u, w);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), [String(u), String(w)].sort());
  await store.close();
});

test('a write that is not stored gives back what it took; a dry run takes nothing', async () => {
  const { store, a } = fresh();
  const s = svc('web', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] });
  await (
    await allocateCreate(s, a, false)
  )(false);
  assert.deepEqual(await keys(store, IP_RESERVATIONS), []);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), []);
  const dry = svc('dry', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] });
  await (
    await allocateCreate(dry, a, true)
  )(true);
  assert.match(spec(dry).clusterIP, /^10\.43\./);
  assert.ok(spec(dry).ports[0].nodePort >= 30000);
  assert.deepEqual(await keys(store, IP_RESERVATIONS), []);
  await store.close();
});

test('type changes: ClusterIP to NodePort keeps the IP and adds a port; back releases the port; to ExternalName releases the IP', async () => {
  const { store, a } = fresh();
  const v1 = svc('web', { ports: [{ port: 80, protocol: 'TCP' }] });
  await (
    await allocateCreate(v1, a, false)
  )(true);
  const ip = spec(v1).clusterIP;
  const v2 = structuredClone(v1);
  spec(v2).type = 'NodePort';
  await (
    await allocateUpdate(v2, v1, a, false)
  )(true);
  assert.equal(spec(v2).clusterIP, ip);
  const port = spec(v2).ports[0].nodePort;
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), [String(port)]);
  const v3 = structuredClone(v2);
  spec(v3).type = 'ClusterIP';
  delete spec(v3).ports[0].nodePort;
  const finish = await allocateUpdate(v3, v2, a, false);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), [String(port)], 'released only once the update is stored');
  await finish(true);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), []);
  const v4 = structuredClone(v3);
  spec(v4).type = 'ExternalName';
  spec(v4).externalName = 'example.com';
  delete spec(v4).clusterIP;
  delete spec(v4).clusterIPs;
  await (
    await allocateUpdate(v4, v3, a, false)
  )(true);
  assert.deepEqual(await keys(store, IP_RESERVATIONS), []);
  await store.close();
});

test('a delete releases what the Service held, but not a value another Service holds by now', async () => {
  const { store, a } = fresh();
  const s = svc('web', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30100 }] });
  await (
    await allocateCreate(s, a, false)
  )(true);
  const impostor = structuredClone(s);
  impostor.metadata.uid = randomUUID();
  await releaseAll(impostor, a);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), ['30100']);
  await releaseAll(s, a);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), []);
  assert.deepEqual(await keys(store, IP_RESERVATIONS), []);
  await store.close();
});

test('many allocators over one store racing for a small range never hand out one value twice', async () => {
  const { store } = fresh();
  // Two "servers" over one store, a /27 (29 dynamic addresses) and 40 creates at once.
  const net = serviceNetwork('10.43.0.0/27', '30000-30019');
  const servers = [serviceAllocators(store, net), serviceAllocators(store, net)];
  const results = await Promise.allSettled(
    Array.from({ length: 40 }, async (_, i) => {
      const s = svc(`s${i}`, { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] });
      await (
        await allocateCreate(s, servers[i % 2]!, false)
      )(true);
      return s;
    }),
  );
  const made = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<KObject>).value);
  const ips = made.map((s) => spec(s).clusterIP);
  const ports = made.map((s) => spec(s).ports[0].nodePort);
  assert.equal(new Set(ips).size, ips.length, 'no IP twice');
  assert.equal(new Set(ports).size, ports.length, 'no port twice');
  assert.equal(made.length, 20, 'the 20 node ports are the limit');
  for (const r of results) if (r.status === 'rejected') assert.match(String(r.reason.message), /failed to allocate a (nodePort|serviceIP): range is full/);
  assert.equal((await keys(store, PORT_RESERVATIONS)).length, 20);
  assert.equal((await keys(store, IP_RESERVATIONS)).length, 20, 'failed creates gave their IPs back');
  await store.close();
});

test('in a range with room, a create reads no list of reservations (10 000 Services stay linear)', async () => {
  const { store } = fresh();
  let lists = 0;
  const counting = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'list') lists++;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const a = serviceAllocators(counting, serviceNetwork('10.43.0.0/16', '30000-32767'));
  for (let i = 0; i < 100; i++) await (await allocateCreate(svc(`s${i}`, { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] }), a, false))(true);
  assert.equal(lists, 0);
  assert.equal((await keys(store, IP_RESERVATIONS)).length, 100);
  assert.equal((await keys(store, PORT_RESERVATIONS)).length, 100);
  await store.close();
});

test('a LoadBalancer with externalTrafficPolicy Local gets a health check node port; allocateLoadBalancerNodePorts false gets none', async () => {
  const { store, a } = fresh();
  const local = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 443, protocol: 'TCP' }] });
  await (
    await allocateCreate(local, a, false)
  )(true);
  const hc = spec(local).healthCheckNodePort;
  assert.ok(hc >= 30000 && hc <= 32767 && hc !== spec(local).ports[0].nodePort);
  const bare = svc('bare', {
    type: 'LoadBalancer',
    allocateLoadBalancerNodePorts: false,
    externalTrafficPolicy: 'Cluster',
    ports: [{ port: 443, protocol: 'TCP' }],
  });
  await (
    await allocateCreate(bare, a, false)
  )(true);
  assert.equal(spec(bare).ports[0].nodePort, undefined);
  // Back to Cluster: the health check port is released once stored.
  const cluster = structuredClone(local);
  spec(cluster).externalTrafficPolicy = 'Cluster';
  delete spec(cluster).healthCheckNodePort;
  await (
    await allocateUpdate(cluster, local, a, false)
  )(true);
  assert.deepEqual(await keys(store, PORT_RESERVATIONS), [String(spec(local).ports[0].nodePort)]);
  await store.close();
});
