import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node } from 'kubernetes-types/core/v1';
import { StatusError, resources } from '../../client/index.js';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { newNodeIpamController, type NodeIpamOptions } from './index.js';

function node(name: string, podCIDR?: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) };
}

const cidrOf = (api: FakeApi, name: string) => api.objects<Node>('/nodes').find((n) => n.metadata?.name === name)?.spec?.podCIDR;
const nodeEvents = (api: FakeApi, reason: string) => api.objects<Event>('/events').filter((e) => e.reason === reason);

async function start(api: FakeApi, opts: NodeIpamOptions = {}) {
  return runControllers(api, (ctx) => newNodeIpamController(ctx, { maxRetryDelayMs: 200, ...opts }));
}

function invalid(message: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422, reason: 'Invalid', message });
}

test('ranges Nodes already hold are taken first; the rest get the next free ones, in podCIDR and podCIDRs', async () => {
  const api = new FakeApi();
  await api.create(resources.nodes, node('old', '10.42.0.0/24'));
  await api.create(resources.nodes, node('sim-small', '10.42.1.128/25'));
  await api.create(resources.nodes, node('foreign', '10.244.0.0/24'));
  await api.create(resources.nodes, node('new-1'));
  const { stop } = await start(api);
  try {
    await api.create(resources.nodes, node('new-2'));
    await waitFor(() => cidrOf(api, 'new-1') && cidrOf(api, 'new-2'), 'both new nodes have a range');
    assert.deepEqual([cidrOf(api, 'new-1'), cidrOf(api, 'new-2')].sort(), ['10.42.2.0/24', '10.42.3.0/24']);
    const n = api.objects<Node>('/nodes').find((x) => x.metadata?.name === 'new-2')!;
    assert.deepEqual(n.spec!.podCIDRs, [n.spec!.podCIDR]);
    // Nodes holding a range (inside the cluster range or not) are never written.
    for (const name of ['old', 'sim-small', 'foreign']) assert.equal(api.calls.filter((c) => c.verb === 'patch' && c.name === name).length, 0, name);
    assert.equal(cidrOf(api, 'foreign'), '10.244.0.0/24');
  } finally {
    await stop();
  }
});

test('a full range: CIDRNotAvailable on the Node; deleting a Node gives its range to the one waiting', async () => {
  const api = new FakeApi();
  const { stop } = await start(api, { clusterCidr: '10.42.0.0/24', nodeCidrMaskSize: 26 });
  try {
    for (const name of ['a', 'b', 'c', 'd']) await api.create(resources.nodes, node(name));
    await waitFor(() => ['a', 'b', 'c', 'd'].every((n) => cidrOf(api, n)), 'four nodes with ranges');
    const got = ['a', 'b', 'c', 'd'].map((n) => cidrOf(api, n));
    assert.deepEqual([...got].sort(), ['10.42.0.0/26', '10.42.0.128/26', '10.42.0.192/26', '10.42.0.64/26']);
    await api.create(resources.nodes, node('e'));
    const ev = await waitFor(() => nodeEvents(api, 'CIDRNotAvailable')[0], 'CIDRNotAvailable');
    assert.equal(ev!.type, 'Warning');
    assert.equal(ev!.message, 'Node e status is now: CIDRNotAvailable');
    assert.deepEqual([ev!.involvedObject.kind, ev!.involvedObject.name], ['Node', 'e']);
    assert.equal(ev!.source?.component, 'cidrAllocator');
    // Still waiting after several retries.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cidrOf(api, 'e'), undefined);
    const freed = cidrOf(api, 'b');
    await api.delete({ ...resources.nodes, name: 'b' });
    await waitFor(() => cidrOf(api, 'e'), 'e gets the freed range');
    assert.equal(cidrOf(api, 'e'), freed);
  } finally {
    await stop();
  }
});

