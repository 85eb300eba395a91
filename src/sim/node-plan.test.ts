import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1';
import { generatedZones, planNodes, regionOfZone, type NodePlanOptions } from './node-plan.js';
import { nodeConditions, nodeObject, SIMULATED_LABEL } from './node-object.js';
import { nodeLease } from '../kubelet/index.js';

const opts = (o: Partial<NodePlanOptions> = {}): NodePlanOptions => ({
  count: 4,
  namePrefix: 'sim-',
  zones: ['us-east-1a', 'us-east-1b'],
  region: 'us-east-1',
  podCidr: '10.244.0.0/16',
  nodeCidrMaskSize: 24,
  nodeIP: '127.0.0.1',
  ...o,
});
const NOW = '2026-01-02T03:04:05Z';

test("nodes are named by index, spread over the zones, each with its own /24, all at the simulator's endpoint address", () => {
  const nodes = planNodes(opts(), [], NOW);
  assert.deepEqual(
    nodes.map((n) => [n.name, n.zone, n.podCIDR, n.internalIP]),
    [
      ['sim-0', 'us-east-1a', '10.244.0.0/24', '127.0.0.1'],
      ['sim-1', 'us-east-1b', '10.244.1.0/24', '127.0.0.1'],
      ['sim-2', 'us-east-1a', '10.244.2.0/24', '127.0.0.1'],
      ['sim-3', 'us-east-1b', '10.244.3.0/24', '127.0.0.1'],
    ],
  );
  assert.equal(nodes[2]!.podIPs.allocate(), '10.244.2.2');
  assert.equal(nodes[0]!.readySince, NOW);
});

test('existing nodes keep their range and Ready time but move to the endpoint address; new ones avoid every range in use', () => {
  const existing: Node[] = [
    {
      metadata: { name: 'sim-1', uid: 'u1' },
      spec: { podCIDR: '10.244.0.0/24' },
      status: {
        addresses: [{ type: 'InternalIP', address: '172.16.0.1' }],
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }],
      },
    },
    { metadata: { name: 'real-node' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '172.16.0.2' }] } },
  ];
  const nodes = planNodes(opts({ count: 3 }), existing, NOW);
  assert.deepEqual(
    nodes.map((n) => [n.name, n.podCIDR, n.internalIP, n.uid]),
    [
      ['sim-0', '10.244.2.0/24', '127.0.0.1', undefined],
      ['sim-1', '10.244.0.0/24', '127.0.0.1', 'u1'],
      ['sim-2', '10.244.3.0/24', '127.0.0.1', undefined],
    ],
  );
  assert.equal(nodes[1]!.readySince, '2025-01-01T00:00:00Z');
});

test('a pod range too small for the nodes is refused with the numbers', () => {
  assert.throws(() => planNodes(opts({ count: 300 }), [], NOW), /--pod-cidr 10\.244\.0\.0\/16 has room for 256 node ranges of \/24 \(256 free\), not 300/);
  assert.equal(planNodes(opts({ count: 300, podCidr: '10.0.0.0/8' }), [], NOW).at(-1)!.podCIDR, '10.1.43.0/24');
});

test('zones and regions', () => {
  assert.deepEqual(generatedZones(3, 'sim-region'), ['sim-region-a', 'sim-region-b', 'sim-region-c']);
  assert.equal(regionOfZone('us-east-1a'), 'us-east-1');
  assert.equal(regionOfZone('ap-southeast-2c'), 'ap-southeast-2');
  assert.equal(regionOfZone('europe-west1-b'), 'europe-west1');
  assert.equal(regionOfZone('zone-a'), undefined);
});

test('the Node and its Lease look as a kubelet makes them', () => {
  const [n] = planNodes(opts({ count: 1 }), [], NOW);
  const shape = { cpu: '32', memory: '256Gi', pods: '110', ephemeralStorage: '100Gi', kubeletVersion: 'v1.32.0', kubeletPort: 40123 };
  const node = nodeObject(n!, shape, NOW);
  assert.deepEqual(node.spec, { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] });
  const labels = node.metadata!.labels!;
  assert.equal(labels['kubernetes.io/hostname'], 'sim-0');
  assert.equal(labels['topology.kubernetes.io/zone'], 'us-east-1a');
  assert.equal(labels['topology.kubernetes.io/region'], 'us-east-1');
  assert.equal(labels['kubernetes.io/os'], 'linux');
  assert.equal(labels['kubernetes.io/arch'], 'amd64');
  assert.equal(labels[SIMULATED_LABEL], 'true');
  const status = node.status!;
  assert.deepEqual(status.capacity, { cpu: '32', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '256Gi', pods: '110' });
  assert.deepEqual(status.allocatable, status.capacity);
  assert.deepEqual(status.addresses, [
    { type: 'InternalIP', address: '127.0.0.1' },
    { type: 'Hostname', address: 'sim-0' },
  ]);
  assert.deepEqual(status.daemonEndpoints, { kubeletEndpoint: { Port: 40123 } });
  assert.equal(status.nodeInfo!.kubeletVersion, 'v1.32.0');
  assert.match(status.nodeInfo!.systemUUID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.deepEqual(
    nodeConditions(NOW, '2026-01-02T03:05:00Z').map((c) => [c.type, c.status, c.reason, c.lastHeartbeatTime]),
    [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', '2026-01-02T03:05:00Z'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', '2026-01-02T03:05:00Z'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', '2026-01-02T03:05:00Z'],
      ['Ready', 'True', 'KubeletReady', '2026-01-02T03:05:00Z'],
    ],
  );
  n!.uid = 'node-uid';
  const lease = nodeLease({
    nodeName: n!.name,
    nodeUid: n!.uid,
    durationSeconds: 40,
    at: new Date(Date.parse(NOW) + 250),
    last: { metadata: { name: 'sim-0', resourceVersion: '7' }, spec: { holderIdentity: 'sim-0' } },
  });
  assert.deepEqual(lease.metadata, {
    name: 'sim-0',
    namespace: 'kube-node-lease',
    resourceVersion: '7',
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'sim-0', uid: 'node-uid' }],
  });
  assert.deepEqual(lease.spec, { holderIdentity: 'sim-0', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.250000Z' });
});
