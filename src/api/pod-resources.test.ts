import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { podResources } from './pod-resources.js';

const c = (name: string, cpu: string, restartPolicy?: string) => ({
  name,
  image: 'x',
  resources: { requests: { cpu } },
  ...(restartPolicy ? { restartPolicy } : {}),
});
const total = (spec: Record<string, unknown>) =>
  podResources({ spec } as unknown as Pod, 'requests')
    .get('cpu')
    ?.toString();

test("a pod's requests: containers add up, a plain init container counts at its peak, sidecars run alongside", () => {
  assert.equal(total({ containers: [c('a', '100m'), c('b', '200m')] }), '300m');
  assert.equal(total({ containers: [c('a', '100m')], initContainers: [c('i', '1')] }), '1');
  assert.equal(total({ containers: [c('a', '100m')], initContainers: [c('i', '50m')] }), '100m');
  // A sidecar (restartPolicy Always) adds to the app containers and to each later init container.
  assert.equal(total({ containers: [c('a', '100m')], initContainers: [c('side', '200m', 'Always'), c('i', '500m')] }), '700m');
  assert.equal(total({ containers: [c('a', '100m')], initContainers: [c('side', '200m', 'Always')] }), '300m');
  assert.equal(total({ containers: [c('a', '100m')], overhead: { cpu: '10m' } }), '110m');
});
