import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { Code } from '../framework/status.js';
import { makeNode, makePod, makeSnapshot } from '../framework/testing.js';
import { CycleState, type Handle } from '../framework/types.js';
import { calculatePriority, ImageLocality, MAX_CONTAINER_THRESHOLD, MIN_THRESHOLD, normalizedImageName } from './image-locality.js';

const MB = 1024 * 1024;

/** A snapshot whose nodes carry the given images (name → size); numNodes counts nodes per image. */
function setup(nodeImages: Record<string, Record<string, number>>): { handle: Handle; nodes: Node[] } {
  const nodes = Object.keys(nodeImages).map((n) => makeNode(n));
  const snapshot = makeSnapshot(nodes);
  const spread = new Map<string, number>();
  for (const images of Object.values(nodeImages)) for (const img of Object.keys(images)) spread.set(img, (spread.get(img) ?? 0) + 1);
  for (const [n, images] of Object.entries(nodeImages)) {
    const ni = snapshot.get(n)!;
    ni.imageStates = new Map(Object.entries(images).map(([img, size]) => [img, { size, numNodes: spread.get(img)! }]));
  }
  return { handle: { snapshot: () => snapshot }, nodes };
}

const podWith = (...images: string[]): Pod => makePod('p', { containers: images.map((image, i) => ({ name: `c${i}`, image })) });

describe('normalizedImageName', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['quay.io/org/app@sha256:abc', 'quay.io/org/app@sha256:abc'],
  ];
  for (const [input, want] of cases) it(input, () => assert.equal(normalizedImageName(input), want));
});

describe('ImageLocality', () => {
  const cases: Array<{ name: string; nodeImages: Record<string, Record<string, number>>; pod: Pod; want: Record<string, number> }> = [
    // 250MB on both nodes (spread 2/2): (250MB-23MB)*100/(1000MB-23MB) = 23.
    {
      name: 'image on every node',
      nodeImages: { n1: { 'docker.io/library/nginx:latest': 250 * MB }, n2: { 'docker.io/library/nginx:latest': 250 * MB } },
      pod: podWith('nginx'),
      want: { n1: 23, n2: 23 },
    },
    // Only n1 has it, spread 1/2: 125MB → (125-23)*100/977 = 10.
    {
      name: 'spread scales the size down',
      nodeImages: { n1: { 'docker.io/library/nginx:latest': 250 * MB }, n2: {} },
      pod: podWith('nginx'),
      want: { n1: 10, n2: 0 },
    },
    {
      name: 'below the minimum threshold scores 0',
      nodeImages: { n1: { 'docker.io/library/busybox:latest': 10 * MB } },
      pod: podWith('busybox'),
      want: { n1: 0 },
    },
    {
      name: 'above the per-container maximum scores 100',
      nodeImages: { n1: { 'docker.io/library/big:latest': 3000 * MB } },
      pod: podWith('big'),
      want: { n1: 100 },
    },
    // Two containers: max threshold 2000MB. n1: a (on both nodes) 1500MB + b (on n1 only, spread 1/2) 250MB → (1750-23)*100/1977 = 87; n2: 1500MB → 74.
    {
      name: 'threshold grows with the number of containers',
      nodeImages: { n1: { 'docker.io/library/a:latest': 1500 * MB, 'docker.io/library/b:latest': 500 * MB }, n2: { 'docker.io/library/a:latest': 1500 * MB } },
      pod: podWith('a', 'b'),
      want: { n1: 87, n2: 74 },
    },
    { name: 'tags must match', nodeImages: { n1: { 'docker.io/library/nginx:1.25': 500 * MB } }, pod: podWith('nginx:1.24'), want: { n1: 0 } },
    { name: 'a node reporting the short name still matches', nodeImages: { n1: { 'nginx:latest': 500 * MB } }, pod: podWith('nginx'), want: { n1: 48 } },
    {
      name: 'init container images count',
      nodeImages: { n1: { 'docker.io/library/setup:latest': 500 * MB } },
      pod: makePod('p', { initContainers: [{ name: 'i', image: 'setup' }], containers: [{ name: 'c', image: 'app' }] }),
      want: { n1: 24 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { handle } = setup(c.nodeImages);
      const pl = new ImageLocality(undefined, handle);
      const got: Record<string, number> = {};
      for (const ni of handle.snapshot().nodeInfos()) {
        const r = pl.score(new CycleState(), c.pod, ni);
        assert.equal(r.status.code, Code.Success);
        got[ni.name] = r.score;
      }
      assert.deepEqual(got, c.want);
    });
  }

  it('calculatePriority clamps into [min, max × containers]', () => {
    assert.equal(calculatePriority(0, 1), 0);
    assert.equal(calculatePriority(MIN_THRESHOLD, 1), 0);
    assert.equal(calculatePriority(MAX_CONTAINER_THRESHOLD, 1), 100);
    assert.equal(calculatePriority(MAX_CONTAINER_THRESHOLD * 5, 2), 100);
    assert.equal(calculatePriority(MAX_CONTAINER_THRESHOLD, 0), 0);
  });

  it('has the upstream name and rejects args', () => {
    const { handle } = setup({ n1: {} });
    assert.equal(new ImageLocality(undefined, handle).name, 'ImageLocality');
    assert.throws(() => new ImageLocality({ threshold: 1 }, handle), /ImageLocality: takes no args/);
  });
});
