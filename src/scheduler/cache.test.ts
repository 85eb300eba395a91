// The scheduler's cache: one key string per cached pod, however often the pod is updated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowth } from '../client/heap-growth.js';
import type { Pod } from 'kubernetes-types/core/v1';
import { SchedulerCache } from './cache.js';
import { makeNode } from './framework/testing.js';

test('the cache, its nodes and its affinity index hold one key string per pod across updates and an assumption', () => {
  const n = 2000;
  const long = 'x'.repeat(4000);
  // A fresh object each time, as the informer delivers: its own copies of its strings.
  const pod = (i: number, rv: number): Pod =>
    JSON.parse(
      JSON.stringify({
        metadata: { name: `p-${i}-${long}`, namespace: 'ns', uid: `u${i}`, resourceVersion: String(rv) },
        spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { requests: { cpu: '10m' } } }] },
      }),
    ) as Pod;
  const cache = new SchedulerCache();
  cache.addOrUpdateNode(makeNode('n1', { cpu: '1000', memory: '1Ti', pods: '100000' }));
  const kept: Pod[] = [];
  const { bytes } = heapGrowth(() => {
    for (let i = 0; i < n; i++) {
      const unbound = pod(i, 1);
      cache.assume({ ...unbound, spec: { ...unbound.spec!, nodeName: undefined } } as Pod, 'n1');
      cache.addOrUpdatePod(pod(i, 2));
      const last = pod(i, 3);
      cache.addOrUpdatePod(last);
      kept.push(last);
    }
  });
  const perPodKb = bytes / n / 1024;
  assert.equal(cache.podCount, n);
  assert.equal(cache.isAssumed(kept[5]!), false, 'the update confirmed the assumption');
  assert.ok(cache.get('n1')!.pods.length === n);
  // The latest pod's own name (4 KB), one key (4 KB) and the small rest (measured 8.6 KB in
  // all); each further copy of the key is 4 KB more (12.5 KB measured before the fix).
  assert.ok(perPodKb < 10.5, `a cached pod holds ${perPodKb.toFixed(1)} KB: more than its name and one key`);
});
