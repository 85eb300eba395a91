import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import { resources } from '../client/index.js';
import { FakeApi, waitFor } from '../controllers/fake-api.js';
import type { Runtime, RuntimeCondition } from '../runtime/index.js';
import { NodeReporter } from './node.js';
import { PodNetwork, PodNetworkStopped } from './pod-network.js';

/** A runtime whose network is ready once a CNI config exists, as containerd's CRI reports it. */
function fakeRuntime(confDir: string): Runtime {
  const status = async (): Promise<RuntimeCondition[]> => [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    existsSync(join(confDir, '10-berth.conflist'))
      ? { type: 'NetworkReady', status: true, reason: '', message: '' }
      : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' },
  ];
  return {
    version: async () => ({ runtimeName: 'containerd', runtimeVersion: '1.7', runtimeApiVersion: 'v1', version: '0.1.0' }),
    status,
    listImages: async () => [],
  } as unknown as Runtime;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-podnet-'));
  const confDir = join(dir, 'cni');
  const api = new FakeApi();
  const runtime = fakeRuntime(confDir);
  const logs: string[] = [];
  let changes = 0;
  const net = new PodNetwork({
    client: api.client,
    runtime,
    nodeName: 'n1',
    cni: { confDir, dataDir: join(dir, 'ipam'), bridge: 'bt0' },
    onChange: () => changes++,
    log: (m) => logs.push(m),
  });
  const subnet = () => {
    const file = join(confDir, '10-berth.conflist');
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).plugins[0].ipam.ranges[0][0].subnet : undefined;
  };
  return { dir, confDir, api, runtime, net, logs, subnet, changes: () => changes, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const setCidr = (api: FakeApi, cidr: string) => api.patch({ ...resources.nodes, name: 'n1' }, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge');

test('a Node without a range: no CNI config, Ready=False in kubelet words, until the control plane assigns one', async () => {
  const s = setup();
  try {
    const node = await s.api.create<Node>(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const reporter = new NodeReporter({
      client: s.api.client,
      runtime: s.runtime,
      nodeName: 'n1',
      nodeIP: '10.0.0.1',
      dataDir: s.dir,
      port: () => 0,
      podCidrPending: () => s.net.pending,
      log: () => {},
    });
    await reporter.register();
    let started = false;
    const starting = s.net.start(node).then(() => (started = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(started, false, 'no range: the network does not start');
    assert.equal(s.subnet(), undefined, 'no CNI config without a range');
    assert.match(s.logs.join('\n'), /waiting for the control plane to assign node n1 a podCIDR/);
    const ready = (await s.api.get<Node>({ ...resources.nodes, name: 'n1' })).status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual(
      [ready.status, ready.reason, ready.message],
      [
        'False',
        'KubeletNotReady',
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:no podCIDR assigned to this node yet',
      ],
    );

    await setCidr(s.api, '10.42.7.0/24');
    await starting;
    assert.equal(s.net.podCidr, '10.42.7.0/24');
    assert.equal(s.subnet(), '10.42.7.0/24');
    assert.ok(s.changes() >= 1, 'the status is posted when the range arrives');
    await reporter.tick(true);
    const after = (await s.api.get<Node>({ ...resources.nodes, name: 'n1' })).status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(after.status, 'True');
    reporter.stop();
  } finally {
    await s.net.stop();
    s.cleanup();
  }
});

test('a Node deleted and registered again gets the config of its next range', async () => {
  const s = setup();
  try {
    const node = await s.api.create<Node>(resources.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.42.1.0/24', podCIDRs: ['10.42.1.0/24'] },
    });
    await s.net.start(node);
    assert.equal(s.subnet(), '10.42.1.0/24', 'a range on the Node already: written at once');
    await s.api.delete({ ...resources.nodes, name: 'n1' });
    await waitFor(() => s.net.pending, 'no range once the Node is gone');
    assert.equal(s.subnet(), '10.42.1.0/24', 'pods already running keep their network');
    await s.api.create<Node>(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await setCidr(s.api, '10.42.9.0/24');
    await waitFor(() => s.subnet() === '10.42.9.0/24', 'the new range is written');
    assert.match(s.logs.join('\n'), /node n1 has no podCIDR any more/);
  } finally {
    await s.net.stop();
    s.cleanup();
  }
});

test('stopping while waiting for a range ends the start', async () => {
  const s = setup();
  try {
    const node = await s.api.create<Node>(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const starting = s.net.start(node);
    await new Promise((r) => setTimeout(r, 20));
    await s.net.stop();
    await assert.rejects(starting, PodNetworkStopped);
  } finally {
    s.cleanup();
  }
});
