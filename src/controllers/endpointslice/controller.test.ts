import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Event, Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { StatusError, resources, rfc3339 } from '../../client/index.js';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { newEndpointsController } from '../endpoints/index.js';
import { newEndpointSliceController } from './index.js';

const NS = 'default';
const SLICES = 'discovery.k8s.io/endpointslices';

function service(name: string, extra: Partial<Service['spec']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...extra },
  };
}

async function addPod(api: FakeApi, name: string, app: string, ip: string, ready = true): Promise<void> {
  const created = await api.create<Pod>(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app } },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  await setReady(api, created.metadata!.name!, ip, ready);
}

async function setReady(api: FakeApi, name: string, ip: string, ready: boolean): Promise<void> {
  const ref = { ...resources.pods, namespace: NS, name };
  const pod = await api.get<Pod>(ref);
  await api.updateStatus(ref, {
    ...pod,
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: rfc3339() }] },
  });
}

const slicesOf = (api: FakeApi, svc: string) =>
  api.objects<EndpointSlice>(SLICES, NS).filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === svc);
const readyIPs = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints.filter((e) => e.conditions?.ready).map((e) => e.addresses[0])).sort();
const endpointsOf = (api: FakeApi, name: string) => api.objects<Endpoints>('/endpoints', NS).find((e) => e.metadata?.name === name);

async function start(api = new FakeApi()) {
  const run = await runControllers(
    api,
    (ctx) => newEndpointSliceController(ctx, { maxEndpointsPerSlice: 10 }),
    (ctx) => newEndpointsController(ctx),
  );
  return { api, ...run };
}

test('a Service with a selector gets slices and Endpoints of its pods that follow readiness', async () => {
  const { api, stop } = await start();
  try {
    const svc = await api.create(resources.services, service('web'));
    await addPod(api, 'a', 'web', '10.1.0.1');
    await addPod(api, 'b', 'web', '10.1.0.2');
    await addPod(api, 'c', 'web', '10.1.0.3');
    await addPod(api, 'other', 'db', '10.1.0.9');
    await waitFor(() => readyIPs(slicesOf(api, 'web')).join() === '10.1.0.1,10.1.0.2,10.1.0.3', '3 ready endpoints');
    const [slice] = slicesOf(api, 'web');
    assert.equal(slicesOf(api, 'web').length, 1);
    assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(slice!.metadata!.ownerReferences![0]!.uid, svc.metadata!.uid);
    assert.match(slice!.metadata!.annotations!['endpoints.kubernetes.io/last-change-trigger-time']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await waitFor(() => endpointsOf(api, 'web')?.subsets?.[0]?.addresses?.length === 3, 'Endpoints with 3 addresses');
    assert.ok(endpointsOf(api, 'web')!.metadata!.annotations!['endpoints.kubernetes.io/last-change-trigger-time']);

    await setReady(api, 'b', '10.1.0.2', false);
    await waitFor(() => readyIPs(slicesOf(api, 'web')).join() === '10.1.0.1,10.1.0.3', 'b not ready in the slice');
    await waitFor(() => endpointsOf(api, 'web')?.subsets?.[0]?.notReadyAddresses?.[0]?.ip === '10.1.0.2', 'b not ready in Endpoints');
    const sliceUpdates = api.writes('update', SLICES).length;
    assert.equal(api.writes('create', SLICES).length, 1, 'updated in place, never recreated');
    assert.ok(sliceUpdates >= 1);
  } finally {
    await stop();
  }
});

test('more pods than a slice holds spread over slices without duplicates, even with a slow slice watch', async () => {
  const api = new FakeApi();
  // The controller's own writes reach its cache late: it must not create them twice.
  api.watchDelayMs.set(SLICES, 150);
  const { stop } = await start(api);
  try {
    await api.create(resources.services, service('big'));
    for (let i = 1; i <= 25; i++) await addPod(api, `p${i}`, 'big', `10.2.0.${i}`);
    await waitFor(() => readyIPs(slicesOf(api, 'big')).length === 25, '25 ready endpoints');
    await new Promise((r) => setTimeout(r, 400));
    const slices = slicesOf(api, 'big');
    assert.deepEqual(
      slices.map((s) => s.endpoints.length).sort((a, b) => a - b),
      [5, 10, 10],
    );
    const all = slices.flatMap((s) => s.endpoints.map((e) => e.addresses[0]));
    assert.equal(new Set(all).size, all.length, 'no endpoint twice');
    assert.equal(api.writes('create', SLICES).length, 3, 'never a slice made from a stale cache');
  } finally {
    await stop();
  }
});

test('Services without a selector are left alone; deleting a Service deletes its Endpoints', async () => {
  const { api, stop } = await start();
  try {
    await api.create(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'manual', namespace: NS },
      spec: { ports: [{ port: 53, protocol: 'UDP' }] },
    });
    const theirs: EndpointSlice = {
      addressType: 'IPv4',
      metadata: {
        name: 'manual-x',
        namespace: NS,
        labels: { 'kubernetes.io/service-name': 'manual', 'endpointslice.kubernetes.io/managed-by': 'agent.berth.dev' },
      },
      endpoints: [{ addresses: ['10.9.9.9'] }],
    };
    await api.create(resources.endpointslices, theirs);
    await api.create(resources.services, service('web'));
    await addPod(api, 'a', 'web', '10.1.0.1');
    await waitFor(() => endpointsOf(api, 'web'), 'Endpoints of web');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(endpointsOf(api, 'manual'), undefined);
    assert.deepEqual(
      slicesOf(api, 'manual').map((s) => s.metadata!.name),
      ['manual-x'],
    );
    assert.equal(api.calls.filter((c) => c.name === 'manual-x').length, 1, 'only the test wrote it');
    await api.delete({ ...resources.services, namespace: NS, name: 'web' });
    await waitFor(() => !endpointsOf(api, 'web'), 'Endpoints of web deleted');
  } finally {
    await stop();
  }
});

