import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import type { RestClient } from '../../client/index.js';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod, makeSnapshot } from '../framework/testing.js';
import { CycleState } from '../framework/types.js';
import { ERR_NO_VOLUME, ERR_NODE_CONFLICT, ERR_UNBOUND_IMMEDIATE, VolumeBinding, type VolumeLister } from './volume-binding.js';

const cls = (name: string, mode: 'Immediate' | 'WaitForFirstConsumer', provisioner = 'berth.dev/local-path'): StorageClass => ({
  metadata: { name },
  provisioner,
  volumeBindingMode: mode,
});
const claim = (name: string, className: string, volumeName?: string, extra: Partial<PersistentVolumeClaim['metadata']> = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, ...extra },
  spec: { storageClassName: className, volumeName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});
const onNode = (node: string) => ({
  required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In' as const, values: [node] }] }] },
});
const volume = (name: string, className: string, node?: string, size = '1Gi', phase = 'Available'): PersistentVolume => ({
  metadata: { name },
  spec: {
    storageClassName: className,
    capacity: { storage: size },
    accessModes: ['ReadWriteOnce'],
    local: { path: '/x' },
    ...(node ? { nodeAffinity: onNode(node) } : {}),
  },
  status: { phase },
});

function plugin(claims: PersistentVolumeClaim[], volumes: PersistentVolume[], classes: StorageClass[], writes: unknown[] = [], stopping = () => false) {
  const lister: VolumeLister = {
    claim: (_ns, n) => claims.find((c) => c.metadata?.name === n),
    volume: (n) => volumes.find((v) => v.metadata?.name === n),
    volumes: () => volumes,
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
  };
  const nodes = ['n1', 'n2'].map((n) => makeNode(n));
  const client = {
    update: async (_r: unknown, o: unknown) => (writes.push(['update', o]), o),
    patch: async (r: { name: string }, p: unknown) => (writes.push(['patch', r.name, p]), p),
  } as unknown as RestClient;
  const snap = makeSnapshot(nodes);
  return { pl: new VolumeBinding({ bindTimeoutSeconds: 1 }, { snapshot: () => snap, client, volumes: lister, stopping }), nodes };
}
const podWith = (...claims: string[]) => makePod('p', { volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) });

describe('VolumeBinding', () => {
  it('skips pods without claims; rejects missing, deleting and unbound Immediate claims', () => {
    const { pl } = plugin(
      [claim('gone-soon', 'std', undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' }), claim('imm', 'std')],
      [],
      [cls('std', 'Immediate')],
    );
    assert.equal(pl.preFilter(new CycleState(), makePod('p')).status.code, Code.Skip);
    const r = (c: string) => pl.preFilter(new CycleState(), podWith(c)).status;
    assert.deepEqual(r('nope').reasons, ['persistentvolumeclaim "nope" not found']);
    assert.deepEqual(r('gone-soon').reasons, ['persistentvolumeclaim "gone-soon" is being deleted']);
    assert.deepEqual(r('imm').reasons, [ERR_UNBOUND_IMMEDIATE]);
    assert.equal(r('imm').code, Code.UnschedulableAndUnresolvable);
  });

  it("a bound claim's local volume pins the pod to the volume's node", () => {
    const { pl, nodes } = plugin(
      [claim('data', 'local-path', 'pv-a')],
      [volume('pv-a', 'local-path', 'n2', '1Gi', 'Bound')],
      [cls('local-path', 'WaitForFirstConsumer')],
    );
    const state = new CycleState();
    assert.equal(pl.preFilter(state, podWith('data')).status.code, Code.Success);
    assert.deepEqual(pl.filter(state, podWith('data'), new NodeInfo(nodes[0]!)).reasons, [ERR_NODE_CONFLICT]);
    assert.equal(pl.filter(state, podWith('data'), new NodeInfo(nodes[1]!)).code, Code.Success);
  });

  it('WaitForFirstConsumer: a class with a provisioner fits any node, and PreBind selects the node on the claim', async () => {
    const c = claim('data', 'local-path');
    const writes: unknown[] = [];
    const { pl, nodes } = plugin([c], [], [cls('local-path', 'WaitForFirstConsumer')], writes);
    const state = new CycleState();
    pl.preFilter(state, podWith('data'));
    assert.equal(pl.filter(state, podWith('data'), new NodeInfo(nodes[0]!)).code, Code.Success);
    assert.equal(pl.reserve(state, podWith('data'), 'n1').code, Code.Success);
    // The claim is bound in the background: PreBind waits for it.
    setTimeout(() => (c.spec!.volumeName = 'pvc-x'), 150);
    const s = await pl.preBind(state, podWith('data'), 'n1');
    assert.equal(s.code, Code.Success);
    assert.deepEqual(writes, [['patch', 'data', { metadata: { annotations: { 'volume.kubernetes.io/selected-node': 'n1' } } }]]);
  });

  it('WaitForFirstConsumer without a provisioner: only nodes with an Available fitting volume; the smallest is bound in PreBind', async () => {
    const vols = [volume('big-n1', 'manual', 'n1', '5Gi'), volume('small-n1', 'manual', 'n1', '2Gi'), volume('tiny', 'manual', 'n1', '100Mi')];
    const writes: unknown[] = [];
    const c = claim('data', 'manual');
    const { pl, nodes } = plugin([c], vols, [cls('manual', 'WaitForFirstConsumer', 'kubernetes.io/no-provisioner')], writes);
    const state = new CycleState();
    pl.preFilter(state, podWith('data'));
    assert.deepEqual(pl.filter(state, podWith('data'), new NodeInfo(nodes[1]!)).reasons, [ERR_NO_VOLUME]);
    assert.equal(pl.filter(state, podWith('data'), new NodeInfo(nodes[0]!)).code, Code.Success);
    pl.reserve(state, podWith('data'), 'n1');
    c.spec!.volumeName = 'small-n1';
    assert.equal((await pl.preBind(state, podWith('data'), 'n1')).code, Code.Success);
    const [[verb, pv]] = writes as Array<[string, PersistentVolume]>;
    assert.equal(verb, 'update');
    assert.equal(pv.metadata?.name, 'small-n1');
    assert.deepEqual(pv.spec?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'data', uid: 'uid-data' });
  });

  it('PreBind gives up at once when the scheduler stops', async () => {
    const { pl } = plugin([claim('data', 'local-path')], [], [cls('local-path', 'WaitForFirstConsumer')], [], () => true);
    const state = new CycleState();
    pl.preFilter(state, podWith('data'));
    pl.reserve(state, podWith('data'), 'n1');
    const started = Date.now();
    const s = await pl.preBind(state, podWith('data'), 'n1');
    assert.equal(s.code, Code.Error);
    assert.ok(Date.now() - started < 500, 'no wait for the bind timeout');
  });

  it('PreBind fails when the claim is not bound in time', async () => {
    const { pl } = plugin([claim('data', 'local-path')], [], [cls('local-path', 'WaitForFirstConsumer')]);
    const state = new CycleState();
    pl.preFilter(state, podWith('data'));
    pl.reserve(state, podWith('data'), 'n1');
    const s = await pl.preBind(state, podWith('data'), 'n1');
    assert.equal(s.code, Code.Error);
  });
});
