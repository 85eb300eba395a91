import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node } from 'kubernetes-types/core/v1';
import { daemonPodSpec, nodeShouldRunDaemonPod, targetNodeName } from './placement.js';

const ds = (spec: Record<string, unknown> = {}): DaemonSet => ({
  metadata: { name: 'd', namespace: 'n' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } } },
});
const node = (name: string, labels: Record<string, string> = {}, taints: Node['spec'] extends infer S ? any : never = []): Node => ({
  metadata: { name, labels },
  spec: { taints },
});

test('placement: node selector and required affinity decide; NoSchedule taints stop new pods but keep running ones; NoExecute evicts', () => {
  assert.deepEqual(nodeShouldRunDaemonPod(node('n1'), ds()), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node('n1'), ds({ nodeSelector: { disk: 'ssd' } })).shouldRun, false);
  assert.deepEqual(nodeShouldRunDaemonPod(node('n1', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } })).shouldRun, true);
  assert.deepEqual(nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'gpu', effect: 'NoSchedule' }]), ds()), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'gpu', effect: 'NoExecute' }]), ds()), { shouldRun: false, shouldContinueRunning: false });
  assert.deepEqual(
    nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'gpu', effect: 'NoExecute' }]), ds({ tolerations: [{ key: 'gpu', operator: 'Exists' }] })).shouldRun,
    true,
  );
  // The tolerations every daemon pod gets: an unschedulable (cordoned) or not-ready node still runs it.
  assert.equal(nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), ds()).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), ds()).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), ds()).shouldRun, false);
  assert.equal(
    nodeShouldRunDaemonPod(node('n1', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), ds({ hostNetwork: true })).shouldRun,
    true,
  );
});

test('the pod for a node: pinned by matchFields metadata.name, the template affinity replaced, tolerations added once', () => {
  const spec = daemonPodSpec(
    ds({
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } },
      },
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
    }),
    'n7',
  )!;
  assert.deepEqual(spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution, {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }],
  });
  assert.equal(spec.tolerations!.filter((t) => t.key === 'node.kubernetes.io/not-ready').length, 1);
  assert.deepEqual(spec.tolerations!.map((t) => `${t.key}:${t.effect}`).sort(), [
    'node.kubernetes.io/disk-pressure:NoSchedule',
    'node.kubernetes.io/memory-pressure:NoSchedule',
    'node.kubernetes.io/not-ready:NoExecute',
    'node.kubernetes.io/pid-pressure:NoSchedule',
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/unschedulable:NoSchedule',
  ]);
  assert.equal(targetNodeName({ spec: { containers: [], affinity: spec.affinity } }), 'n7');
  assert.equal(targetNodeName({ spec: { containers: [], nodeName: 'bound' } }), 'bound');
});
