import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { ClusterRecords, serviceRecords } from './records.js';
import { dashedAddress, expandIPv6, reverseName } from './names.js';

function svc(name: string, ns: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: ns }, spec };
}

function slice(
  name: string,
  ns: string,
  service: string,
  endpoints: NonNullable<EndpointSlice['endpoints']>,
  ports: EndpointSlice['ports'] = [],
): EndpointSlice {
  return { metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', endpoints, ports };
}

test('reverse names: in-addr.arpa for IPv4, 32 nibbles under ip6.arpa for IPv6', () => {
  assert.equal(reverseName('10.3.0.1'), '1.0.3.10.in-addr.arpa');
  assert.equal(reverseName('2001:db8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(expandIPv6('::ffff:10.0.0.1'), '0000:0000:0000:0000:0000:ffff:0a00:0001');
  assert.equal(dashedAddress('10.42.0.5'), '10-42-0-5');
});

test('a ClusterIP Service: A, PTR, SRV for named ports only, and the empty names above the SRV name', () => {
  const r = new ClusterRecords('cluster.local');
  r.setService(
    svc('kubernetes', 'default', { clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }, { port: 8080 }] }),
  );
  assert.deepEqual(r.lookup('kubernetes.default.svc.cluster.local'), { kind: 'found', records: { a: ['10.43.0.1'], aaaa: [] } });
  assert.deepEqual(r.lookup('1.0.43.10.in-addr.arpa'), { kind: 'found', records: { ptr: ['kubernetes.default.svc.cluster.local'] } });
  assert.deepEqual(r.lookup('_https._tcp.kubernetes.default.svc.cluster.local'), {
    kind: 'found',
    records: { srv: [{ priority: 0, weight: 100, port: 443, target: 'kubernetes.default.svc.cluster.local' }] },
  });
  // The _tcp label exists (no data); an unnamed port gets no SRV name; another protocol none either.
  assert.deepEqual(r.lookup('_tcp.kubernetes.default.svc.cluster.local'), { kind: 'found', records: {} });
  assert.deepEqual(r.lookup('_http._tcp.kubernetes.default.svc.cluster.local'), { kind: 'nxdomain' });
  assert.deepEqual(r.lookup('_https._udp.kubernetes.default.svc.cluster.local'), { kind: 'nxdomain' });
  // The namespace, svc, pod, the zone itself: they exist; a name in no namespace with services does not.
  for (const n of ['default.svc.cluster.local', 'svc.cluster.local', 'pod.cluster.local', 'cluster.local']) assert.equal(r.lookup(n).kind, 'found', n);
  assert.deepEqual(r.lookup('nothere.default.svc.cluster.local'), { kind: 'nxdomain' });
  assert.deepEqual(r.lookup('other.svc.cluster.local'), { kind: 'nxdomain' });
  // Outside the zone, and reverse names of no cluster address, are forwarded.
  assert.deepEqual(r.lookup('example.com'), { kind: 'forward' });
  assert.deepEqual(r.lookup('9.9.9.9.in-addr.arpa'), { kind: 'forward' });
  assert.deepEqual(r.lookup('dns-version.cluster.local'), { kind: 'found', records: { txt: ['1.1.0'] } });
});

test('a headless Service: ready endpoints only, hostnames (or the dashed address), SRV per endpoint and port, PTR to the hostname', () => {
  const r = new ClusterRecords('cluster.local');
  r.setService(svc('db', 'shop', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  // No endpoints yet: the name does not exist (specification 2.4.1).
  assert.deepEqual(r.lookup('db.shop.svc.cluster.local'), { kind: 'nxdomain' });
  r.setSlice(
    slice(
      'db-abc',
      'shop',
      'db',
      [
        { addresses: ['10.42.0.10'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.42.0.11'], conditions: {} },
        { addresses: ['10.42.0.12'], hostname: 'db-2', conditions: { ready: false } },
      ],
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ),
  );
  assert.deepEqual(r.lookup('db.shop.svc.cluster.local'), { kind: 'found', records: { a: ['10.42.0.10', '10.42.0.11'] } });
  assert.deepEqual(r.lookup('db-0.db.shop.svc.cluster.local'), { kind: 'found', records: { a: ['10.42.0.10'] } });
  assert.deepEqual(r.lookup('10-42-0-11.db.shop.svc.cluster.local'), { kind: 'found', records: { a: ['10.42.0.11'] } });
  assert.deepEqual(r.lookup('db-2.db.shop.svc.cluster.local'), { kind: 'nxdomain' });
  assert.deepEqual(r.lookup('10.0.42.10.in-addr.arpa'), { kind: 'found', records: { ptr: ['db-0.db.shop.svc.cluster.local'] } });
  const srv = r.lookup('_pg._tcp.db.shop.svc.cluster.local');
  assert.equal(srv.kind, 'found');
  assert.deepEqual(srv.kind === 'found' && srv.records.srv!.map((s) => `${s.port} ${s.target} ${s.weight}`), [
    '5432 db-0.db.shop.svc.cluster.local 50',
    '5432 10-42-0-11.db.shop.svc.cluster.local 50',
  ]);
  // publishNotReadyAddresses makes the unready endpoint count.
  r.setService(svc('db', 'shop', { clusterIP: 'None', publishNotReadyAddresses: true }));
  assert.deepEqual(r.lookup('db-2.db.shop.svc.cluster.local'), { kind: 'found', records: { a: ['10.42.0.12'] } });
  // The slice gone: back to NXDOMAIN, and its PTR names are gone (forwarded again).
  r.deleteSlice(slice('db-abc', 'shop', 'db', []));
  assert.deepEqual(r.lookup('db.shop.svc.cluster.local'), { kind: 'nxdomain' });
  assert.deepEqual(r.lookup('10.0.42.10.in-addr.arpa'), { kind: 'forward' });
});

test('ExternalName is a CNAME; a deleted Service leaves no name behind, its namespace goes with its last Service', () => {
  const r = new ClusterRecords('cluster.local');
  r.setService(svc('ext', 'app', { type: 'ExternalName', externalName: 'WWW.Example.com.' }));
  assert.deepEqual(r.lookup('ext.app.svc.cluster.local'), { kind: 'found', records: { cname: 'www.example.com' } });
  assert.equal(r.lookup('app.svc.cluster.local').kind, 'found');
  r.deleteService(svc('ext', 'app', {}));
  assert.deepEqual(r.lookup('ext.app.svc.cluster.local'), { kind: 'nxdomain' });
  assert.deepEqual(r.lookup('app.svc.cluster.local'), { kind: 'nxdomain' });
  assert.equal(r.size, 0);
});

test('pod names a-b-c-d.<ns>.pod.<zone> answer the address they spell; other pod-zone names do not exist', () => {
  const r = new ClusterRecords('cluster.local');
  assert.deepEqual(r.lookup('10-42-0-7.default.pod.cluster.local'), { kind: 'found', records: { a: ['10.42.0.7'] } });
  assert.deepEqual(r.lookup('10-42-0-999.default.pod.cluster.local'), { kind: 'nxdomain' });
  assert.deepEqual(r.lookup('x.y.default.pod.cluster.local'), { kind: 'nxdomain' });
});

test('a slice moving to another Service, and two Services sharing a namespace and a pod address', () => {
  const r = new ClusterRecords('k.test');
  r.setService(svc('a', 'ns', { clusterIP: 'None' }));
  r.setService(svc('b', 'ns', { clusterIP: 'None' }));
  r.setSlice(slice('s1', 'ns', 'a', [{ addresses: ['10.0.0.1'], hostname: 'h' }]));
  r.setSlice(slice('s2', 'ns', 'b', [{ addresses: ['10.0.0.1'], hostname: 'h' }]));
  const ptr = r.lookup('1.0.0.10.in-addr.arpa');
  assert.deepEqual(ptr.kind === 'found' && [...ptr.records.ptr!].sort(), ['h.a.ns.svc.k.test', 'h.b.ns.svc.k.test']);
  r.setSlice(slice('s1', 'ns', 'b', [{ addresses: ['10.0.0.2'] }]));
  assert.deepEqual(r.lookup('a.ns.svc.k.test'), { kind: 'nxdomain' });
  const b = r.lookup('b.ns.svc.k.test');
  assert.deepEqual(b.kind === 'found' && [...b.records.a!].sort(), ['10.0.0.1', '10.0.0.2']);
  r.deleteService(svc('a', 'ns', {}));
  assert.equal(r.lookup('ns.svc.k.test').kind, 'found');
});

test('a Service whose address is not allocated has no records yet; dual-stack gets A and AAAA', () => {
  const recs = serviceRecords(svc('x', 'd', { clusterIP: '' }), [], 'cluster.local');
  assert.deepEqual([...recs.keys()], ['d.svc.cluster.local']);
  const dual = serviceRecords(svc('y', 'd', { clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5', 'fd00::5'] }), [], 'cluster.local');
  assert.deepEqual(dual.get('y.d.svc.cluster.local'), { a: ['10.43.0.5'], aaaa: ['fd00::5'] });
  assert.ok(dual.has(reverseName('fd00::5')));
});
