// The affinity index must always agree with a full scan, whatever order pods come and go in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AffinityIndex, type PairCounts } from './affinity-index.js';

/** Test-side key for (topology key, value), as the plugin's own counts use. */
const pairKey = (key: string, value: string) => `${key}\u0000${value}`;
import { newPodInfo, termMatches, type PodInfo } from './pod-info.js';
import { makePod } from './testing.js';

const zones = ['z1', 'z2', 'z3'];
const colors = ['red', 'blue', 'green'];

function randomPod(i: number, rnd: () => number): { info: PodInfo; labels: Record<string, string> } {
  const color = colors[Math.floor(rnd() * colors.length)]!;
  const other = colors[Math.floor(rnd() * colors.length)]!;
  const term = { labelSelector: { matchLabels: { color: other } }, topologyKey: rnd() < 0.5 ? 'zone' : 'kubernetes.io/hostname' };
  const affinity =
    rnd() < 0.5
      ? {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [term],
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, podAffinityTerm: term }],
          },
        }
      : { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
  const node = `n${Math.floor(rnd() * 6)}`;
  const pod = makePod(`p${i}`, { nodeName: node, affinity }, { labels: { color }, namespace: rnd() < 0.8 ? 'default' : 'other' });
  return { info: newPodInfo(pod), labels: { 'kubernetes.io/hostname': node, zone: zones[Number(node.slice(1)) % 3]! } };
}

function seeded(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

test('matchAll and the term groups equal a brute-force count after random adds and removes', () => {
  const rnd = seeded(7);
  const nsLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });
  const index = new AffinityIndex(nsLabels);
  const live = new Map<string, { info: PodInfo; labels: Record<string, string> }>();
  const probe = randomPod(-1, rnd).info;
  const probeTerms = [...probe.requiredAffinityTerms, ...probe.requiredAntiAffinityTerms];
  index.matchAll(probeTerms); // built early, then maintained
  for (let step = 0; step < 400; step++) {
    if (rnd() < 0.65 || live.size === 0) {
      const p = randomPod(step, rnd);
      live.set(p.info.key, p);
      index.add(p.info, p.labels);
    } else {
      const key = [...live.keys()][Math.floor(rnd() * live.size)]!;
      live.delete(key);
      index.remove(key);
    }
    if (step % 40 !== 0) continue;
    // Incoming side.
    const expected: PairCounts = new Map();
    for (const { info, labels } of live.values()) {
      if (!probeTerms.every((t) => termMatches(t, info.pod, nsLabels))) continue;
      const k = pairKey(probeTerms[0]!.topologyKey, labels[probeTerms[0]!.topologyKey]!);
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const key0 = probeTerms[0]!.topologyKey;
    const gotAll = new Map([...index.matchAll(probeTerms)[0]!].map(([v, n]) => [pairKey(key0, v), n] as [string, number]));
    assert.deepEqual(new Map([...gotAll].sort()), new Map([...expected].sort()), `matchAll at step ${step}`);
    // Existing side: required anti-affinity terms that select the probe pod.
    const want: PairCounts = new Map();
    for (const { info, labels } of live.values()) {
      for (const t of info.requiredAntiAffinityTerms) {
        if (!termMatches(t, probe.pod, nsLabels)) continue;
        const k = pairKey(t.topologyKey, labels[t.topologyKey]!);
        want.set(k, (want.get(k) ?? 0) + 1);
      }
    }
    const got: PairCounts = new Map();
    for (const g of index.groupsOf('requiredAnti')) {
      if (!termMatches(g.term, probe.pod, nsLabels)) continue;
      for (const [value, v] of g.counts) {
        const k = pairKey(g.term.topologyKey, value);
        got.set(k, (got.get(k) ?? 0) + v);
      }
    }
    assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()), `groups at step ${step}`);
  }
});

test('relabelling a node moves its pods to the new topology value', () => {
  const index = new AffinityIndex(() => undefined);
  const info = newPodInfo(makePod('a', { nodeName: 'n1' }, { labels: { app: 'x' } }));
  index.add(info, { zone: 'z1' });
  const probe = newPodInfo(
    makePod('probe', {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' }] } },
    }),
  );
  assert.deepEqual([...index.matchAll(probe.requiredAffinityTerms)[0]!], [['z1', 1]]);
  index.relabelNode('n1', { zone: 'z2' });
  assert.deepEqual([...index.matchAll(probe.requiredAffinityTerms)[0]!], [['z2', 1]]);
});

test('counts handed out to a cycle do not change when pods come and go afterwards', () => {
  const index = new AffinityIndex(() => undefined);
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' }] } };
  index.add(newPodInfo(makePod('a', { nodeName: 'n1', affinity: anti }, { labels: { app: 'x' } })), { zone: 'z1' });
  const probe = newPodInfo(makePod('probe', { affinity: anti }, { labels: { app: 'x' } }));
  const lentMatch = index.matchAll(probe.requiredAntiAffinityTerms)[0]!;
  const lentGroup = [...index.groupsOf('requiredAnti')][0]!.counts;
  index.add(newPodInfo(makePod('b', { nodeName: 'n2', affinity: anti }, { labels: { app: 'x' } })), { zone: 'z2' });
  index.remove('default/a');
  // What the cycle holds is as it was...
  assert.deepEqual([...lentMatch], [['z1', 1]]);
  assert.deepEqual([...lentGroup], [['z1', 1]]);
  // ...and the index itself moved on.
  assert.deepEqual([...index.matchAll(probe.requiredAntiAffinityTerms)[0]!], [['z2', 1]]);
  assert.deepEqual([...[...index.groupsOf('requiredAnti')][0]!.counts], [['z2', 1]]);
});
