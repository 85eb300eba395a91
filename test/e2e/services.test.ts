// Services against the real kubectl 1.32 and real processes: the bootstrap Services, cluster IP
// and node port allocation (taken, out of range, released on type change and delete), what
// `kubectl get/describe/expose/create service/patch/edit` print, allocations surviving a
// restart, and two API servers over one etcd allocating concurrently without duplicates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, kubectl, kubectlOk, kubectlPath, requireCommand, requireFile, startServer, type RunningServer } from './harness.js';
import { startEtcd, type RunningEtcd } from './etcd-harness.js';

/** A table printed by kubectl, as rows of cells (the AGE column dropped: it moves). */
function table(out: string): string[][] {
  const lines = out.trimEnd().split('\n');
  const header = lines[0]!;
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index!);
  const names = [...header.matchAll(/\S+/g)].map((m) => m[0]);
  const age = names.indexOf('AGE');
  return lines.map((l) => {
    const cells = starts.map((s, i) => l.slice(s, starts[i + 1] ?? undefined).trim());
    if (age >= 0) cells.splice(age, 1);
    return cells;
  });
}

const rowOf = (rows: string[][], name: string, col = 0) => rows.find((r) => r[col] === name);

let s: RunningServer;
const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
const k = (args: string[], input?: string) => kubectl(s, args, { input });

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

test('the server starts with default/kubernetes (10.43.0.1:443 to its own port) and kube-system/kube-dns (10.43.0.10)', () => {
  const rows = table(ok(['get', 'svc', '-A', '-o', 'wide']));
  assert.deepEqual(rows[0], ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'SELECTOR']);
  assert.deepEqual(rowOf(rows, 'kubernetes', 1), ['default', 'kubernetes', 'ClusterIP', '10.43.0.1', '<none>', '443/TCP', '<none>']);
  assert.deepEqual(rowOf(rows, 'kube-dns', 1), ['kube-system', 'kube-dns', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP', '<none>']);
  const k8s = JSON.parse(ok(['get', 'svc', 'kubernetes', '-o', 'json']));
  assert.deepEqual(k8s.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: Number(new URL(s.url).port) }]);
  assert.deepEqual(k8s.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
  const dns = JSON.parse(ok(['get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'json']));
  assert.equal(dns.spec.internalTrafficPolicy, 'Local');
  assert.deepEqual(dns.metadata.labels, { 'k8s-app': 'kube-dns' });
  assert.deepEqual(
    dns.spec.ports.map((p: { name: string; protocol: string }) => `${p.name}/${p.protocol}`),
    ['dns/UDP', 'dns-tcp/TCP'],
  );
});

test('kubectl expose and create service: defaults, allocations and the table as upstream prints it', () => {
  ok(['create', 'namespace', 'svc']);
  ok(['create', 'deployment', 'web', '-n', 'svc', '--image=busybox', '--port=8080']);
  assert.equal(ok(['expose', 'deploy/web', '-n', 'svc', '--port', '80', '--target-port', '8080', '--type', 'NodePort']).trim(), 'service/web exposed');
  ok(['create', 'service', 'clusterip', 'fixed', '-n', 'svc', '--tcp=80:8080', '--clusterip=10.43.0.50']);
  ok(['create', 'service', 'clusterip', 'headless', '-n', 'svc', '--clusterip=None']);
  ok(['create', 'service', 'nodeport', 'np', '-n', 'svc', '--tcp=80:8080', '--node-port=30080']);
  ok(['create', 'service', 'loadbalancer', 'lb', '-n', 'svc', '--tcp=443:8443']);
  ok(['create', 'service', 'externalname', 'ext', '-n', 'svc', '--external-name=example.com']);
  const rows = table(ok(['get', 'svc', '-n', 'svc', '-o', 'wide']));
  assert.deepEqual(rows[0], ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'SELECTOR']);
  const web = rowOf(rows, 'web')!;
  assert.match(web[2]!, /^10\.43\.\d+\.\d+$/);
  assert.match(web[4]!, /^80:3\d{4}\/TCP$/);
  assert.deepEqual([web[1], web[3], web[5]], ['NodePort', '<none>', 'app=web']);
  assert.deepEqual(rowOf(rows, 'fixed'), ['fixed', 'ClusterIP', '10.43.0.50', '<none>', '80/TCP', 'app=fixed']);
  assert.deepEqual(rowOf(rows, 'headless'), ['headless', 'ClusterIP', 'None', '<none>', '<none>', 'app=headless']);
  assert.deepEqual(rowOf(rows, 'np')!.slice(3), ['<none>', '80:30080/TCP', 'app=np']);
  const lb = rowOf(rows, 'lb')!;
  assert.deepEqual([lb[1], lb[3]], ['LoadBalancer', '<pending>']);
  assert.match(lb[4]!, /^443:3\d{4}\/TCP$/);
  assert.deepEqual(rowOf(rows, 'ext'), ['ext', 'ExternalName', '<none>', 'example.com', '<none>', 'app=ext']);
  // Every cluster IP and node port is different.
  const ips = rows
    .slice(1)
    .map((r) => r[2])
    .filter((ip) => /^10\./.test(ip!));
  assert.equal(new Set(ips).size, ips.length);

  const webObj = JSON.parse(ok(['get', 'svc', 'web', '-n', 'svc', '-o', 'json']));
  assert.deepEqual(
    { ...webObj.spec, clusterIP: 'x', clusterIPs: ['x'], ports: webObj.spec.ports.map((p: Record<string, unknown>) => ({ ...p, nodePort: 1 })) },
    {
      clusterIP: 'x',
      clusterIPs: ['x'],
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 1 }],
      selector: { app: 'web' },
      sessionAffinity: 'None',
      type: 'NodePort',
    },
  );
  assert.deepEqual(webObj.status, { loadBalancer: {} });
  // Field selectors upstream serves for Services.
  assert.deepEqual(ok(['get', 'svc', '-n', 'svc', '--field-selector', 'spec.clusterIP=None', '-o', 'name']).trim(), 'service/headless');
  assert.deepEqual(ok(['get', 'svc', '-n', 'svc', '--field-selector', 'spec.type=NodePort', '-o', 'name']).trim().split('\n').sort(), [
    'service/np',
    'service/web',
  ]);
});

