import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeStatus } from 'kubernetes-types/core/v1';
import { resources } from '../client/index.js';
import { FakeApi } from '../controllers/fake-api.js';
import { KUBELET_READY, NO_PRESSURE, kubeletNotReady, nodeConditionBodies } from './node-conditions.js';
import { NODE_STATUS_REPORT_FREQUENCY_MS, NODE_STATUS_UPDATE_FREQUENCY_MS, NodeStatusTracker, reportNodeStatus } from './node-status.js';

const status = (t: NodeStatusTracker, heartbeat: string, ready = KUBELET_READY, extra: Partial<NodeStatus> = {}): NodeStatus => ({
  capacity: { cpu: '4' },
  conditions: t.stamp(nodeConditionBodies(NO_PRESSURE, ready), heartbeat),
  images: [],
  ...extra,
});

test('node status cadence: upstream frequencies, 10 s checks and a 5 min report', () => {
  assert.equal(NODE_STATUS_UPDATE_FREQUENCY_MS, 10_000);
  assert.equal(NODE_STATUS_REPORT_FREQUENCY_MS, 300_000);
});

test('node status cadence: posted when first seen, when something changed, or when the report period passed', () => {
  let now = 0;
  const t = new NodeStatusTracker(300_000, () => now);
  assert.equal(t.due(status(t, 'T0')), true, 'never posted');
  t.posted(status(t, 'T0'));
  now = 10_000;
  assert.equal(t.due(status(t, 'T10')), false, 'only the heartbeat time differs');
  assert.equal(t.due(status(t, 'T10', KUBELET_READY, { images: [{ names: ['busybox'], sizeBytes: 1 }] })), false, 'the image list does not count');
  assert.equal(t.due(status(t, 'T10', KUBELET_READY, { capacity: { cpu: '8' } })), true, 'capacity changed');
  assert.equal(t.due(status(t, 'T10', kubeletNotReady('container runtime is down'))), true, 'Ready changed');
  now = 299_999;
  assert.equal(t.due(status(t, 'T299', KUBELET_READY)), false);
  now = 300_000;
  assert.equal(t.due(status(t, 'T300', KUBELET_READY)), true, 'the report period passed');
});

test('node conditions keep their transition time until their status changes', () => {
  const t = new NodeStatusTracker();
  const ready = (c: NodeStatus) => c.conditions!.find((x) => x.type === 'Ready')!;
  const first = ready(status(t, 'T0'));
  assert.deepEqual([first.lastHeartbeatTime, first.lastTransitionTime], ['T0', 'T0']);
  const same = ready(status(t, 'T1'));
  assert.deepEqual([same.lastHeartbeatTime, same.lastTransitionTime], ['T1', 'T0']);
  const down = ready(status(t, 'T2', kubeletNotReady('down')));
  assert.deepEqual([down.status, down.lastTransitionTime], ['False', 'T2']);
  const memory = status(t, 'T3', kubeletNotReady('down')).conditions!.find((x) => x.type === 'MemoryPressure')!;
  assert.equal(memory.lastTransitionTime, 'T0', 'an unchanged condition keeps its own');
});

test('reportNodeStatus patches nodes/status only when due (or forced), and records the post', async () => {
  const api = new FakeApi();
  await api.create<Node>(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  let now = 0;
  const t = new NodeStatusTracker(300_000, () => now);
  const writes = () => api.calls.filter((c) => c.verb === 'patch' && c.name === 'n1').length;
  const posted = await reportNodeStatus(api.client, 'n1', status(t, 'T0'), t);
  assert.equal(posted?.status?.capacity?.cpu, '4');
  assert.equal(writes(), 1);
  now = 10_000;
  assert.equal(await reportNodeStatus(api.client, 'n1', status(t, 'T10'), t), undefined, 'nothing changed');
  assert.equal(writes(), 1);
  assert.ok(await reportNodeStatus(api.client, 'n1', status(t, 'T10'), t, true), 'forced');
  assert.equal(writes(), 2);
  const ready = (await api.get<Node>({ ...resources.nodes, name: 'n1' })).status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.lastHeartbeatTime, 'T10');
});
