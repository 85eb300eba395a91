import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Endpoints } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { microTime } from '../client/index.js';
import { FakeApi } from './fake-api.js';
import { ApiServerEndpointsReconciler, apiServerSlice, apiServerSubsets, leaseNameFor } from './apiserver-endpoints.js';

const endpoints = (api: FakeApi) => api.objects<Endpoints>('/endpoints', 'default').find((e) => e.metadata?.name === 'kubernetes');
const slice = (api: FakeApi) => api.objects<EndpointSlice>('discovery.k8s.io/endpointslices', 'default').find((e) => e.metadata?.name === 'kubernetes');
const leases = (api: FakeApi) =>
  api
    .objects<Lease>('coordination.k8s.io/leases', 'kube-system')
    .map((l) => l.metadata!.name)
    .sort();

test('each server keeps itself in default/kubernetes with a lease; one stopping leaves', async () => {
  const api = new FakeApi();
  const a = new ApiServerEndpointsReconciler({ client: api.client, address: '192.168.1.20', port: 6443, log: () => {} });
  const b = new ApiServerEndpointsReconciler({ client: api.client, address: '192.168.1.3', port: 6443, log: () => {} });
  await a.reconcile();
  await b.reconcile();
  assert.deepEqual(endpoints(api)!.subsets, [
    { addresses: [{ ip: '192.168.1.3' }, { ip: '192.168.1.20' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
  ]);
  assert.equal(endpoints(api)!.metadata!.labels!['endpointslice.kubernetes.io/skip-mirror'], 'true');
  const s = slice(api)!;
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.metadata!.labels, { 'kubernetes.io/service-name': 'kubernetes' });
  assert.deepEqual(s.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  assert.deepEqual(
    s.endpoints.map((e) => [e.addresses[0], e.conditions?.ready]),
    [
      ['192.168.1.3', true],
      ['192.168.1.20', true],
    ],
  );
  const lease = api.objects<Lease>('coordination.k8s.io/leases', 'kube-system').find((l) => l.metadata!.name === leaseNameFor('192.168.1.20', 6443))!;
  assert.equal(lease.metadata!.labels!['apiserver.kubernetes.io/identity'], 'kube-apiserver');
  assert.equal(lease.spec!.leaseDurationSeconds, 15);

  // Nothing changed: nothing written but the leases.
  const before = api.calls.filter((c) => c.resource !== 'coordination.k8s.io/leases').length;
  await a.reconcile();
  assert.equal(api.calls.filter((c) => c.resource !== 'coordination.k8s.io/leases').length, before);

  await b.stop();
  assert.deepEqual(endpoints(api)!.subsets![0]!.addresses, [{ ip: '192.168.1.20' }]);
  assert.deepEqual(
    slice(api)!.endpoints.map((e) => e.addresses[0]),
    ['192.168.1.20'],
  );
  assert.deepEqual(leases(api), [leaseNameFor('192.168.1.20', 6443)]);
});

test('a server that stopped renewing is dropped and its lease deleted once it expired', async () => {
  const api = new FakeApi();
  let now = new Date('2026-01-01T00:00:00Z');
  const dead = new ApiServerEndpointsReconciler({ client: api.client, address: '10.0.0.9', port: 6443, now: () => now, log: () => {} });
  await dead.reconcile();
  now = new Date(now.getTime() + 10_000);
  const live = new ApiServerEndpointsReconciler({ client: api.client, address: '10.0.0.1', port: 6443, now: () => now, log: () => {} });
  await live.reconcile();
  assert.equal(endpoints(api)!.subsets![0]!.addresses!.length, 2, 'within its 15 s the dead one still counts');
  now = new Date(now.getTime() + 6_000);
  await live.reconcile();
  assert.deepEqual(endpoints(api)!.subsets![0]!.addresses, [{ ip: '10.0.0.1' }]);
  assert.deepEqual(leases(api), [leaseNameFor('10.0.0.1', 6443)]);
  // Its lease renewal counts from the renewTime written.
  const renewed = api.objects<Lease>('coordination.k8s.io/leases', 'kube-system')[0]!.spec!.renewTime;
  assert.equal(renewed, microTime(now));
});

test('servers on different ports: Endpoints has a subset per port, the slice the most common port', () => {
  const live = [
    { ip: '10.0.0.1', port: 6443 },
    { ip: '10.0.0.2', port: 6443 },
    { ip: '10.0.0.3', port: 7443 },
  ];
  assert.deepEqual(
    apiServerSubsets(live)!.map((s) => [s.ports![0]!.port, s.addresses!.map((a) => a.ip)]),
    [
      [6443, ['10.0.0.1', '10.0.0.2']],
      [7443, ['10.0.0.3']],
    ],
  );
  const s = apiServerSlice(live);
  assert.deepEqual(s.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  assert.deepEqual(
    s.endpoints.map((e) => e.addresses[0]),
    ['10.0.0.1', '10.0.0.2'],
  );
});

test('lease names differ per address and port and are valid names', () => {
  assert.notEqual(leaseNameFor('10.0.0.1', 6443), leaseNameFor('10.0.0.1', 6444));
  assert.match(leaseNameFor('10.0.0.1', 6443), /^apiserver-[0-9a-f]{16}$/);
});