test('a patch refused for sure gives the range back; one that may have gone through keeps it for the retry', async () => {
  const api = new FakeApi();
  let refused = 0;
  let failed = 0;
  api.failWith = (call) => {
    if (call.verb !== 'patch' || call.resource !== '/nodes') return undefined;
    if (call.name === 'refused' && refused++ === 0) return invalid('spec.podCIDR: Forbidden: node updates may not change podCIDR except from "" to valid');
    if (call.name === 'timeout' && failed++ === 0)
      return new StatusError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 504, reason: 'Timeout', message: 'timeout' });
    return undefined;
  };
  const { stop } = await start(api, { clusterCidr: '10.42.0.0/23', nodeCidrMaskSize: 24 });
  try {
    // Two ranges: the refused one's first range must come back, else "other" finds none.
    await api.create(resources.nodes, node('refused'));
    await waitFor(() => cidrOf(api, 'refused'), 'refused gets a range on the retry');
    assert.equal(cidrOf(api, 'refused'), '10.42.1.0/24', 'next-fit: the released range is not the next one');
    await api.create(resources.nodes, node('other'));
    await waitFor(() => cidrOf(api, 'other'), 'other gets the released range');
    assert.equal(cidrOf(api, 'other'), '10.42.0.0/24');
  } finally {
    await stop();
  }
  const api2 = new FakeApi();
  api2.failWith = api.failWith;
  const run2 = await start(api2, { clusterCidr: '10.42.0.0/23', nodeCidrMaskSize: 24 });
  try {
    await api2.create(resources.nodes, node('timeout'));
    await waitFor(() => cidrOf(api2, 'timeout'), 'timeout gets a range on the retry');
    assert.equal(cidrOf(api2, 'timeout'), '10.42.0.0/24', 'the same range is tried again');
    await api2.create(resources.nodes, node('other'));
    await waitFor(() => cidrOf(api2, 'other'), 'other gets the second range');
    assert.equal(cidrOf(api2, 'other'), '10.42.1.0/24', 'no range was lost to the failed patch');
  } finally {
    await run2.stop();
  }
});

test('a range two Nodes hold stays taken when one of them goes', async () => {
  const api = new FakeApi();
  await api.create(resources.nodes, node('a', '10.42.0.0/24'));
  await api.create(resources.nodes, node('b', '10.42.0.0/24'));
  const { stop } = await start(api, { clusterCidr: '10.42.0.0/23', nodeCidrMaskSize: 24 });
  try {
    await api.delete({ ...resources.nodes, name: 'a' });
    await api.create(resources.nodes, node('c'));
    await waitFor(() => cidrOf(api, 'c'), 'c gets a range');
    assert.equal(cidrOf(api, 'c'), '10.42.1.0/24');
    await api.create(resources.nodes, node('d'));
    await waitFor(() => nodeEvents(api, 'CIDRNotAvailable').some((e) => e.involvedObject.name === 'd'), 'd finds no range: b still holds 10.42.0.0/24');
    assert.equal(cidrOf(api, 'd'), undefined);
  } finally {
    await stop();
  }
});

test('a Node given a range by someone else meanwhile keeps it, and the one reserved for it goes back', async () => {
  const api = new FakeApi();
  // The agent's --pod-cidr wins the race: its write lands while the controller's patch is refused.
  let refused = 0;
  api.failWith = (call) => {
    if (call.verb !== 'patch' || call.name !== 'agent') return undefined;
    refused++;
    return invalid('spec.podCIDR: Forbidden: node updates may not change podCIDR except from "" to valid');
  };
  const { stop } = await start(api, { clusterCidr: '10.42.0.0/23', nodeCidrMaskSize: 24 });
  try {
    const off = api.onChange((rkey, ev) => {
      if (rkey === '/nodes' && ev.type === 'ADDED' && ev.object.metadata?.name === 'agent') {
        off();
        // Once the controller's patch has been refused.
        void waitFor(() => refused > 0, 'the controller patch').then(() =>
          api.update(resources.nodes, { ...structuredClone(ev.object), spec: { podCIDR: '10.42.1.0/24', podCIDRs: ['10.42.1.0/24'] } } as Node),
        );
      }
    });
    await api.create(resources.nodes, node('agent'));
    await waitFor(() => cidrOf(api, 'agent'), 'agent has a range');
    assert.equal(cidrOf(api, 'agent'), '10.42.1.0/24');
    await api.create(resources.nodes, node('next'));
    await waitFor(() => cidrOf(api, 'next'), 'next gets the range reserved for agent');
    assert.equal(cidrOf(api, 'next'), '10.42.0.0/24');
  } finally {
    await stop();
  }
});

test('--allocate-node-cidrs=false: no allocator runs', async () => {
  const { newControllers, newControllerContext } = await import('../index.js');
  const api = new FakeApi();
  const names = (o: object) =>
    newControllers(
      newControllerContext(api.client, () => {}),
      o,
    ).map((c) => c.name);
  assert.ok(names({}).includes('node-ipam-controller'));
  assert.ok(!names({ nodeIpam: { allocateNodeCidrs: false } }).includes('node-ipam-controller'));
});
