import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1';
import { resources } from '../client/index.js';
import { FakeApi, runControllers, waitFor } from './fake-api.js';
import { loadBalancerIngress, newServiceLBController, nodesWithReadyEndpoints } from './servicelb.js';

function node(name: string, ready: boolean, addresses: Array<[string, string]>): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], addresses: addresses.map(([type, address]) => ({ type, address })) },
  };
}

function lb(name: string, extra: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], ...extra },
  };
}

test('ingress: ready nodes only, ExternalIP before InternalIP, each address once, sorted', () => {
  const nodes = [
    node('b', true, [
      ['InternalIP', '10.0.0.12'],
      ['Hostname', 'b'],
    ]),
    node('a', true, [
      ['InternalIP', '10.0.0.2'],
      ['ExternalIP', '203.0.113.5'],
    ]),
    node('c', false, [['InternalIP', '10.0.0.3']]),
    node('d', true, [['InternalIP', '10.0.0.12']]),
  ];
  assert.deepEqual(loadBalancerIngress(nodes), [{ ip: '10.0.0.12' }, { ip: '203.0.113.5' }]);
});

const ingressOf = (api: FakeApi, name: string) =>
  api
    .objects<Service>('/services', 'default')
    .find((s) => s.metadata?.name === name)
    ?.status?.loadBalancer?.ingress?.map((i) => i.ip);

test('LoadBalancer Services follow the ready nodes; other classes and types are left alone', async () => {
  const api = new FakeApi();
  await api.create(resources.nodes, node('n1', true, [['InternalIP', '10.0.0.1']]));
  const { stop } = await runControllers(api, (ctx) => newServiceLBController(ctx));
  try {
    await api.create(resources.services, lb('web'));
    await api.create(resources.services, lb('other', { loadBalancerClass: 'example.com/lb' }));
    await api.create(resources.services, { ...lb('plain'), spec: { type: 'ClusterIP', ports: [{ port: 80 }] } });
    await waitFor(() => ingressOf(api, 'web')?.join() === '10.0.0.1', 'ingress of n1');
    const n2 = await api.create(resources.nodes, node('n2', false, [['InternalIP', '10.0.0.2']]));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ingressOf(api, 'web'), ['10.0.0.1'], 'a node not ready is not in');
    await api.updateStatus(resources.nodes, { ...n2, status: { ...n2.status, conditions: [{ type: 'Ready', status: 'True' }] } });
    await waitFor(() => ingressOf(api, 'web')?.join() === '10.0.0.1,10.0.0.2', 'ingress of n1 and n2');
    assert.equal(ingressOf(api, 'other'), undefined);
    assert.equal(ingressOf(api, 'plain'), undefined);
    // Turned into a ClusterIP Service: its ingress goes.
    const web = api.objects<Service>('/services', 'default').find((s) => s.metadata?.name === 'web')!;
    await api.update(resources.services, { ...web, spec: { ...web.spec, type: 'ClusterIP' } });
    await waitFor(() => ingressOf(api, 'web') === undefined, 'ingress cleared');
  } finally {
    await stop();
  }
});

test('externalTrafficPolicy Local: only nodes with a ready endpoint of the Service', async () => {
  const api = new FakeApi();
  await api.create(resources.nodes, node('n1', true, [['InternalIP', '10.0.0.1']]));
  await api.create(resources.nodes, node('n2', true, [['InternalIP', '10.0.0.2']]));
  await api.create(resources.nodes, node('n3', true, [['InternalIP', '10.0.0.3']]));
  const { stop } = await runControllers(api, (ctx) => newServiceLBController(ctx));
  try {
    await api.create(resources.services, lb('local', { externalTrafficPolicy: 'Local' }));
    const slice = await api.create(resources.endpointslices, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'local-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'local' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.42.0.5'], nodeName: 'n2', conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'p1', namespace: 'default' } },
        { addresses: ['10.42.0.6'], nodeName: 'n3', conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'p2', namespace: 'default' } },
      ],
    });
    await waitFor(() => ingressOf(api, 'local')?.join() === '10.0.0.2', 'only n2');
    await api.update(resources.endpointslices, { ...slice, endpoints: slice.endpoints.map((e) => ({ ...e, conditions: { ready: true } })) });
    await waitFor(() => ingressOf(api, 'local')?.join() === '10.0.0.2,10.0.0.3', 'n2 and n3');
  } finally {
    await stop();
  }
});

test('nodes with ready endpoints: pods only, ready or unknown', () => {
  const names = nodesWithReadyEndpoints([
    {
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['1.1.1.1'], nodeName: 'a', targetRef: { kind: 'Pod' } },
        { addresses: ['1.1.1.2'], nodeName: 'b', conditions: { ready: false }, targetRef: { kind: 'Pod' } },
        { addresses: ['1.1.1.3'], nodeName: 'c' },
      ],
    },
  ]);
  assert.deepEqual([...names], ['a']);
});
