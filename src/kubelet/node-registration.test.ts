import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1';
import { resources } from '../client/index.js';
import { FakeApi } from '../controllers/fake-api.js';
import { KUBELET_READY, NO_PRESSURE, nodeConditionBodies } from './node-conditions.js';
import { kubeletNodeObject, kubeletNodeStatus } from './node-object.js';
import { registerNode } from './node-registration.js';

const T = '2026-01-01T00:00:00Z';
const statusFacts = (cpu = '4') => ({
  capacity: { cpu, memory: '8Gi', ephemeralStorage: '100Gi', pods: '110' },
  allocatable: { memory: '7Gi' },
  conditions: nodeConditionBodies(NO_PRESSURE, KUBELET_READY).map((c) => ({ ...c, lastHeartbeatTime: T, lastTransitionTime: T })),
  internalIP: '10.0.0.1',
  hostname: 'n1',
  kubeletPort: 10250,
  nodeInfo: {
    machineID: 'm',
    systemUUID: 's',
    bootID: 'b',
    kernelVersion: 'k',
    osImage: 'o',
    containerRuntimeVersion: 'sim://1',
    kubeletVersion: 'v1.32.0',
    architecture: 'amd64',
  },
});
const status = (cpu = '4') => kubeletNodeStatus(statusFacts(cpu));
const node = (o: { podCidr?: string; labels?: Record<string, string>; cpu?: string } = {}) =>
  kubeletNodeObject({ name: 'n1', labels: o.labels ?? { 'kubernetes.io/hostname': 'n1', mine: 'yes' }, podCidr: o.podCidr, status: status(o.cpu) });
const getNode = (api: FakeApi) => api.get<Node>({ ...resources.nodes, name: 'n1' });

test('the Node a kubelet registers: capacity with zero huge pages, allocatable over it, addresses, endpoint, linux', () => {
  const n = node({ podCidr: '10.42.0.0/24' });
  assert.deepEqual(n.spec, { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] });
  assert.equal(n.metadata!.annotations!['volumes.kubernetes.io/controller-managed-attach-detach'], 'true');
  assert.deepEqual(n.status!.capacity, { cpu: '4', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '8Gi', pods: '110' });
  assert.equal(n.status!.allocatable!.memory, '7Gi');
  assert.equal(n.status!.allocatable!.cpu, '4');
  assert.deepEqual(n.status!.addresses, [
    { type: 'InternalIP', address: '10.0.0.1' },
    { type: 'Hostname', address: 'n1' },
  ]);
  assert.deepEqual(n.status!.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.equal(n.status!.nodeInfo!.operatingSystem, 'linux');
  assert.equal(node().spec, undefined, 'no podCIDR of its own: none on the Node');
});

test('registration creates the Node with its status', async () => {
  const api = new FakeApi();
  const logs: string[] = [];
  const got = await registerNode({ client: api.client, node: node({ podCidr: '10.42.0.0/24' }), log: (m) => logs.push(m) });
  assert.ok(got.metadata?.uid);
  const stored = await getNode(api);
  assert.equal(stored.status?.capacity?.cpu, '4');
  assert.equal(stored.spec?.podCIDR, '10.42.0.0/24');
  assert.deepEqual(logs, ['registered node n1 with podCIDR 10.42.0.0/24']);
});

test('registration adopts an existing Node: its labels, a podCIDR only where none is set, the status', async () => {
  const api = new FakeApi();
  const before = await api.create<Node>(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: { other: 'kept' } },
    spec: { podCIDR: '10.42.7.0/24', podCIDRs: ['10.42.7.0/24'] },
  });
  const logs: string[] = [];
  const got = await registerNode({ client: api.client, node: node({ podCidr: '10.42.0.0/24', cpu: '8' }), log: (m) => logs.push(m) });
  assert.equal(got.metadata?.uid, before.metadata?.uid, 'the same object, taken over');
  const stored = await getNode(api);
  assert.deepEqual(stored.metadata?.labels, { other: 'kept', 'kubernetes.io/hostname': 'n1', mine: 'yes' });
  assert.equal(stored.spec?.podCIDR, '10.42.7.0/24', "the control plane's range stands");
  assert.equal(stored.status?.capacity?.cpu, '8');
  assert.deepEqual(logs, ['node n1 already registered; taking it over']);
});

test('registration of a Node found up front: no create; a podCIDR set when it has none; labels not rewritten when equal', async () => {
  const api = new FakeApi();
  const existing = await api.create<Node>(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', mine: 'yes' } },
  });
  const start = api.calls.length;
  await registerNode({ client: api.client, node: node({ podCidr: '10.42.3.0/24' }), existing });
  assert.deepEqual(
    api.calls.slice(start).map((c) => c.verb),
    ['patch', 'patch'],
    'the podCIDR, then the status',
  );
  assert.equal((await getNode(api)).spec?.podCIDR, '10.42.3.0/24');
});

test('registration of a Node deleted after it was found creates it again', async () => {
  const api = new FakeApi();
  const stale: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'gone' } };
  const got = await registerNode({ client: api.client, node: node(), existing: stale });
  assert.notEqual(got.metadata?.uid, 'gone');
  assert.equal((await getNode(api)).status?.capacity?.cpu, '4');
});

test('the Node a kubelet registers with an ExternalIP and taints: the address after the InternalIP, the taints in its spec', () => {
  const taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }];
  const st = kubeletNodeStatus({ ...statusFacts(), externalIP: '203.0.113.7' });
  const n = kubeletNodeObject({ name: 'n1', labels: {}, taints, status: st });
  assert.deepEqual(n.status!.addresses, [
    { type: 'InternalIP', address: '10.0.0.1' },
    { type: 'ExternalIP', address: '203.0.113.7' },
    { type: 'Hostname', address: 'n1' },
  ]);
  assert.deepEqual(n.spec, { taints });
});

test('registration takes over a Node with its addresses replaced when they changed, and leaves its taints alone', async () => {
  const api = new FakeApi();
  const taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }];
  const withExternal = kubeletNodeObject({ name: 'n1', labels: {}, taints, status: kubeletNodeStatus({ ...statusFacts(), externalIP: '203.0.113.7' }) });
  await registerNode({ client: api.client, node: withExternal });
  assert.deepEqual((await getNode(api)).spec?.taints, taints, 'created with its taints');
  // Registered again without the ExternalIP and with another taint: a merge by type would keep the old address.
  const again = kubeletNodeObject({ name: 'n1', labels: {}, taints: [{ key: 'other', effect: 'NoExecute' }], status: kubeletNodeStatus(statusFacts()) });
  await registerNode({ client: api.client, node: again });
  const stored = await getNode(api);
  assert.deepEqual(stored.status?.addresses, [
    { type: 'InternalIP', address: '10.0.0.1' },
    { type: 'Hostname', address: 'n1' },
  ]);
  assert.deepEqual(stored.spec?.taints, taints, 'taints apply at creation only, as --register-with-taints');
});
