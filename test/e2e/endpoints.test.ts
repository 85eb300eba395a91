// The EndpointSlice and Endpoints controllers, ServiceLB and the default/kubernetes endpoints in
// a real `berth server`, with `berth sim` nodes giving pods addresses and readiness, driven and
// read with the real kubectl: a Deployment behind a Service gets slices that follow readiness
// and scale (100 endpoints a slice), mirrored into Endpoints; deleting the Service takes its
// slices (garbage collector, by owner) and Endpoints with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import YAML from 'yaml';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { RestClient, resources } from '../../src/client/index.js';
import { defaultNodeIP } from '../../src/agent/index.js';
import { BERTH, eventually, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';

const NS = 'default';
let s: RunningServer;
let sim: ChildProcess | undefined;
let simOutput = '';
let client: RestClient;

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input, timeoutMs: 30_000 });
const apply = (...objs: unknown[]) => ok(['apply', '-f', '-'], objs.map((o) => YAML.stringify(o)).join('---\n'));

const slicesOf = async (svc: string) =>
  (await client.list<EndpointSlice>({ ...resources.endpointslices, namespace: NS }, { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
const endpointsOf = (name: string) => client.get<Endpoints>({ ...resources.endpoints, namespace: NS, name }).catch(() => undefined);
const readyOf = (slices: EndpointSlice[]) => slices.flatMap((x) => x.endpoints.filter((e) => e.conditions?.ready)).length;
const endpointOfPod = (slices: EndpointSlice[], pod: string) => slices.flatMap((x) => x.endpoints).find((e) => e.targetRef?.name === pod);

function deployment(replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: NS },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  client = new RestClient({ server: s.url, ca: s.caCert, token: s.token });
  // Two simulated nodes in two zones, room for 150 pods.
  sim = spawn(
    process.execPath,
    [BERTH, 'sim', '--kubeconfig', s.kubeconfig, '--nodes', '2', '--pods', '110', '--zones', 'zone-a,zone-b', '--pod-cidr', '10.244.0.0/16'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  sim.stdout!.on('data', (d) => (simOutput += d));
  sim.stderr!.on('data', (d) => (simOutput += d));
  await eventually(() => /nodes registered in/.test(simOutput) || sim!.exitCode !== null, 'berth sim registered', 60_000);
  assert.equal(sim.exitCode, null, `berth sim exited: ${simOutput}`);
});

after(async () => {
  if (sim && sim.exitCode === null) {
    sim.kill('SIGTERM');
    await new Promise((r) => sim!.once('exit', r));
  }
  client?.close();
  await s?.stop();
  s?.cleanup();
});

test('a Deployment of 3 behind a Service: one slice of 3 ready endpoints, mirrored into Endpoints, printed by kubectl', async () => {
  apply(deployment(3), service);
  const svc = await client.get<Service>({ ...resources.services, namespace: NS, name: 'web' });
  const slices = await eventually(
    async () => {
      const got = await slicesOf('web');
      return got.length === 1 && readyOf(got) === 3 ? got : undefined;
    },
    'one slice with 3 ready endpoints',
    60_000,
  );
  const [slice] = slices!;
  assert.match(slice!.metadata!.name!, /^web-[a-z0-9]{5}$/);
  assert.equal(slice!.addressType, 'IPv4');
  assert.equal(slice!.metadata!.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.deepEqual(slice!.metadata!.ownerReferences, [
    { apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata!.uid, controller: true, blockOwnerDeletion: true },
  ]);
  assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const pods = (await client.list<Pod>({ ...resources.pods, namespace: NS }, { labelSelector: 'app=web' })).items;
  for (const e of slice!.endpoints) {
    const pod = pods.find((p) => p.metadata!.name === e.targetRef!.name)!;
    assert.deepEqual(e.addresses, [pod.status!.podIP]);
    assert.equal(e.nodeName, pod.spec!.nodeName);
    assert.match(e.zone ?? '', /^zone-[ab]$/);
    assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(e.targetRef!.uid, pod.metadata!.uid);
  }
  const ep = await eventually(
    async () => ((await endpointsOf('web'))?.subsets?.[0]?.addresses?.length === 3 ? endpointsOf('web') : undefined),
    'Endpoints with 3 addresses',
  );
  assert.deepEqual(ep!.subsets![0]!.addresses!.map((a) => a.ip).sort(), pods.map((p) => p.status!.podIP).sort());
  assert.deepEqual(ep!.subsets![0]!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);

  const ips = pods.map((p) => p.status!.podIP!);
  const table = ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
  assert.match(table, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
  assert.match(table, new RegExp(`^web-[a-z0-9]{5}\\s+IPv4\\s+8080\\s+\\S+\\s+\\S+$`, 'm'));
  for (const ip of ips) assert.ok(table.includes(ip), `${ip} in ${table}`);
  const epTable = ok(['get', 'ep', 'web']);
  for (const ip of ips) assert.ok(epTable.includes(`${ip}:8080`), `${ip}:8080 in ${epTable}`);

  // Settled: nothing is rewritten while nothing changes (what the controllers write is what the
  // server stores back, or they would write forever).
  const versions = async () => [
    ...(await slicesOf('web')).map((x) => x.metadata!.resourceVersion),
    (await endpointsOf('web'))!.metadata!.resourceVersion,
    (await client.get<Service>({ ...resources.services, namespace: NS, name: 'kubernetes' })).metadata!.resourceVersion,
  ];
  const settled = await versions();
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual(await versions(), settled);
});

test('a pod turning NotReady is ready=false in its slice and a not-ready address in Endpoints, and back', async () => {
  // A readiness gate lets the test decide the pod's readiness; the simulated kubelet follows it.
  apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'gated', namespace: NS, labels: { app: 'web' } },
    spec: {
      readinessGates: [{ conditionType: 'example.com/ready' }],
      containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  });
  const gate = (status: string) =>
    ok(['patch', 'pod', 'gated', '--subresource=status', '-p', JSON.stringify({ status: { conditions: [{ type: 'example.com/ready', status }] } })]);
  const cond = async () => endpointOfPod(await slicesOf('web'), 'gated')?.conditions;
  await eventually(async () => (await cond())?.ready === false, 'gated listed, not ready', 30_000);
  assert.deepEqual(await cond(), { ready: false, serving: false, terminating: false });
  const notReady = async () => (await endpointsOf('web'))?.subsets?.flatMap((x) => x.notReadyAddresses ?? []).map((a) => a.targetRef?.name);
  await eventually(async () => (await notReady())?.includes('gated'), 'gated a not-ready address');
  gate('True');
  await eventually(async () => (await cond())?.ready === true, 'gated ready');
  await eventually(async () => !(await notReady())?.includes('gated'), 'gated a ready address');
  gate('False');
  await eventually(async () => (await cond())?.ready === false, 'gated not ready again');
  assert.equal((await slicesOf('web')).length, 1, 'the slice was updated, not replaced');
  ok(['delete', 'pod', 'gated', '--grace-period=0', '--force']);
  await eventually(async () => !endpointOfPod(await slicesOf('web'), 'gated'), 'gated gone from the slice');
});

test('scaled to 150: two slices of at most 100, and 150 addresses in Endpoints', async () => {
  ok(['scale', 'deploy/web', '--replicas=150']);
  const slices = await eventually(
    async () => {
      const got = await slicesOf('web');
      return readyOf(got) === 150 ? got : undefined;
    },
    '150 ready endpoints',
    120_000,
  );
  // Two slices, none over 100. Not always exactly 100 + 50: as upstream, endpoints arriving
  // together go to a new slice rather than being split over an almost full one.
  const sizes = slices!.map((x) => x.endpoints.length);
  assert.equal(sizes.length, 2, `slice sizes ${sizes}`);
  assert.ok(
    sizes.every((n) => n <= 100),
    `slice sizes ${sizes}`,
  );
  const all = slices!.flatMap((x) => x.endpoints.map((e) => e.addresses[0]));
  assert.equal(new Set(all).size, 150, 'every pod once');
  await eventually(async () => (await endpointsOf('web'))?.subsets?.[0]?.addresses?.length === 150, 'Endpoints with 150 addresses', 30_000);
});

test('a LoadBalancer Service gets the ready nodes as its ingress, shown as EXTERNAL-IP', async () => {
  apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web-lb', namespace: NS },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 8081, targetPort: 'http' }] },
  });
  const nodes = (await client.list<{ status?: { addresses?: Array<{ type: string; address: string }> } }>(resources.nodes)).items;
  const want = [...new Set(nodes.flatMap((n) => (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address)))].sort();
  const ingress = await eventually(
    async () => (await client.get<Service>({ ...resources.services, namespace: NS, name: 'web-lb' })).status?.loadBalancer?.ingress,
    'LoadBalancer ingress',
  );
  assert.deepEqual(ingress!.map((i) => i.ip).sort(), want);
  assert.match(ok(['get', 'svc', 'web-lb']), new RegExp(`^web-lb\\s+LoadBalancer\\s+\\S+\\s+${want.join(',').replace(/\./g, '\\.')}\\s+8081[:/]`, 'm'));
  ok(['delete', 'svc', 'web-lb']);
});

test('deleting the Service removes its slices (by owner) and its Endpoints', async () => {
  ok(['delete', 'svc', 'web']);
  await eventually(async () => (await slicesOf('web')).length === 0, 'slices of web gone', 30_000);
  await eventually(async () => !(await endpointsOf('web')), 'Endpoints of web gone');
  ok(['delete', 'deploy', 'web']);
});

test('default/kubernetes lists this API server: its node address and secure port, kept with a lease', async () => {
  const port = Number(new URL(s.url).port);
  const ip = defaultNodeIP();
  const ep = await eventually(() => endpointsOf('kubernetes'), 'Endpoints kubernetes');
  assert.deepEqual(ep!.subsets, [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }]);
  const slice = await client.get<EndpointSlice>({ ...resources.endpointslices, namespace: NS, name: 'kubernetes' });
  assert.deepEqual(
    slice.endpoints.map((e) => e.addresses),
    [[ip]],
  );
  assert.deepEqual(slice.ports, [{ name: 'https', port, protocol: 'TCP' }]);
  const leases = (
    await client.list<Lease>({ ...resources.leases, namespace: 'kube-system' }, { labelSelector: 'apiserver.kubernetes.io/identity=kube-apiserver' })
  ).items;
  assert.equal(leases.length, 1);
  assert.equal(leases[0]!.spec!.leaseDurationSeconds, 15);
  assert.match(ok(['get', 'ep', 'kubernetes']), new RegExp(`^kubernetes\\s+${ip.replace(/\./g, '\\.')}:${port}\\s`, 'm'));
});
