import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1';
import {
  ANNOTATION_BACKEND,
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  gatewayOf,
  parsePodNetworkMode,
  peerChange,
  peerEntries,
  peerFromNode,
  type Peer,
} from './peers.js';
import { masqueradeScript } from './masquerade.js';

function node(name: string, podCIDR: string | undefined, ann: Record<string, string>, internalIP = '192.168.1.9'): Node {
  return { metadata: { name, annotations: ann }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: internalIP }] } };
}
const vx = { [ANNOTATION_BACKEND]: 'vxlan', [ANNOTATION_PUBLIC_IP]: '192.168.1.20', [ANNOTATION_VTEP_MAC]: 'AA:bb:cc:dd:ee:01' };

test("a peer's VXLAN address is its podCIDR's network address", () => {
  assert.equal(gatewayOf('10.42.3.0/24'), '10.42.3.0');
  assert.equal(gatewayOf('10.214.9.64/26'), '10.214.9.64');
});

test('a Node becomes a peer once it has a podCIDR and published the same backend', () => {
  assert.deepEqual(peerFromNode(node('n1', '10.42.1.0/24', vx), 'vxlan'), {
    name: 'n1',
    podCidr: '10.42.1.0/24',
    publicIp: '192.168.1.20',
    vtepMac: 'aa:bb:cc:dd:ee:01',
  });
  assert.match((peerFromNode(node('n1', undefined, vx), 'vxlan') as { skip: string }).skip, /no podCIDR/);
  assert.match((peerFromNode(node('n1', '10.42.1.0/24', {}), 'vxlan') as { skip: string }).skip, /not published/);
  assert.match((peerFromNode(node('n1', '10.42.1.0/24', vx), 'host-gw') as { skip: string }).skip, /runs pod network vxlan, this node host-gw/);
  assert.match((peerFromNode(node('n1', '10.42.1.0/24', { ...vx, [ANNOTATION_VTEP_MAC]: 'nope' }), 'vxlan') as { skip: string }).skip, /no valid VTEP MAC/);
  // host-gw needs no MAC; without a public-ip annotation the InternalIP is the next hop.
  assert.deepEqual(peerFromNode(node('n2', '10.42.2.0/24', { [ANNOTATION_BACKEND]: 'host-gw' }), 'host-gw'), {
    name: 'n2',
    podCidr: '10.42.2.0/24',
    publicIp: '192.168.1.9',
  });
});

const p1: Peer = { name: 'n1', podCidr: '10.42.1.0/24', publicIp: '192.168.1.20', vtepMac: 'aa:bb:cc:dd:ee:01' };

test('vxlan: one neighbour, one FDB entry and one onlink route per peer; host-gw: one route via the node IP', () => {
  assert.deepEqual(
    peerEntries(p1, 'vxlan', 'berth.1').map((e) => `${e.tool} ${e.set}`),
    [
      'ip neigh replace 10.42.1.0 lladdr aa:bb:cc:dd:ee:01 dev berth.1 nud permanent',
      'bridge fdb replace aa:bb:cc:dd:ee:01 dev berth.1 dst 192.168.1.20 self permanent',
      'ip route replace 10.42.1.0/24 via 10.42.1.0 dev berth.1 onlink',
    ],
  );
  assert.deepEqual(
    peerEntries(p1, 'host-gw', 'berth.1').map((e) => e.set),
    ['route replace 10.42.1.0/24 via 192.168.1.20'],
  );
});

test('changes touch only what changed: a new MAC replaces the neighbour and FDB entry, not the route', () => {
  const moved = { ...p1, vtepMac: 'aa:bb:cc:dd:ee:02' };
  const c = peerChange(p1, moved, 'vxlan', 'berth.1');
  assert.deepEqual(
    c.del.map((e) => e.del),
    ['fdb del aa:bb:cc:dd:ee:01 dev berth.1 dst 192.168.1.20 self'],
  );
  assert.deepEqual(
    c.set.map((e) => e.key),
    ['neigh 10.42.1.0', 'fdb aa:bb:cc:dd:ee:02 192.168.1.20'],
  );
  assert.deepEqual(peerChange(p1, p1, 'vxlan', 'berth.1'), { del: [], set: [] });
  // A node gone: its route goes first, then its neighbour and FDB entry.
  assert.deepEqual(
    peerChange(p1, undefined, 'vxlan', 'berth.1').del.map((e) => e.key),
    ['route 10.42.1.0/24', 'fdb aa:bb:cc:dd:ee:01 192.168.1.20', 'neigh 10.42.1.0'],
  );
  assert.equal(peerChange(undefined, p1, 'vxlan', 'berth.1').set.length, 3);
});

test('masquerade: only traffic from this node leaving every pod range', () => {
  const s = masqueradeScript('10.42.0.0/24', ['10.42.1.0/24', '10.42.0.0/24']);
  assert.match(s, /elements = \{ 10\.42\.0\.0\/24, 10\.42\.1\.0\/24 \}/);
  assert.match(s, /ip saddr 10\.42\.0\.0\/24 ip daddr != @pod-cidrs masquerade/);
  // Replaced atomically: the table is created (if absent) and deleted before it is written again.
  assert.ok(s.indexOf('delete table ip berth-pod-nat') < s.indexOf('table ip berth-pod-nat {'));
});

test('--pod-network accepts vxlan, host-gw and none only', () => {
  assert.equal(parsePodNetworkMode('host-gw'), 'host-gw');
  assert.throws(() => parsePodNetworkMode('flannel'), /--pod-network flannel: must be one of vxlan, host-gw, none/);
});