test('a taken or out-of-range IP or port is refused with upstream words; a cluster IP never changes', () => {
  const taken = k(['create', 'service', 'clusterip', 'again', '-n', 'svc', '--tcp=80:8080', '--clusterip=10.43.0.50']);
  assert.notEqual(taken.code, 0);
  assert.match(
    taken.stderr,
    /Service "again" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"10\.43\.0\.50"\}: failed to allocate IP 10\.43\.0\.50: provided IP is already allocated/,
  );
  const outside = k(['create', 'service', 'clusterip', 'outside', '-n', 'svc', '--tcp=80:8080', '--clusterip=10.99.0.5']);
  assert.match(outside.stderr, /the provided IP \(10\.99\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
  const port = k(['create', 'service', 'nodeport', 'np2', '-n', 'svc', '--tcp=80:8080', '--node-port=30080']);
  assert.match(port.stderr, /Service "np2" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
  const low = k(['create', 'service', 'nodeport', 'np3', '-n', 'svc', '--tcp=80:8080', '--node-port=8080']);
  assert.match(low.stderr, /provided port is not in the valid range\. The range of valid ports is 30000-32767/);
  const change = k(['patch', 'svc', 'fixed', '-n', 'svc', '-p', '{"spec":{"clusterIP":"10.43.0.51","clusterIPs":["10.43.0.51"]}}']);
  assert.match(change.stderr, /The Service "fixed" is invalid: spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.43\.0\.51"\}: may not change once set/);
  const bad = k(
    ['create', '-f', '-', '-n', 'svc'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'two-ports' }, spec: { ports: [{ port: 80 }, { port: 80 }] } }),
  );
  assert.match(bad.stderr, /spec\.ports\[1\]\.name: Required value/);
  assert.match(bad.stderr, /spec\.ports\[1\]: Duplicate value: core\.ServicePort\{Name:"", Protocol:"TCP"/);
});

test('patch and edit: ports merge by port, NodePort -> ClusterIP gives its port back, ClusterIP -> NodePort keeps the IP', () => {
  // Strategic merge: the entry for port 80 is changed in place, nothing else is lost.
  ok(['patch', 'svc', 'np', '-n', 'svc', '-p', '{"spec":{"ports":[{"port":80,"nodePort":30081}]}}']);
  let np = JSON.parse(ok(['get', 'svc', 'np', '-n', 'svc', '-o', 'json']));
  assert.deepEqual(np.spec.ports, [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30081 }]);
  // 30080 is free again: another Service takes it.
  ok(['create', 'service', 'nodeport', 'np-old-port', '-n', 'svc', '--tcp=80:8080', '--node-port=30080']);
  const ip = np.spec.clusterIP;
  ok(['patch', 'svc', 'np', '-n', 'svc', '-p', '{"spec":{"type":"ClusterIP"}}']);
  np = JSON.parse(ok(['get', 'svc', 'np', '-n', 'svc', '-o', 'json']));
  assert.equal(np.spec.ports[0].nodePort, undefined);
  assert.equal(np.spec.externalTrafficPolicy, undefined);
  assert.equal(np.spec.clusterIP, ip);
  ok(['create', 'service', 'nodeport', 'np-reuse', '-n', 'svc', '--tcp=80:8080', '--node-port=30081']);
  // kubectl edit with an editor that turns on session affinity.
  const dir = mkdtempSync(join(tmpdir(), 'berth-edit-'));
  const editor = join(dir, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/sessionAffinity: None/sessionAffinity: ClientIP/; s/type: ClusterIP/type: NodePort/" "$1"\n');
  chmodSync(editor, 0o755);
  process.env.KUBE_EDITOR = editor;
  try {
    assert.equal(ok(['edit', 'svc', 'np', '-n', 'svc']).trim(), 'service/np edited');
  } finally {
    delete process.env.KUBE_EDITOR;
    rmSync(dir, { recursive: true, force: true });
  }
  np = JSON.parse(ok(['get', 'svc', 'np', '-n', 'svc', '-o', 'json']));
  assert.equal(np.spec.clusterIP, ip, 'ClusterIP -> NodePort keeps the IP');
  assert.equal(np.spec.sessionAffinity, 'ClientIP');
  assert.equal(np.spec.sessionAffinityConfig.clientIP.timeoutSeconds, 10800);
  assert.ok(np.spec.ports[0].nodePort >= 30000 && ![30080, 30081].includes(np.spec.ports[0].nodePort));
  // ExternalName drops the cluster IP, which another Service may then ask for.
  ok(['patch', 'svc', 'np', '-n', 'svc', '-p', '{"spec":{"type":"ExternalName","externalName":"example.org"}}']);
  np = JSON.parse(ok(['get', 'svc', 'np', '-n', 'svc', '-o', 'json']));
  assert.equal(np.spec.clusterIP, undefined);
  assert.equal(np.spec.ports[0].nodePort, undefined);
  ok(['create', 'service', 'clusterip', 'np-ip', '-n', 'svc', '--tcp=80:8080', `--clusterip=${ip}`]);
  // A delete gives everything back.
  ok(['delete', 'svc', 'fixed', '-n', 'svc']);
  ok(['create', 'service', 'clusterip', 'fixed2', '-n', 'svc', '--tcp=80:8080', '--clusterip=10.43.0.50']);
});

test('endpoints and endpointslices: kubectl get and describe svc print them as upstream', () => {
  // Endpoints written by hand are for a Service without a selector: the controllers (as
  // upstream's) keep those of a selector Service to the pods it selects.
  ok(['patch', 'svc', 'web', '-n', 'svc', '--type=json', '-p', '[{"op":"remove","path":"/spec/selector"}]']);
  ok(
    ['apply', '-n', 'svc', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
          addressType: 'IPv4',
          ports: [{ name: '', port: 8080, protocol: 'TCP' }],
          endpoints: ['10.42.0.5', '10.42.0.6', '10.42.0.7', '10.42.0.8'].map((a) => ({ addresses: [a], conditions: { ready: true } })),
        },
        { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'empty' }, addressType: 'IPv4' },
        {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name: 'web' },
          subsets: [{ addresses: ['10.42.0.5', '10.42.0.6', '10.42.0.7', '10.42.0.8'].map((ip) => ({ ip })), ports: [{ port: 8080 }] }],
        },
      ],
    }),
  );
  const ep = table(ok(['get', 'ep', 'web', '-n', 'svc']));
  assert.deepEqual(ep, [
    ['NAME', 'ENDPOINTS'],
    ['web', '10.42.0.5:8080,10.42.0.6:8080,10.42.0.7:8080 + 1 more...'],
  ]);
  const slices = table(ok(['get', 'endpointslices', '-n', 'svc']));
  assert.deepEqual(slices[0], ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS']);
  assert.deepEqual(rowOf(slices, 'web-abc'), ['web-abc', 'IPv4', '8080', '10.42.0.5,10.42.0.6,10.42.0.7 + 1 more...']);
  assert.deepEqual(rowOf(slices, 'empty'), ['empty', 'IPv4', '<unset>', '<unset>']);
  const all = ok(['get', 'svc,ep,endpointslices', '-n', 'svc']);
  assert.match(all, /^service\/web\s+NodePort\s+10\.43\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP\s+\S+$/m);
  assert.match(all, /^endpoints\/web\s+10\.42\.0\.5:8080,10\.42\.0\.6:8080,10\.42\.0\.7:8080 \+ 1 more\.\.\.\s+\S+$/m);
  assert.match(all, /^endpointslice\.discovery\.k8s\.io\/web-abc\s+IPv4\s+8080\s+10\.42\.0\.5,10\.42\.0\.6,10\.42\.0\.7 \+ 1 more\.\.\.\s+\S+$/m);
  const desc = ok(['describe', 'svc', 'web', '-n', 'svc']);
  assert.match(desc, /^Type:\s+NodePort$/m);
  assert.match(desc, /^IP Family Policy:\s+SingleStack$/m);
  assert.match(desc, /^TargetPort:\s+8080\/TCP$/m);
  assert.match(desc, /^NodePort:\s+<unset>\s+3\d{4}\/TCP$/m);
  assert.match(desc, /^Endpoints:\s+10\.42\.0\.5:8080,10\.42\.0\.6:8080,10\.42\.0\.7:8080 \+ 1 more\.\.\.$/m);
  assert.match(desc, /^External Traffic Policy:\s+Cluster$/m);
  // Addresses traffic must not go to are refused, as upstream.
  const lo = k(
    ['apply', '-n', 'svc', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'lo' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }] }] }),
  );
  assert.match(lo.stderr, /subsets\[0\]\.addresses\[0\]\.ip: Invalid value: "127\.0\.0\.1": may not be in the loopback range/);
  const noType = k(
    ['apply', '-n', 'svc', '-f', '-'],
    JSON.stringify({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'x' }, endpoints: [{ addresses: ['10.0.0.1'] }] }),
  );
  assert.match(noType.stderr, /addressType: Required value/);
  assert.match(ok(['api-resources', '--api-group=discovery.k8s.io']), /endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice/);
});

