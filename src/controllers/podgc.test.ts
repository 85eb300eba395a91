import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { NodeQuarantine, terminatedToDelete, terminatingOnOutOfServiceNodes, unscheduledTerminating } from './podgc.js';

function pod(name: string, created: string, status: Pod['status'] = {}, meta: Record<string, unknown> = {}, spec: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name, namespace: 'ns', creationTimestamp: created, ...meta }, spec: { containers: [], ...spec }, status };
}

test('terminated pods beyond the threshold go, evicted first, then oldest, names breaking ties', () => {
  const pods = [
    pod('running', '2024-01-01T00:00:00Z', { phase: 'Running' }),
    pod('old-ok', '2024-01-01T00:00:01Z', { phase: 'Succeeded' }),
    pod('b-same', '2024-01-01T00:00:02Z', { phase: 'Failed' }),
    pod('a-same', '2024-01-01T00:00:02Z', { phase: 'Failed' }),
    pod('evicted', '2024-01-01T00:00:09Z', { phase: 'Failed', reason: 'Evicted' }),
    pod('young', '2024-01-01T00:00:05Z', { phase: 'Succeeded' }),
  ];
  assert.deepEqual(
    terminatedToDelete(pods, 2).map((p) => p.metadata!.name),
    ['evicted', 'old-ok', 'a-same'],
  );
  assert.deepEqual(terminatedToDelete(pods, 5), []);
  assert.deepEqual(terminatedToDelete(pods, 0), [], 'a threshold of 0 turns this off');
});

test('terminating pods: unscheduled ones, and those on not-Ready out-of-service nodes', () => {
  const gone = { deletionTimestamp: '2024-01-01T00:01:00Z' };
  const pods = [
    pod('unscheduled', '2024-01-01T00:00:00Z', {}, gone),
    pod('scheduled', '2024-01-01T00:00:00Z', {}, gone, { nodeName: 'oos' }),
    pod('healthy-node', '2024-01-01T00:00:00Z', {}, gone, { nodeName: 'ok' }),
    pod('not-terminating', '2024-01-01T00:00:00Z', {}, {}, { nodeName: 'oos' }),
  ];
  assert.deepEqual(
    unscheduledTerminating(pods).map((p) => p.metadata!.name),
    ['unscheduled'],
  );
  const nodes = new Map<string, Node>([
    [
      'oos',
      {
        metadata: { name: 'oos' },
        spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] },
        status: { conditions: [{ type: 'Ready', status: 'False' }] },
      },
    ],
    [
      'ok',
      {
        metadata: { name: 'ok' },
        spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ],
  ]);
  assert.deepEqual(
    terminatingOnOutOfServiceNodes(pods, nodes).map((p) => p.metadata!.name),
    ['scheduled'],
  );
});

test('a missing node is checked only after its quarantine, once', () => {
  const q = new NodeQuarantine(40_000);
  q.add('gone', 1000);
  q.add('gone', 30_000);
  assert.deepEqual(q.takeDue(40_999), []);
  assert.deepEqual(q.takeDue(41_000), ['gone']);
  assert.deepEqual(q.takeDue(100_000), []);
});
