// PodInfo: pods without affinity terms or extended resources share empty ones (the cache holds
// one PodInfo per bound pod), which are not to be changed; the rest is computed as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPodInfo } from './pod-info.js';
import { NodeInfo } from './node-info.js';
import { makeNode, makePod, withRequests } from './testing.js';

test('plain pods share their empty terms and scalar requests, which refuse changes', () => {
  const a = newPodInfo(makePod('a', { containers: [withRequests('100m', '64Mi')] }));
  const b = newPodInfo(makePod('b', { containers: [withRequests('200m')] }));
  assert.equal(a.requests.milliCPU, 100);
  assert.equal(b.requests.milliCPU, 200);
  assert.equal(a.requests.scalar, b.requests.scalar);
  assert.equal(a.requests.scalar, a.nonZeroRequests.scalar);
  assert.equal(a.requiredAffinityTerms, b.preferredAntiAffinityTerms);
  assert.equal(a.requests.scalar.size, 0);
  assert.throws(() => a.requests.scalar.set('example.com/gpu', 1));
  assert.throws(() => (a.requiredAffinityTerms as unknown[]).push(1));
  assert.equal(b.requests.scalar.size, 0, 'nothing leaked into the shared map');
});

test('pods with extended resources and affinity terms keep their own', () => {
  const gpu = newPodInfo(makePod('g', { containers: [withRequests('1', undefined, { 'example.com/gpu': '2' })] }));
  assert.equal(gpu.requests.scalar.get('example.com/gpu'), 2);
  const aff = newPodInfo(
    makePod('f', {
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' }] },
      },
    }),
  );
  assert.equal(aff.requiredAntiAffinityTerms.length, 1);
  // A node sums shared and own requests alike, and takes them off again.
  const ni = new NodeInfo(makeNode('n', { cpu: '4', memory: '8Gi', pods: '110', 'example.com/gpu': '4' }));
  const plain = makePod('p', { nodeName: 'n', containers: [withRequests('500m')] });
  const withGpu = makePod('q', { nodeName: 'n', containers: [withRequests('1', undefined, { 'example.com/gpu': '2' })] });
  ni.addPod(plain);
  ni.addPod(withGpu);
  assert.equal(ni.requested.milliCPU, 1500);
  assert.equal(ni.requested.scalar.get('example.com/gpu'), 2);
  assert.ok(ni.removePod('default/q'));
  assert.equal(ni.requested.scalar.get('example.com/gpu'), 0);
  assert.equal(newPodInfo(plain).requests.scalar.size, 0);
});

test('pods requesting the same share one frozen Resource; requests equal to the non-zero ones are one object', () => {
  const a = newPodInfo(makePod('a', { containers: [withRequests('250m', '128Mi')] }));
  const b = newPodInfo(makePod('b', { containers: [withRequests('250m', '128Mi')] }));
  const c = newPodInfo(makePod('c', { containers: [withRequests('250m')] }));
  assert.equal(b.requests, a.requests, 'one object for equal requests');
  assert.equal(a.nonZeroRequests, a.requests, 'CPU and memory requested: the non-zero requests are the requests');
  assert.ok(Object.isFrozen(a.requests));
  assert.throws(() => {
    a.requests.milliCPU = 1;
  }, TypeError);
  assert.deepEqual(
    { ...a.requests, scalar: a.requests.scalar.size },
    { milliCPU: 250, memory: 128 * 1024 * 1024, ephemeralStorage: 0, allowedPodNumber: 0, scalar: 0 },
  );
  // No memory request: scoring counts upstream's default, so the two differ.
  assert.notEqual(c.nonZeroRequests, c.requests);
  assert.equal(c.requests.memory, 0);
  assert.equal(c.nonZeroRequests.memory, 200 * 1024 * 1024);
  assert.equal(c.requests.milliCPU, 250);
  // A node's sums are its own: adding shared Resources changes none of them.
  const ni = new NodeInfo(makeNode('n', { cpu: '4', memory: '8Gi', pods: '110' }));
  ni.addPod(makePod('p1', { nodeName: 'n', containers: [withRequests('250m', '128Mi')] }));
  ni.addPod(makePod('p2', { nodeName: 'n', containers: [withRequests('250m', '128Mi')] }));
  assert.equal(ni.requested.milliCPU, 500);
  assert.equal(a.requests.milliCPU, 250);
});
