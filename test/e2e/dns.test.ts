// Cluster DNS against a real API server: Berth's DNS server (src/dns, as a node agent runs it)
// fed by informers on the server's Services and EndpointSlices, asked over loopback by
// dns-packet queries and by busybox's nslookup (its own resolver code); names outside the
// cluster go to a resolver the test runs on 127.0.0.x, named in a resolv.conf of the test's.
// The server listens on an address of a bridge the test creates (an EndpointSlice may not
// hold a loopback address), as an agent listens on its pod bridge's gateway.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as packet from 'dns-packet';
import { RestClient } from '../../src/client/index.js';
import { ClusterDns } from '../../src/dns/index.js';
import { ask, fakeUpstream, type FakeUpstream } from '../../src/dns/testing.js';
import { BERTH, eventually, kubectlOk, skipIfMissing, kubectlPath, requireCommand, requireFile, startServer, type RunningServer } from './harness.js';

let s: RunningServer;
let client: RestClient;
let dns: ClusterDns;
let upstream: FakeUpstream;
let dir: string;
let port: number;
const NODE = 'dns-e2e-node';
// The "host's resolver": a loopback address of its own, so no other test's resolver answers.
const UPSTREAM_HOST = `127.0.${randomInt(1, 250)}.${randomInt(2, 250)}`;
const BRIDGE = `bd${randomInt(0x1000000).toString(16).padStart(6, '0')}`;
const DNS_HOST = `10.254.${randomInt(1, 250)}.${randomInt(2, 250)}`;
const root = process.getuid?.() === 0;
const skip = skipIfMissing(root ? undefined : 'the DNS e2e test needs root (a bridge of its own for the server address)', 'cluster DNS e2e');

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
// The DNS server runs in this process: busybox must be waited for without blocking it.
const nslookup = async (name: string) =>
  (await promisify(execFile)('busybox', ['nslookup', name, `${DNS_HOST}:${port}`], { encoding: 'utf8', timeout: 10_000 })).stdout;
const q = (name: string, type: packet.RecordType) => ask(port, name, type, { host: DNS_HOST });
const it = (name: string, fn: () => Promise<void> | void) => test(name, { skip: skip || false }, fn);
const data = (a: packet.Answer) => (a as packet.StringAnswer).data;

before(async () => {
  if (skip) return;
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${DNS_HOST}/32`, 'dev', BRIDGE]);
  execFileSync('ip', ['link', 'set', BRIDGE, 'up']);
  s = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'berth-dns-e2e-'));
  upstream = await fakeUpstream((q) => {
    if (q.name === 'www.example.test' && q.type === 'A') return { answers: [{ type: 'A', name: q.name, ttl: 120, data: '192.0.2.80' }] };
    if (q.name === 'www.example.test')
      return { authorities: [{ type: 'SOA', name: 'example.test', ttl: 60, data: { mname: 'ns.example.test', rname: 'h.example.test', minimum: 60 } }] };
    return {
      rcode: 3,
      authorities: [{ type: 'SOA', name: 'example.test', ttl: 60, data: { mname: 'ns.example.test', rname: 'h.example.test', minimum: 60 } }],
    };
  }, UPSTREAM_HOST);
  writeFileSync(join(dir, 'resolv.conf'), `# the test's node\nnameserver ${UPSTREAM_HOST}\nsearch example.test\n`);
  client = new RestClient({ server: s.url, ca: s.caCert, token: s.token });
  dns = new ClusterDns({
    client,
    nodeName: NODE,
    host: () => DNS_HOST,
    port: 0,
    resolvConf: join(dir, 'resolv.conf'),
    upstreamPort: upstream.port,
    log: () => undefined,
  });
  dns.start();
  await dns.ready;
  port = dns.address!.port;
  ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'www.example.test' } },
        dbSlice(false),
      ],
    }),
  );
});

function dbSlice(secondReady: boolean) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'db-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db', 'endpointslice.kubernetes.io/managed-by': 'e2e' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.42.7.10'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.42.7.11'], hostname: 'db-1', conditions: { ready: secondReady } },
    ],
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  };
}

after(async () => {
  await dns?.stop();
  client?.close();
  await upstream?.close();
  await s?.stop();
  s?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!skip) execFileSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
});

it('the node publishes kube-system/kube-dns-<node>: its address and the port it really listens on, for UDP and TCP', () => {
  const slice = JSON.parse(ok(['get', 'endpointslice', `kube-dns-${NODE}`, '-n', 'kube-system', '-o', 'json']));
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
  assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'agent.berth.dev');
  assert.deepEqual(
    slice.endpoints.map((e: { addresses: string[]; nodeName: string }) => [e.addresses, e.nodeName]),
    [[[DNS_HOST], NODE]],
  );
  assert.deepEqual(
    slice.ports.map((p: { name: string; protocol: string; port: number }) => `${p.name}/${p.protocol}/${p.port}`),
    [`dns/UDP/${port}`, `dns-tcp/TCP/${port}`],
  );
});

