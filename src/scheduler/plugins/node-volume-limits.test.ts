import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { CSINode, StorageClass } from 'kubernetes-types/storage/v1';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod, makeSnapshot } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { attachLimitKey, ERR_MAX_VOLUME_COUNT, NodeVolumeLimits, volumeLimits } from './node-volume-limits.js';
import type { VolumeLister } from './volume-binding.js';

const EBS = 'ebs.csi.aws.com';
const GCE = 'pd.csi.storage.gke.io';

const csiPV = (name: string, driver: string, handle = name): PersistentVolume => ({
  metadata: { name },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver, volumeHandle: handle } },
});
const hostPathPV = (name: string): PersistentVolume => ({
  metadata: { name },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } },
});
const pvc = (name: string, opts: { volumeName?: string; className?: string; ownerUid?: string } = {}): PersistentVolumeClaim => ({
  metadata: {
    name,
    namespace: 'default',
    ...(opts.ownerUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'owner', uid: opts.ownerUid, controller: true }] } : {}),
  },
  spec: { volumeName: opts.volumeName, storageClassName: opts.className, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});
const sc = (name: string, provisioner: string): StorageClass => ({ metadata: { name }, provisioner, volumeBindingMode: 'WaitForFirstConsumer' });
const csiNode = (limits: Record<string, number | undefined>): CSINode => ({
  metadata: { name: 'n1' },
  spec: { drivers: Object.entries(limits).map(([name, count]) => ({ name, nodeID: 'n1-id', ...(count === undefined ? {} : { allocatable: { count } }) })) },
});

const claims = [
  pvc('ebs-1', { volumeName: 'pv-ebs-1' }),
  pvc('ebs-2', { volumeName: 'pv-ebs-2' }),
  pvc('ebs-3', { volumeName: 'pv-ebs-3' }),
  // Two volumes over one disk: the same driver/handle is one attachment.
  pvc('ebs-1-again', { volumeName: 'pv-ebs-1-alias' }),
  pvc('gce-1', { volumeName: 'pv-gce-1' }),
  pvc('host-1', { volumeName: 'pv-host-1' }),
  pvc('unbound-ebs', { className: 'ebs-sc' }),
  pvc('unbound-other', { className: 'other-sc' }),
  pvc('unbound-no-class'),
  pvc('bound-to-unseen-pv', { volumeName: 'pv-not-yet', className: 'ebs-sc' }),
  pvc('p-scratch', { className: 'ebs-sc', ownerUid: 'uid-p' }),
  pvc('p-stolen', { className: 'ebs-sc', ownerUid: 'uid-someone-else' }),
];
const volumes = [
  csiPV('pv-ebs-1', EBS, 'vol-1'),
  csiPV('pv-ebs-2', EBS, 'vol-2'),
  csiPV('pv-ebs-3', EBS, 'vol-3'),
  csiPV('pv-ebs-1-alias', EBS, 'vol-1'),
  csiPV('pv-gce-1', GCE, 'disk-1'),
  hostPathPV('pv-host-1'),
];
const classes = [sc('ebs-sc', EBS), sc('other-sc', 'example.com/other')];

const lister: VolumeLister = {
  claim: (ns, n) => claims.find((c) => c.metadata?.namespace === ns && c.metadata?.name === n),
  volume: (n) => volumes.find((v) => v.metadata?.name === n),
  volumes: () => volumes,
  storageClass: (n) => classes.find((c) => c.metadata?.name === n),
};

const claimsPod = (name: string, claimNames: string[], nodeName?: string): Pod =>
  makePod(name, { nodeName, volumes: claimNames.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) });
/** The pod "p" (uid-p) with generic ephemeral volumes, whose claims are named p-<volume>. */
const ephemeralPod = (...volumeNames: string[]): Pod =>
  makePod(
    'p',
    { volumes: volumeNames.map((name) => ({ name, ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } })) },
    { uid: 'uid-p' },
  );

