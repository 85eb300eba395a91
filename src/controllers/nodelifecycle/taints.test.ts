import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1';
import {
  computeZoneState,
  matchingTolerations,
  minTolerationMs,
  noScheduleTaintChanges,
  swapTaints,
  toleratesTaint,
  UNREACHABLE_NO_EXECUTE,
  NOT_READY_NO_EXECUTE,
  wantedNoScheduleTaints,
  zoneKey,
} from './taints.js';

const node = (conditions: Array<[string, string]>, spec: Node['spec'] = {}): Node => ({
  metadata: { name: 'n' },
  spec,
  status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
});

test('conditions and cordon call for NoSchedule taints (TaintNodeByCondition)', () => {
  assert.deepEqual(wantedNoScheduleTaints(node([['Ready', 'True']])), []);
  assert.deepEqual(
    wantedNoScheduleTaints(
      node([
        ['Ready', 'Unknown'],
        ['MemoryPressure', 'Unknown'],
      ]),
    ),
    [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }],
  );
  assert.deepEqual(
    wantedNoScheduleTaints(
      node(
        [
          ['Ready', 'False'],
          ['DiskPressure', 'True'],
          ['PIDPressure', 'True'],
          ['NetworkUnavailable', 'True'],
        ],
        { unschedulable: true },
      ),
    ).map((t) => t.key),
    [
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/disk-pressure',
      'node.kubernetes.io/pid-pressure',
      'node.kubernetes.io/network-unavailable',
      'node.kubernetes.io/unschedulable',
    ],
  );
});

test('the NoSchedule pass adds what is missing and removes only controller-owned taints no longer called for', () => {
  const n = node([['Ready', 'True']], {
    unschedulable: true,
    taints: [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      { key: 'example.com/mine', effect: 'NoSchedule' },
    ],
  });
  const { add, remove } = noScheduleTaintChanges(n);
  assert.deepEqual(add, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
  assert.deepEqual(remove, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]);
});

test('swapping taints stamps the new ones, keeps the rest, and reports no change as undefined', () => {
  const start = [
    { key: 'a', effect: 'NoSchedule' },
    { ...NOT_READY_NO_EXECUTE, timeAdded: 't0' },
  ];
  const swapped = swapTaints(start, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE], 't1');
  assert.deepEqual(swapped, [
    { key: 'a', effect: 'NoSchedule' },
    { ...UNREACHABLE_NO_EXECUTE, timeAdded: 't1' },
  ]);
  assert.equal(swapTaints(swapped!, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE], 't2'), undefined, 'already so: the first timeAdded stays');
  assert.deepEqual(swapTaints(swapped!, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE], 't3'), [{ key: 'a', effect: 'NoSchedule' }]);
});

test('tolerations match taints as upstream (empty key with Exists matches all, empty effect any effect)', () => {
  const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  assert.ok(toleratesTaint({ operator: 'Exists' }, taint));
  assert.ok(toleratesTaint({ key: taint.key, operator: 'Exists' }, taint));
  assert.ok(toleratesTaint({ key: taint.key }, taint), 'Equal with no value matches a taint with no value');
  assert.ok(!toleratesTaint({ key: taint.key, operator: 'Equal', value: 'x', effect: 'NoExecute' }, taint));
  assert.ok(!toleratesTaint({ key: taint.key, operator: 'Exists', effect: 'NoSchedule' }, taint));
  assert.ok(!toleratesTaint({ key: 'other', operator: 'Exists' }, taint));
  const taints = [taint, { key: 'example.com/x', value: 'y', effect: 'NoExecute' }];
  assert.deepEqual(matchingTolerations(taints, [{ key: taint.key, operator: 'Exists', tolerationSeconds: 3 }]), { all: false, used: [] });
  const ok = matchingTolerations(taints, [
    { key: taint.key, operator: 'Exists', tolerationSeconds: 3 },
    { key: 'example.com/x', value: 'y' },
  ]);
  assert.equal(ok.all, true);
  assert.equal(ok.used.length, 2);
});

test('the shortest tolerationSeconds wins; none means forever; non-positive means now', () => {
  assert.equal(minTolerationMs([{ tolerationSeconds: 300 }, { tolerationSeconds: 3 }]), 3000);
  assert.equal(minTolerationMs([{ operator: 'Exists' }, { tolerationSeconds: 30 }]), 30_000);
  assert.equal(minTolerationMs([{ operator: 'Exists' }]), -1);
  assert.equal(minTolerationMs([{ tolerationSeconds: 0 }, { tolerationSeconds: 30 }]), 0);
  assert.equal(minTolerationMs([{ tolerationSeconds: -5 }]), 0);
  assert.equal(minTolerationMs([]), 0);
});

test('zones and their disruption states', () => {
  assert.equal(zoneKey(node([])), '');
  assert.equal(zoneKey({ metadata: { labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' } } }), 'r:\0:z');
  const T = { type: 'Ready', status: 'True' };
  const U = { type: 'Ready', status: 'Unknown' };
  assert.deepEqual(computeZoneState([U, undefined], 0.55), { notReady: 2, state: 'FullDisruption' });
  assert.deepEqual(computeZoneState([T, U], 0.55), { notReady: 1, state: 'Normal' });
  assert.deepEqual(computeZoneState([T, U, U], 0.55), { notReady: 2, state: 'Normal' }, 'two not Ready is never partial');
  assert.deepEqual(computeZoneState([T, U, U, U], 0.55), { notReady: 3, state: 'PartialDisruption' });
  assert.deepEqual(computeZoneState([T, T, T, U, U, U], 0.55), { notReady: 3, state: 'Normal' });
});
