import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { resources, rfc3339 } from '../../client/index.js';
import { LAST_APPLIED_ANNOTATION } from '../../client/transform.js';
import { FakeApi, runControllers, waitFor } from '../fake-api.js';
import { newNodeLifecycleController } from './node-lifecycle.js';

test("a pod on a NotReady node turns not Ready and keeps what the controllers' cache trims (annotations, containers)", async () => {
  const api = new FakeApi();
  const now = rfc3339(new Date());
  await api.create<Node>(resources.nodes, {
    metadata: { name: 'n1' },
    status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
  });
  const c = await runControllers(api, (ctx) => newNodeLifecycleController(ctx, { nodeMonitorPeriodMs: 50, taintEviction: false }));
  try {
    // A pod bound once the controller has seen the node NotReady is marked at once.
    await new Promise((r) => setTimeout(r, 300));
    const applied = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"}}';
    const created = await api.create<Pod>(resources.pods, {
      metadata: { name: 'web', namespace: 'default', annotations: { [LAST_APPLIED_ANNOTATION]: applied, team: 'a' } },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1d'], env: [{ name: 'A', value: '1' }] }] },
    });
    await api.updateStatus<Pod>(resources.pods, {
      ...created,
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: now },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    });
    const pod = await waitFor(async () => {
      const p = await api.get<Pod>({ ...resources.pods, namespace: 'default', name: 'web' });
      return p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False' ? p : undefined;
    }, 'the pod marked not Ready');
    assert.equal(pod.metadata!.annotations![LAST_APPLIED_ANNOTATION], applied, 'the annotation the cache drops is still there');
    assert.equal(pod.metadata!.annotations!.team, 'a');
    assert.deepEqual(pod.spec!.containers[0]!.command, ['sleep', '1d']);
    assert.equal(pod.status!.conditions!.find((x) => x.type === 'PodScheduled')?.status, 'True', 'the other conditions stay');
  } finally {
    await c.stop();
  }
});