function run(pod: Pod, existing: Pod[], csi: CSINode | undefined, node: Node = makeNode('n1')) {
  const snap = makeSnapshot([node], existing);
  const pl = new NodeVolumeLimits(undefined, { snapshot: () => snap, volumes: lister, csiNodes: { csiNode: (n) => (n === 'n1' ? csi : undefined) } });
  const state = new CycleState();
  const pre = pl.preFilter(state, pod).status;
  if (pre.code === Code.Skip) return pre;
  return pl.filter(state, pod, snap.get('n1') as NodeInfo);
}

describe('NodeVolumeLimits', () => {
  const cases: Array<{ name: string; pod: Pod; existing: Pod[]; csi?: CSINode; node?: Node; code: Code; reasons?: string[] }> = [
    {
      name: 'limit reached: one EBS volume in use, limit 1, a second one asked for',
      pod: claimsPod('new', ['ebs-2']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: 'limit not reached: limit 2',
      pod: claimsPod('new', ['ebs-2']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 2 }),
      code: Code.Success,
    },
    {
      name: 'the new pod alone exceeds the limit with two volumes',
      pod: claimsPod('new', ['ebs-2', 'ebs-3']),
      existing: [],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: 'a volume another pod on the node already uses is counted once',
      pod: claimsPod('new', ['ebs-1']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Success,
    },
    {
      name: 'two volumes over the same driver handle are one attachment',
      pod: claimsPod('new', ['ebs-1-again']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Success,
    },
    {
      name: "limits are per driver: another driver's volumes do not count",
      pod: claimsPod('new', ['gce-1']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1, [GCE]: 1 }),
      code: Code.Success,
    },
    {
      name: 'a driver without allocatable count has no limit',
      pod: claimsPod('new', ['gce-1']),
      existing: [],
      csi: csiNode({ [EBS]: 0, [GCE]: undefined }),
      code: Code.Success,
    },
    {
      name: 'no CSINode: no limit',
      pod: claimsPod('new', ['ebs-2', 'ebs-3']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      code: Code.Success,
    },
    {
      name: 'non-CSI volumes are not counted',
      pod: claimsPod('new', ['host-1']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Success,
    },
    {
      name: "an unbound claim counts as a volume of its class's provisioner",
      pod: claimsPod('new', ['unbound-ebs']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: "an unbound claim of another provisioner's class is not an EBS volume",
      pod: claimsPod('new', ['unbound-other']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Success,
    },
    {
      name: 'an unbound claim without a class is not counted (it binds before scheduling)',
      pod: claimsPod('new', ['unbound-no-class']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Success,
    },
    {
      name: 'a claim bound to a volume not seen yet counts through its class',
      pod: claimsPod('new', ['bound-to-unseen-pv']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: "an existing pod's unbound claims count too",
      pod: claimsPod('new', ['ebs-1']),
      existing: [claimsPod('old', ['unbound-ebs'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: 'a missing claim of the new pod is unresolvable',
      pod: claimsPod('new', ['nowhere']),
      existing: [],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.UnschedulableAndUnresolvable,
      reasons: ['looking up PVC default/nowhere: persistentvolumeclaim "nowhere" not found'],
    },
    {
      name: "an existing pod's missing claim is not counted",
      pod: claimsPod('new', ['ebs-1']),
      existing: [claimsPod('old', ['nowhere'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Success,
    },
    {
      name: "a generic ephemeral volume counts through its claim's class",
      pod: ephemeralPod('scratch'),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: 'an ephemeral volume whose claim another pod owns is an error',
      pod: ephemeralPod('stolen'),
      existing: [],
      csi: csiNode({ [EBS]: 1 }),
      code: Code.Error,
      reasons: ['PVC default/p-stolen was not created for pod default/p (pod is not owner)'],
    },
    {
      name: "without a CSINode, the Node's attachable-volumes-csi-<driver> allocatable is the limit",
      pod: claimsPod('new', ['ebs-2']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      node: makeNode('n1', { cpu: '4', memory: '16Gi', pods: '110', [`attachable-volumes-csi-${EBS}`]: '1' }),
      code: Code.Unschedulable,
      reasons: [ERR_MAX_VOLUME_COUNT],
    },
    {
      name: "the CSINode's count wins over the Node's allocatable",
      pod: claimsPod('new', ['ebs-2']),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 5 }),
      node: makeNode('n1', { cpu: '4', memory: '16Gi', pods: '110', [`attachable-volumes-csi-${EBS}`]: '1' }),
      code: Code.Success,
    },
    {
      name: 'a pod without claims is skipped',
      pod: makePod('plain', { volumes: [{ name: 'e', emptyDir: {} }] }),
      existing: [claimsPod('old', ['ebs-1'], 'n1')],
      csi: csiNode({ [EBS]: 0 }),
      code: Code.Skip,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = run(c.pod, c.existing, c.csi, c.node);
      assert.equal(s.code, c.code, `code ${Code[s.code]}: ${s.reasons.join('; ')}`);
      if (c.reasons) assert.deepEqual(s.reasons, c.reasons);
    });
  }

  it('the limit key of a long driver name keeps 23 characters and a hash, as upstream', () => {
    assert.equal(attachLimitKey(EBS), 'attachable-volumes-csi-ebs.csi.aws.com');
    const long = 'a-very-long-csi-driver-name.storage.example.com';
    const key = attachLimitKey(long);
    // sha1 of the whole name, its first 16 hex digits (computed with Python's hashlib).
    assert.equal(key, 'attachable-volumes-csi-a-very-long-csi-driver-86bf5f46bc6f1680');
    assert.notEqual(attachLimitKey(`${long}x`), key);
    assert.deepEqual([...volumeLimits(undefined, csiNode({ [long]: 3 }))], [[key, 3]]);
  });

  const hintFor = (resource: string, action: string) => {
    const pl = new NodeVolumeLimits(undefined, { snapshot: () => makeSnapshot([]) });
    const reg = pl.eventsToRegister().find((e) => e.event.resource === resource && e.event.actions.includes(action as never));
    assert.ok(reg, `registered for ${resource}/${action}`);
    return reg.hint ?? (() => QueueingHint.Queue);
  };
  const waiting = claimsPod('waiting', ['ebs-2']);

  it('requeues on a deleted pod only if it had claims', () => {
    const hint = hintFor('AssignedPod', 'Delete');
    assert.equal(hint(waiting, claimsPod('gone', ['ebs-1'], 'n1'), undefined), QueueingHint.Queue);
    assert.equal(hint(waiting, makePod('gone', { nodeName: 'n1' }), undefined), QueueingHint.Skip);
  });

  it('requeues on any new CSINode, and on an updated one only if a count went up', () => {
    assert.equal(hintFor('CSINode', 'Add')(waiting, undefined, csiNode({ [EBS]: 1 })), QueueingHint.Queue);
    const update = hintFor('CSINode', 'Update');
    assert.equal(update(waiting, csiNode({ [EBS]: 1 }), csiNode({ [EBS]: 2 })), QueueingHint.Queue);
    assert.equal(update(waiting, csiNode({ [EBS]: 1 }), csiNode({ [EBS]: 1, [GCE]: 3 })), QueueingHint.Queue, 'a new driver with a count');
    assert.equal(update(waiting, csiNode({ [EBS]: 2 }), csiNode({ [EBS]: 1 })), QueueingHint.Skip);
    assert.equal(update(waiting, csiNode({ [EBS]: 1, [GCE]: 3 }), csiNode({ [EBS]: 1 })), QueueingHint.Skip, 'a driver gone');
  });

  it("requeues on a new claim only if it is one of the pod's", () => {
    const hint = hintFor('PersistentVolumeClaim', 'Add');
    assert.equal(hint(waiting, undefined, pvc('ebs-2')), QueueingHint.Queue);
    assert.equal(hint(waiting, undefined, pvc('ebs-3')), QueueingHint.Skip);
    assert.equal(hint(waiting, undefined, { ...pvc('ebs-2'), metadata: { name: 'ebs-2', namespace: 'other' } }), QueueingHint.Skip);
    assert.equal(hint(ephemeralPod('scratch'), undefined, pvc('p-scratch')), QueueingHint.Queue, "an ephemeral volume's claim");
  });
});
