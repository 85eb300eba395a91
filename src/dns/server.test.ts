import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { ClusterRecords } from './records.js';
import { DnsHandler } from './handler.js';
import { DnsServer } from './server.js';
import { Forwarder } from './forwarder.js';
import { ask, fakeUpstream, sendTcp, sendUdp, type FakeUpstream } from './testing.js';

const records = new ClusterRecords('cluster.local');
let server: DnsServer;
let upstream: FakeUpstream;
let forwarder: Forwarder;
let port: number;
let upstreamCalls = 0;

function svc(name: string, ns: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: ns }, spec };
}

before(async () => {
  upstream = await fakeUpstream((q) => {
    upstreamCalls++;
    if (q.name === 'silent.example') return 'drop';
    if (q.name === 'www.example.com' && q.type === 'A') return { answers: [{ type: 'A', name: q.name, ttl: 300, data: '192.0.2.53' }] };
    if (q.name === 'big.example')
      return { answers: Array.from({ length: 40 }, (_, i) => ({ type: 'A' as const, name: q.name, ttl: 60, data: `192.0.2.${i + 1}` })) };
    if (q.name === '9.9.9.9.in-addr.arpa') return { answers: [{ type: 'PTR', name: q.name, ttl: 60, data: 'dns.example' }] };
    return { rcode: 3, authorities: [{ type: 'SOA', name: 'example', ttl: 60, data: { mname: 'ns.example', rname: 'h.example', minimum: 60 } }] };
  });
  forwarder = new Forwarder({ upstreams: () => [{ host: '127.0.0.1', port: upstream.port }], timeoutMs: 300 });
  server = new DnsServer({ host: '127.0.0.1', port: 0, handler: new DnsHandler({ records, forwarder }) });
  await server.start();
  port = server.port;
  records.setService(
    svc('kubernetes', 'default', { clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
  );
  records.setService(svc('ext', 'default', { type: 'ExternalName', externalName: 'www.example.com' }));
  records.setService(svc('many', 'default', { clusterIP: 'None' }));
  const endpoints: EndpointSlice['endpoints'] = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.1.${i + 1}`] }));
  records.setSlice({ metadata: { name: 'many-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'many' } }, addressType: 'IPv4', endpoints });
});

after(async () => {
  await server.stop();
  forwarder.close();
  await upstream.close();
});

test('A of a ClusterIP Service: authoritative, TTL 5, the name as asked (any case)', async () => {
  const r = await ask(port, 'KUBERNETES.default.svc.cluster.local', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.flag_aa, true);
  assert.equal(r.flag_qr, true);
  assert.equal(r.id, 4242);
  assert.deepEqual(
    r.answers!.map((a) => [a.name, a.type, (a as packet.StringAnswer).ttl, a.type === 'A' && a.data]),
    [['KUBERNETES.default.svc.cluster.local', 'A', 5, '10.43.0.1']],
  );
});

test('AAAA of an IPv4 Service is NOERROR with no answer and the SOA; an unknown name is NXDOMAIN with the SOA', async () => {
  const nodata = await ask(port, 'kubernetes.default.svc.cluster.local', 'AAAA');
  assert.equal(nodata.rcode, 'NOERROR');
  assert.equal(nodata.answers!.length, 0);
  assert.deepEqual(
    nodata.authorities!.map((a) => [a.type, a.name]),
    [['SOA', 'cluster.local']],
  );
  const nx = await ask(port, 'nope.default.svc.cluster.local', 'A');
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.equal(nx.flag_aa, true);
  assert.equal(nx.authorities![0]!.type, 'SOA');
});

test('SRV of a named port, with the target address in the additional section; PTR; the dns-version TXT', async () => {
  const srv = await ask(port, '_https._tcp.kubernetes.default.svc.cluster.local', 'SRV');
  assert.deepEqual(
    srv.answers!.map((a) => a.type === 'SRV' && a.data),
    [{ priority: 0, weight: 100, port: 443, target: 'kubernetes.default.svc.cluster.local' }],
  );
  assert.deepEqual(
    srv.additionals!.map((a) => a.type === 'A' && [a.name, a.data]),
    [['kubernetes.default.svc.cluster.local', '10.43.0.1']],
  );
  const ptr = await ask(port, '1.0.43.10.in-addr.arpa', 'PTR');
  assert.deepEqual(
    ptr.answers!.map((a) => a.type === 'PTR' && a.data),
    ['kubernetes.default.svc.cluster.local'],
  );
  const txt = await ask(port, 'dns-version.cluster.local', 'TXT');
  assert.deepEqual(
    txt.answers!.map((a) => a.type === 'TXT' && (a.data as Buffer[]).map(String)),
    [['1.1.0']],
  );
});

test('ExternalName: the CNAME, then the address of the target from the upstream', async () => {
  const r = await ask(port, 'ext.default.svc.cluster.local', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(
    r.answers!.map((a) => [a.type, a.name, (a as packet.StringAnswer).data]),
    [
      ['CNAME', 'ext.default.svc.cluster.local', 'www.example.com'],
      ['A', 'www.example.com', '192.0.2.53'],
    ],
  );
});

test('an answer over 512 bytes: UDP without EDNS is truncated (TC, no answers), TCP and EDNS 4096 get all 60 addresses', async () => {
  const udp = await ask(port, 'many.default.svc.cluster.local', 'A');
  assert.equal(udp.flag_tc, true);
  assert.equal(udp.answers!.length, 0);
  assert.ok(udp.raw!.length <= 512);
  const tcp = await ask(port, 'many.default.svc.cluster.local', 'A', { tcp: true });
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers!.length, 60);
  const edns = await ask(port, 'many.default.svc.cluster.local', 'A', { edns: 4096 });
  assert.equal(edns.flag_tc, false);
  assert.equal(edns.answers!.length, 60);
  // The OPT record comes back with Berth's own UDP size.
  const opt = edns.additionals!.find((a) => a.type === 'OPT') as packet.OptAnswer;
  assert.equal(opt.udpPayloadSize, 1232);
  // EDNS with a size below 512 still gets 512.
  const small = await ask(port, 'kubernetes.default.svc.cluster.local', 'A', { edns: 100 });
  assert.equal(small.answers!.length, 1);
});

test('malformed input: garbage is FORMERR with the id kept, a runt gets nothing, two questions FORMERR, NOTIFY NOTIMP, EDNS v1 BADVERS; the server keeps answering', async () => {
  const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff]);
  const fe = await sendUdp(port, garbage);
  assert.equal(fe.id, 0x1234);
  assert.equal(fe.rcode, 'FORMERR');
  const feTcp = await sendTcp(port, garbage);
  assert.equal(feTcp.rcode, 'FORMERR');
  await assert.rejects(sendUdp(port, Buffer.from([1, 2, 3, 4, 5]), { timeoutMs: 300 }), /no UDP answer/);
  const two = packet.encode({
    type: 'query',
    id: 7,
    questions: [
      { type: 'A', name: 'a.cluster.local' },
      { type: 'A', name: 'b.cluster.local' },
    ],
  });
  assert.equal((await sendUdp(port, two)).rcode, 'FORMERR');
  const notify = packet.encode({ type: 'query', id: 8, questions: [{ type: 'SOA', name: 'cluster.local' }] });
  notify.writeUInt16BE(4 << 11, 2);
  const ni = await sendUdp(port, notify);
  assert.equal(ni.rcode, 'NOTIMP');
  assert.equal(ni.id, 8);
  const v1 = packet.encode({
    type: 'query',
    id: 9,
    questions: [{ type: 'A', name: 'kubernetes.default.svc.cluster.local' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }],
  });
  const bv = await sendUdp(port, v1);
  const opt = bv.additionals!.find((a) => a.type === 'OPT') as packet.OptAnswer;
  assert.equal(opt.extendedRcode, 1); // BADVERS = 16: upper bits 1, header bits 0
  assert.equal(bv.answers!.length, 0);
  const still = await ask(port, 'kubernetes.default.svc.cluster.local', 'A');
  assert.equal(still.answers!.length, 1);
});

test('forwarding: answers pass through and are cached with TTLs counted down, NXDOMAIN is cached from the SOA', async () => {
  const before = upstreamCalls;
  const first = await ask(port, 'www.example.com', 'A');
  assert.equal(first.flag_aa, false);
  assert.equal(first.flag_ra, true);
  assert.deepEqual(
    first.answers!.map((a) => (a as packet.StringAnswer).data),
    ['192.0.2.53'],
  );
  const second = await ask(port, 'WWW.example.com', 'A');
  assert.deepEqual(
    second.answers!.map((a) => (a as packet.StringAnswer).data),
    ['192.0.2.53'],
  );
  assert.ok((second.answers![0] as packet.StringAnswer).ttl! <= 300);
  const nx1 = await ask(port, 'missing.example', 'A');
  const nx2 = await ask(port, 'missing.example', 'A');
  assert.equal(nx1.rcode, 'NXDOMAIN');
  assert.equal(nx2.rcode, 'NXDOMAIN');
  assert.equal(nx2.flag_aa, false);
  // www.example.com was cached by the ExternalName test already; missing.example went up once.
  assert.ok(upstreamCalls - before <= 1, `upstream asked ${upstreamCalls - before} times`);
  assert.equal(upstream.seen.filter((s) => s.startsWith('missing.example')).length, 1);
});

test('forwarding: a truncated upstream answer is asked again over TCP; a reverse name of no cluster address goes upstream', async () => {
  const r = await ask(port, 'big.example', 'A', { tcp: true });
  assert.equal(r.answers!.length, 40);
  assert.deepEqual(
    upstream.seen.filter((s) => s.startsWith('big.example')),
    ['big.example A udp', 'big.example A tcp'],
  );
  const ptr = await ask(port, '9.9.9.9.in-addr.arpa', 'PTR');
  assert.deepEqual(
    ptr.answers!.map((a) => (a as packet.StringAnswer).data),
    ['dns.example'],
  );
});

test('forwarding: an upstream that never answers is SERVFAIL; the next upstream in line is asked', async () => {
  const r = await ask(port, 'silent.example', 'A');
  assert.equal(r.rcode, 'SERVFAIL');
  const dead = await fakeUpstream(() => 'drop');
  const f = new Forwarder({
    upstreams: () => [
      { host: '127.0.0.1', port: dead.port },
      { host: '127.0.0.1', port: upstream.port },
    ],
    timeoutMs: 200,
  });
  try {
    const a = await f.resolve({ name: 'www.example.com', type: 'A', class: 'IN' }, false);
    assert.deepEqual(
      a.answers.map((x) => (x as packet.StringAnswer).data),
      ['192.0.2.53'],
    );
    assert.deepEqual(dead.seen, ['www.example.com A udp']);
  } finally {
    f.close();
    await dead.close();
  }
});

test('a repeated query is answered from the encoded answer with its own id, and a zone change is seen at once', async () => {
  records.setService(svc('moving', 'default', { clusterIP: '10.43.0.77', clusterIPs: ['10.43.0.77'] }));
  const a = await ask(port, 'moving.default.svc.cluster.local', 'A', { id: 1 });
  const b = await ask(port, 'moving.default.svc.cluster.local', 'A', { id: 2 });
  assert.deepEqual([a.id, b.id], [1, 2]);
  assert.deepEqual(
    b.answers!.map((x) => (x as packet.StringAnswer).data),
    ['10.43.0.77'],
  );
  records.setService(svc('moving', 'default', { clusterIP: '10.43.0.78', clusterIPs: ['10.43.0.78'] }));
  const c = await ask(port, 'moving.default.svc.cluster.local', 'A', { id: 3 });
  assert.deepEqual(
    c.answers!.map((x) => (x as packet.StringAnswer).data),
    ['10.43.0.78'],
  );
  records.deleteService(svc('moving', 'default', {}));
  assert.equal((await ask(port, 'moving.default.svc.cluster.local', 'A', { id: 4 })).rcode, 'NXDOMAIN');
});
