import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { resources } from '../../client/index.js';
import { FakeApi, markPodReady, runControllers, waitFor } from '../fake-api.js';
import { newDaemonSetController } from './controller.js';
import { targetNodeName } from './placement.js';

const NS = 'default';

const node = (name: string, taints: NonNullable<Node['spec']>['taints'] = []): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: { taints },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

const daemonSet = (image: string): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: NS },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }] } } },
});

const pods = (api: FakeApi) => api.objects<Pod>('/pods', NS).filter((p) => !p.metadata?.deletionTimestamp);
const ds = (api: FakeApi) => api.objects<DaemonSet>('apps/daemonsets', NS)[0]!;

/** Plays kubelet and scheduler: binds each pod to the node it is pinned to, Ready; removes deleted pods. */
function fakeNodes(api: FakeApi): () => void {
  return api.onChange((rkey, ev) => {
    if (rkey !== '/pods') return;
    const p = ev.object as Pod;
    const { namespace, name } = p.metadata!;
    if (ev.type === 'ADDED') setTimeout(() => void markPodReady(api, namespace!, name!, targetNodeName(p)).catch(() => {}), 5);
    if (ev.type === 'MODIFIED' && p.metadata?.deletionTimestamp) {
      setTimeout(() => void api.delete({ ...resources.pods, namespace, name: name! }).catch(() => {}), 5);
    }
  });
}

test('one pod per untainted node, pinned to it; a new node gets one; an image change rolls one node at a time with a new revision', async () => {
  const api = new FakeApi();
  for (const n of ['n1', 'n2']) await api.create(resources.nodes, node(n));
  await api.create(resources.nodes, node('tainted', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]));
  const stopNodes = fakeNodes(api);
  const { stop } = await runControllers(api, (ctx) => newDaemonSetController(ctx));
  try {
    await api.create(resources.daemonsets, daemonSet('img:1'));
    await waitFor(() => pods(api).length === 2 && ds(api).status?.numberReady === 2, '2 ready pods');
    assert.deepEqual(pods(api).map(targetNodeName).sort(), ['n1', 'n2']);
    const s = ds(api).status!;
    assert.deepEqual([s.desiredNumberScheduled, s.currentNumberScheduled, s.numberAvailable, s.updatedNumberScheduled, s.numberMisscheduled], [2, 2, 2, 2, 0]);
    const revs1 = api.objects<ControllerRevision>('apps/controllerrevisions', NS);
    assert.equal(revs1.length, 1);
    assert.equal(revs1[0]!.revision, 1);
    const hash1 = revs1[0]!.metadata!.labels!['controller-revision-hash'];
    assert.ok(pods(api).every((p) => p.metadata!.labels!['controller-revision-hash'] === hash1 && p.metadata!.labels!['pod-template-generation'] === '1'));

    await api.create(resources.nodes, node('n3'));
    await waitFor(() => ds(api).status?.numberReady === 3, 'a pod on the new node');

    // The rollout: never more than one node without an available pod (maxUnavailable 1).
    let worst = 3;
    const off = api.onChange(() => {
      const ready = new Set(
        pods(api)
          .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          .map(targetNodeName),
      );
      worst = Math.min(worst, ready.size);
    });
    await api.patch(
      { ...resources.daemonsets, namespace: NS, name: 'agent' },
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } },
      'strategic',
    );
    await waitFor(
      () => {
        const s = ds(api).status;
        return (
          s?.observedGeneration === 2 &&
          s.updatedNumberScheduled === 3 &&
          s.numberAvailable === 3 &&
          pods(api).every((p) => p.spec!.containers[0]!.image === 'img:2')
        );
      },
      'rolled out',
      10_000,
    );
    off();
    assert.ok(worst >= 2, `${3 - worst} nodes were without a ready pod at once`);
    const revs = api.objects<ControllerRevision>('apps/controllerrevisions', NS).sort((a, b) => a.revision! - b.revision!);
    assert.deepEqual(
      revs.map((r) => r.revision),
      [1, 2],
    );
  } finally {
    await stop();
    stopNodes();
  }
});