test('server-side apply keys Service ports by port and protocol: TCP and UDP of port 53 are two entries', () => {
  const manifest = (tcpPort: number) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns', namespace: 'svc' },
      spec: {
        selector: { app: 'dns' },
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: tcpPort, protocol: 'TCP' },
        ],
      },
    });
  ok(['apply', '--server-side', '-f', '-'], manifest(53));
  assert.deepEqual(table(ok(['get', 'svc', 'dns', '-n', 'svc']))[1]!.slice(4), ['53/UDP,53/TCP']);
  ok(['apply', '--server-side', '-f', '-'], manifest(5353));
  const ports = JSON.parse(ok(['get', 'svc', 'dns', '-n', 'svc', '-o', 'json'])).spec.ports;
  assert.deepEqual(
    ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`),
    ['53/UDP', '5353/TCP'],
  );
});

test("services/status carries the load balancer; a dry run reserves nothing; a deleted namespace gives its Services' values back", async () => {
  ok(['create', 'namespace', 'gone']);
  const dry = ok([
    'create',
    'service',
    'nodeport',
    'dry',
    '-n',
    'gone',
    '--tcp=80:8080',
    '--node-port=30300',
    '--dry-run=server',
    '-o',
    'jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}',
  ]);
  assert.match(dry, /^10\.43\.\d+\.\d+ 30300$/);
  ok(['create', 'service', 'nodeport', 'np', '-n', 'gone', '--tcp=80:8080', '--node-port=30300']);
  // Of another load balancer class: the built-in ServiceLB leaves its status to the test.
  ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'gone' },
      spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', ports: [{ port: 443, targetPort: 8443 }] },
    }),
  );
  ok(['patch', 'svc', 'lb', '-n', 'gone', '--subresource=status', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.5"}]}}}']);
  assert.equal(rowOf(table(ok(['get', 'svc', '-n', 'gone'])), 'lb')![3], '192.168.1.5');
  const badStatus = k(['patch', 'svc', 'lb', '-n', 'gone', '--subresource=status', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"not-an-ip"}]}}}']);
  assert.match(badStatus.stderr, /status\.loadBalancer\.ingress\[0\]\.ip: Invalid value: "not-an-ip"/);
  ok(['delete', 'namespace', 'gone', '--wait=true', '--timeout=60s']);
  ok(['create', 'service', 'nodeport', 'np-after-ns', '-n', 'svc', '--tcp=80:8080', '--node-port=30300']);
  assert.match(ok(['explain', 'endpointslice.endpoints.conditions']), /GROUP:\s+discovery\.k8s\.io/);
});

test('allocations survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-svc-restart-'));
  try {
    let srv = await startServer({ dataDir });
    try {
      kubectlOk(srv, ['create', 'service', 'nodeport', 'keep', '--tcp=80:8080', '--node-port=30500']);
      const ip = JSON.parse(kubectlOk(srv, ['get', 'svc', 'keep', '-o', 'json'])).spec.clusterIP;
      assert.equal(await srv.stop(), 0);
      srv = await startServer({ dataDir });
      const again = kubectl(srv, ['create', 'service', 'nodeport', 'other', '--tcp=80:8080', '--node-port=30500']);
      assert.match(again.stderr, /provided port is already allocated/);
      const sameIP = kubectl(srv, ['create', 'service', 'clusterip', 'other', '--tcp=80:8080', `--clusterip=${ip}`]);
      assert.match(sameIP.stderr, /provided IP is already allocated/);
      // The kubernetes Service follows the new port; nothing was repaired (nothing had leaked).
      const k8s = JSON.parse(kubectlOk(srv, ['get', 'svc', 'kubernetes', '-o', 'json']));
      assert.equal(k8s.spec.ports[0].targetPort, Number(new URL(srv.url).port));
      assert.doesNotMatch(srv.output(), /service allocations:/);
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('bad service flags stop the start with one line naming the flag', async () => {
  for (const [flag, value, words] of [
    ['--service-cidr', '10.43.0.0/33', /--service-cidr: invalid CIDR address/],
    ['--service-node-port-range', '5-1', /--service-node-port-range "5-1"/],
    ['--cluster-dns', '10.42.0.10', /--cluster-dns 10\.42\.0\.10 must be an address of --service-cidr 10\.43\.0\.0\/16/],
  ] as const) {
    await assert.rejects(startServer({ args: [flag, value], timeoutMs: 10_000 }), (e: Error) => {
      assert.match(e.message, /server exited with 1 before ready/);
      const errors = e.message.split('\n').filter((l) => l.startsWith('berth: error:'));
      assert.equal(errors.length, 1, e.message);
      assert.match(errors[0]!, words);
      return true;
    });
  }
});

test('two API servers over one etcd allocating at once never hand out an IP or a port twice', async (t) => {
  if (!requireCommand('etcd', t)) return;
  const etcd: RunningEtcd = await startEtcd();
  // A small range on purpose: 20 node ports for 30 NodePort Services created at once.
  const args = ['--datastore', `etcd://${etcd.endpoints.join(',')}`, '--service-cidr', '10.96.0.0/27', '--service-node-port-range', '30000-30019'];
  const servers = [await startServer({ args }), await startServer({ args })];
  try {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api(servers[i % 2]!, 'POST', '/api/v1/namespaces/default/services', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `s${i}` },
          spec: { type: 'NodePort', ports: [{ port: 80 }] },
        }),
      ),
    );
    const created = results.filter((r) => r.status === 201).map((r) => r.json);
    const refused = results.filter((r) => r.status !== 201);
    assert.equal(created.length, 20, 'exactly as many as there are node ports');
    // A create that found every IP held (by creates about to fail on ports) fails on its IP instead.
    for (const r of refused) assert.match(r.json.message, /failed to allocate a (nodePort|serviceIP): range is full/);
    const list = (await api(servers[0]!, 'GET', '/api/v1/services')).json.items;
    const ips = list.map((x: any) => x.spec.clusterIP);
    const ports = list.flatMap((x: any) => x.spec.ports.map((p: any) => p.nodePort).filter(Boolean));
    assert.equal(list.length, 22, 'the 20 and kubernetes and kube-dns');
    assert.equal(new Set(ips).size, ips.length, `no IP twice: ${ips}`);
    assert.equal(new Set(ports).size, 20, `no port twice: ${ports}`);
    assert.ok(
      ips.every((ip: string) => /^10\.96\.0\.([1-9]|[12]\d|30)$/.test(ip)),
      `all in range: ${ips}`,
    );
    // What the refused creates took was given back: 22 reserved IPs, one per Service.
    const deleted = await Promise.all(
      created.slice(0, 5).map((c, i) => api(servers[i % 2]!, 'DELETE', `/api/v1/namespaces/default/services/${c.metadata.name}`)),
    );
    assert.ok(deleted.every((d) => d.status === 200));
    const more = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api(servers[i % 2]!, 'POST', '/api/v1/namespaces/default/services', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `t${i}` },
          spec: { type: 'NodePort', ports: [{ port: 80 }] },
        }),
      ),
    );
    assert.deepEqual(
      more.map((r) => r.status),
      [201, 201, 201, 201, 201],
      'deleted Services gave their ports back',
    );
  } finally {
    for (const srv of servers) {
      await srv.stop();
      srv.cleanup();
    }
    await etcd.stop();
  }
});
