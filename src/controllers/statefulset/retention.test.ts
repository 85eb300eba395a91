import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { claimMatchesPolicy, claimOwnerRefs, isScaledDown } from './retention.js';

const set = (whenDeleted: string, whenScaled: string, replicas = 2): StatefulSet => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'set-uid' },
  spec: {
    replicas,
    serviceName: 'web',
    selector: {},
    template: {},
    persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled },
  },
});
const pod = (ord: number): Pod => ({ metadata: { name: `web-${ord}`, uid: `pod-${ord}` } });
const claim = (refs: Array<{ kind: string; uid: string }> = []): PersistentVolumeClaim => ({
  metadata: { name: 'data-web-0', ownerReferences: refs.map((r) => ({ apiVersion: 'v1', name: 'x', ...r })) },
});
const owners = (c: PersistentVolumeClaim, s: StatefulSet, p?: Pod) => claimOwnerRefs(c, s, p).map((r) => `${r.kind}/${r.uid}`);

test('the retention policy as owner references, as upstream updateClaimOwnerRefForSetAndPod', () => {
  // [whenDeleted, whenScaled] -> owners of a claim of a pod in range, and of a scaled-down pod.
  const cases: Array<[string, string, string[], string[]]> = [
    ['Retain', 'Retain', [], []],
    ['Delete', 'Retain', ['StatefulSet/set-uid'], ['StatefulSet/set-uid']],
    ['Retain', 'Delete', [], ['Pod/pod-5']],
    ['Delete', 'Delete', ['StatefulSet/set-uid'], ['Pod/pod-5']],
  ];
  for (const [whenDeleted, whenScaled, inRange, scaledDown] of cases) {
    const s = set(whenDeleted, whenScaled);
    assert.deepEqual(owners(claim(), s, pod(1)), inRange, `${whenDeleted}/${whenScaled} in range`);
    assert.deepEqual(owners(claim(), s, pod(5)), scaledDown, `${whenDeleted}/${whenScaled} scaled down`);
  }
});

test("a policy back to Retain removes the set's and the pod's references and keeps anyone else's", () => {
  const c = claim([
    { kind: 'StatefulSet', uid: 'set-uid' },
    { kind: 'Pod', uid: 'pod-1' },
    { kind: 'ConfigMap', uid: 'other' },
  ]);
  assert.deepEqual(owners(c, set('Retain', 'Retain'), pod(1)), ['ConfigMap/other']);
  assert.equal(claimMatchesPolicy(c, set('Retain', 'Retain'), pod(1)), false);
  assert.equal(claimMatchesPolicy(claim([{ kind: 'StatefulSet', uid: 'set-uid' }]), set('Delete', 'Retain'), pod(1)), true);
});

test('a pod is scaled down when its ordinal is outside [start, start+replicas)', () => {
  const s = set('Retain', 'Retain', 2);
  assert.deepEqual(
    [0, 1, 2].map((o) => isScaledDown(s, pod(o))),
    [false, false, true],
  );
  s.spec!.ordinals = { start: 3 };
  assert.deepEqual(
    [2, 3, 4, 5].map((o) => isScaledDown(s, pod(o))),
    [true, false, false, true],
  );
});
