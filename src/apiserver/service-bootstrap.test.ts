import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources, resourceByKey } from '../registry/index.js';
import { SqliteStore } from '../storage/sqlite.js';
import { serviceNetwork } from '../registry/services/network.js';
import { RestStorage } from './rest-storage.js';
import { bootstrapServices } from './service-bootstrap.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-svcboot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Any = Record<string, any>;

test('bootstrap: kubernetes and kube-dns are created, follow the API port, come back when deleted; a taken DNS IP is said, not fatal', async () => {
  const store = new SqliteStore(join(dir, 'b.db'));
  const network = serviceNetwork('10.96.0.0/24');
  const storage = new RestStorage(store, resources, { serviceNetwork: network, log: () => {} });
  await storage.ready();
  const services = resourceByKey('services');
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  try {
    for (const name of ['default', 'kube-system'])
      await storage.create(resourceByKey('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    // Someone holds the DNS address before kube-dns exists.
    await storage.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'squatter', namespace: 'default' },
      spec: { clusterIP: '10.96.0.10', ports: [{ port: 1 }] },
    });
    await bootstrapServices(storage, { network, clusterDNS: '10.96.0.10' }, 6443, log);
    const k8s = (await storage.get(services, 'default', 'kubernetes')) as Any;
    assert.equal(k8s.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(k8s.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    assert.ok(
      logs.some((l) => /WARNING: cannot create kube-system\/kube-dns: .*provided IP is already allocated/.test(l)),
      logs.join('\n'),
    );

    await storage.delete(services, 'default', 'squatter', {});
    await storage.delete(services, 'default', 'kubernetes', {});
    await bootstrapServices(storage, { network, clusterDNS: '10.96.0.10' }, 7443, log);
    const again = (await storage.get(services, 'default', 'kubernetes')) as Any;
    assert.equal(again.spec.clusterIP, '10.96.0.1', 'the first address, released by the delete, is its again');
    assert.equal(again.spec.ports[0].targetPort, 7443);
    const dns = (await storage.get(services, 'kube-system', 'kube-dns')) as Any;
    assert.equal(dns.spec.clusterIP, '10.96.0.10');
    // A restart on another port: the existing Service follows it, keeping its IP.
    await bootstrapServices(storage, { network, clusterDNS: '10.96.0.10' }, 8443, log);
    const moved = (await storage.get(services, 'default', 'kubernetes')) as Any;
    assert.equal(moved.spec.ports[0].targetPort, 8443);
    assert.equal(moved.metadata.uid, again.metadata.uid);
  } finally {
    for (const c of storage.caches.values()) c.stop();
    await store.close();
  }
});