it('a ClusterIP Service: A (dns-packet and busybox nslookup), SRV of its named port, PTR of its address', async () => {
  const ip = JSON.parse(ok(['get', 'svc', 'web', '-n', 'shop', '-o', 'json'])).spec.clusterIP as string;
  const a = await eventually(async () => {
    const r = await q('web.shop.svc.cluster.local', 'A');
    return r.answers?.length ? r : undefined;
  }, 'web.shop resolves');
  assert.deepEqual(a!.answers!.map(data), [ip]);
  assert.equal(a!.answers![0]!.type === 'A' && a!.answers![0]!.ttl, 5);
  const srv = await q('_http._tcp.web.shop.svc.cluster.local', 'SRV');
  assert.deepEqual(
    srv.answers!.map((x) => x.type === 'SRV' && `${x.data.port} ${x.data.target}`),
    ['80 web.shop.svc.cluster.local'],
  );
  const ptr = await q(`${ip.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
  assert.deepEqual(ptr.answers!.map(data), ['web.shop.svc.cluster.local']);
  // kube-dns itself, created by the server at start.
  assert.deepEqual((await q('kube-dns.kube-system.svc.cluster.local', 'A')).answers!.map(data), ['10.43.0.10']);
  if (!requireCommand('busybox')) return;
  const out = await nslookup('web.shop.svc.cluster.local');
  assert.match(out, new RegExp(`Name:\\s+web\\.shop\\.svc\\.cluster\\.local\\s+Address:\\s+${ip.replace(/\./g, '\\.')}`));
});

it('a headless Service: ready endpoints only, hostnames, and a change to its EndpointSlice shows within the TTL', async () => {
  const a = await q('db.shop.svc.cluster.local', 'A');
  assert.deepEqual(a.answers!.map(data), ['10.42.7.10']);
  assert.deepEqual((await q('db-0.db.shop.svc.cluster.local', 'A')).answers!.map(data), ['10.42.7.10']);
  assert.equal((await q('db-1.db.shop.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  const srv = await q('_pg._tcp.db.shop.svc.cluster.local', 'SRV');
  assert.deepEqual(
    srv.answers!.map((x) => x.type === 'SRV' && `${x.data.port} ${x.data.target}`),
    ['5432 db-0.db.shop.svc.cluster.local'],
  );
  ok(['apply', '-f', '-'], JSON.stringify(dbSlice(true)));
  const both = await eventually(
    async () => {
      const r = await q('db.shop.svc.cluster.local', 'A');
      return r.answers?.length === 2 ? r : undefined;
    },
    'db-1 ready in DNS',
    5000,
  );
  assert.deepEqual(both!.answers!.map(data).sort(), ['10.42.7.10', '10.42.7.11']);
  assert.deepEqual((await q('11.7.42.10.in-addr.arpa', 'PTR')).answers!.map(data), ['db-1.db.shop.svc.cluster.local']);
});

it('NXDOMAIN versus no data; the dns-version record', async () => {
  const nodata = await q('web.shop.svc.cluster.local', 'AAAA');
  assert.equal(nodata.rcode, 'NOERROR');
  assert.equal(nodata.answers!.length, 0);
  assert.equal((await q('nothing.shop.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  assert.equal((await q('shop.svc.cluster.local', 'A')).rcode, 'NOERROR');
  const txt = await q('dns-version.cluster.local', 'TXT');
  assert.deepEqual(
    txt.answers!.map((x) => x.type === 'TXT' && String((x.data as Buffer[])[0])),
    ['1.1.0'],
  );
});

it('names outside the cluster, and an ExternalName target, are answered by the resolver of the node resolv.conf', async () => {
  const ext = await q('ext.shop.svc.cluster.local', 'A');
  assert.deepEqual(
    ext.answers!.map((x) => `${x.type} ${data(x)}`),
    ['CNAME www.example.test', 'A 192.0.2.80'],
  );
  const www = await q('www.example.test', 'A');
  assert.deepEqual(www.answers!.map(data), ['192.0.2.80']);
  assert.equal((await q('nope.example.test', 'A')).rcode, 'NXDOMAIN');
  // Asked once each, whatever the number of queries: the cache answers the rest.
  await q('www.example.test', 'A');
  assert.equal(upstream.seen.filter((q) => q === 'www.example.test A udp').length, 1);
  if (!requireCommand('busybox')) return;
  const out = await nslookup('www.example.test');
  assert.match(out, /Address:\s+192\.0\.2\.80/);
});

it('a deleted Service is gone from DNS within moments', async () => {
  ok(['delete', 'svc', 'web', '-n', 'shop']);
  await eventually(async () => (await q('web.shop.svc.cluster.local', 'A')).rcode === 'NXDOMAIN' || undefined, 'web.shop NXDOMAIN', 5000);
});

test('berth agent refuses a bad --cluster-dns or --cluster-domain with one line and exit 1, before connecting anywhere', () => {
  const cases: Array<[string[], string]> = [
    [['--cluster-dns', '300.1.1.1'], 'berth: error: --cluster-dns: "300.1.1.1" is not an IP address'],
    [['--cluster-dns', '10.43.0.10,1.1.1.1,8.8.8.8,9.9.9.9'], 'berth: error: --cluster-dns: at most 3 nameservers, not 4'],
    [
      ['--cluster-domain', 'Cluster..local'],
      `berth: error: --cluster-domain: "Cluster..local" is not a DNS name (lower-case labels of letters, digits and '-', separated by dots)`,
    ],
  ];
  for (const [args, line] of cases) {
    const r = spawnSync(process.execPath, [BERTH, 'agent', ...args, '--server', 'https://127.0.0.1:1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stderr.trim(), line);
  }
});