test('a Service whose pods have no ready endpoints gets one placeholder slice', async () => {
  const { api, stop } = await start();
  try {
    await api.create(resources.services, service('empty'));
    await waitFor(() => slicesOf(api, 'empty').length === 1, 'placeholder slice');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(slicesOf(api, 'empty').length, 1);
    assert.deepEqual(slicesOf(api, 'empty')[0]!.endpoints, []);
  } finally {
    await stop();
  }
});

test('a managed slice deleted or edited by someone else is put back', async () => {
  const { api, stop } = await start();
  try {
    await api.create(resources.services, service('web'));
    await addPod(api, 'a', 'web', '10.1.0.1');
    await waitFor(() => readyIPs(slicesOf(api, 'web')).join() === '10.1.0.1', 'the slice');
    const [first] = slicesOf(api, 'web');
    await api.delete({ ...resources.endpointslices, namespace: NS, name: first!.metadata!.name! });
    await waitFor(() => slicesOf(api, 'web').length === 1 && readyIPs(slicesOf(api, 'web')).join() === '10.1.0.1', 'a slice again');
    const [second] = slicesOf(api, 'web');
    assert.notEqual(second!.metadata!.name, first!.metadata!.name);
    await api.update(resources.endpointslices, { ...second!, endpoints: [] });
    await waitFor(() => readyIPs(slicesOf(api, 'web')).join() === '10.1.0.1', 'the endpoint back');
  } finally {
    await stop();
  }
});

test('writes the server refuses are Warning events on the Service, and retried', async () => {
  const api = new FakeApi();
  let refuse = true;
  api.failWith = (call) =>
    refuse && call.verb === 'create' && (call.resource === SLICES || call.resource === '/endpoints')
      ? new StatusError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403, reason: 'Forbidden', message: 'quota exceeded' })
      : undefined;
  const { stop } = await start(api);
  try {
    await api.create(resources.services, service('web'));
    await addPod(api, 'a', 'web', '10.1.0.1');
    const events = () => api.objects<Event>('/events', NS);
    await waitFor(
      () => events().some((e) => e.reason === 'FailedToUpdateEndpointSlices') && events().some((e) => e.reason === 'FailedToUpdateEndpoint'),
      'both warnings',
    );
    const slicesEvent = events().find((e) => e.reason === 'FailedToUpdateEndpointSlices')!;
    assert.equal(slicesEvent.type, 'Warning');
    assert.equal(slicesEvent.involvedObject.kind, 'Service');
    assert.equal(slicesEvent.involvedObject.name, 'web');
    assert.equal(slicesEvent.source?.component, 'endpoint-slice-controller');
    assert.match(slicesEvent.message!, /^Error updating Endpoint Slices for Service default\/web: .*quota exceeded/);
    const epEvent = events().find((e) => e.reason === 'FailedToUpdateEndpoint')!;
    assert.equal(epEvent.source?.component, 'endpoint-controller');
    assert.match(epEvent.message!, /^Failed to update endpoint default\/web: .*quota exceeded/);
    refuse = false;
    await waitFor(() => readyIPs(slicesOf(api, 'web')).join() === '10.1.0.1' && endpointsOf(api, 'web'), 'written once allowed', 10_000);
  } finally {
    await stop();
  }
});
