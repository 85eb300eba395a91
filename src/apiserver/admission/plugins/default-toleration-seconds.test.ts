import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Toleration } from 'kubernetes-types/core/v1';
import { defaultTolerationSeconds } from './default-toleration-seconds.js';
import { attributes } from '../test-helpers.js';

const pod = (tolerations?: Toleration[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [], tolerations },
});

test('a new pod tolerates not-ready and unreachable nodes for 300 s', () => {
  const a = attributes('pods', { object: pod() });
  assert.ok(defaultTolerationSeconds.handles(a));
  defaultTolerationSeconds.admit!(a);
  assert.deepEqual((a.object!.spec as { tolerations: Toleration[] }).tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test("the pod's own toleration of a taint wins, and a toleration of everything covers both", () => {
  const own: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 6000 };
  const a = attributes('pods', { object: pod([own]) });
  defaultTolerationSeconds.admit!(a);
  const got = (a.object!.spec as { tolerations: Toleration[] }).tolerations;
  assert.deepEqual(
    got.map((t) => [t.key, t.tolerationSeconds]),
    [
      ['node.kubernetes.io/unreachable', 6000],
      ['node.kubernetes.io/not-ready', 300],
    ],
  );
  const all = attributes('pods', { object: pod([{ operator: 'Exists' }]) });
  defaultTolerationSeconds.admit!(all);
  assert.equal((all.object!.spec as { tolerations: Toleration[] }).tolerations.length, 1);
});

test('only pod creation: updates and subresources are left alone', () => {
  assert.ok(!defaultTolerationSeconds.handles(attributes('pods', { object: pod(), operation: 'UPDATE' })));
  assert.ok(!defaultTolerationSeconds.handles(attributes('pods', { object: pod(), subresource: 'status' })));
  assert.ok(!defaultTolerationSeconds.handles(attributes('configmaps', { object: pod() })));
});
