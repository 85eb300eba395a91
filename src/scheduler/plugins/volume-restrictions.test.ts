import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import { Code } from '../framework/status.js';
import { makeNode, makePod, makeSnapshot } from '../framework/testing.js';
import { CycleState } from '../framework/types.js';
import { ERR_RWOP_CONFLICT, VolumeRestrictions } from './volume-restrictions.js';

const claim = (name: string, modes: string[]): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default' }, spec: { accessModes: modes } });
const claims = [claim('solo', ['ReadWriteOncePod']), claim('shared', ['ReadWriteOnce'])];
const user = (name: string, claimName: string, nodeName?: string) =>
  makePod(name, { nodeName, volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] }, { uid: `uid-${name}` });

function plugin(placed: ReturnType<typeof user>[]) {
  const snap = makeSnapshot([makeNode('n1'), makeNode('n2')], placed);
  const volumes = {
    claim: (_ns: string, n: string) => claims.find((c) => c.metadata?.name === n),
    volume: () => undefined,
    volumes: () => [],
    storageClass: () => undefined,
  };
  return new VolumeRestrictions(undefined, { snapshot: () => snap, volumes });
}

describe('VolumeRestrictions', () => {
  it('a ReadWriteOncePod claim another pod uses keeps the pod out of every node', () => {
    const s = plugin([user('first', 'solo', 'n2')]).preFilter(new CycleState(), user('second', 'solo')).status;
    assert.equal(s.code, Code.Unschedulable);
    assert.deepEqual(s.reasons, [ERR_RWOP_CONFLICT]);
  });

  it('a claim of other modes, or one nobody uses, does not restrict', () => {
    assert.equal(plugin([user('first', 'shared', 'n1')]).preFilter(new CycleState(), user('second', 'shared')).status.code, Code.Skip);
    assert.equal(plugin([]).preFilter(new CycleState(), user('second', 'solo')).status.code, Code.Success);
    assert.equal(plugin([]).preFilter(new CycleState(), makePod('plain')).status.code, Code.Skip);
  });
});
