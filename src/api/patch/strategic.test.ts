import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategicMergePatch } from './strategic.js';
import { applyPatch } from './index.js';

const pod = {
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'c1', image: 'i1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
      { name: 'c2', image: 'i2' },
    ],
    tolerations: [{ key: 't1' }],
  },
};

test('containers merge by name, env by name, unnamed lists replace', () => {
  const out = strategicMergePatch(
    pod,
    {
      metadata: { labels: { b: null, c: '3' }, finalizers: ['y'] },
      spec: {
        containers: [
          { name: 'c1', env: [{ name: 'B', value: '2' }] },
          { name: 'c3', image: 'i3' },
        ],
        tolerations: [{ key: 't2' }],
      },
    },
    'Pod',
  ) as any;
  assert.deepEqual(out.metadata.labels, { a: '1', c: '3' });
  assert.deepEqual(out.metadata.finalizers, ['x', 'y']);
  assert.deepEqual(
    out.spec.containers.map((c: any) => c.name),
    ['c1', 'c2', 'c3'],
  );
  assert.equal(out.spec.containers[0].image, 'i1');
  assert.deepEqual(out.spec.containers[0].env, [
    { name: 'A', value: '1' },
    { name: 'B', value: '2' },
  ]);
  assert.deepEqual(out.spec.tolerations, [{ key: 't2' }]);
});

test('$patch delete and replace, $deleteFromPrimitiveList, $setElementOrder, $retainKeys', () => {
  const out = strategicMergePatch(
    pod,
    {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] },
      spec: { containers: [{ name: 'c2', $patch: 'delete' }], '$setElementOrder/containers': [{ name: 'c1' }] },
    },
    'Pod',
  ) as any;
  assert.deepEqual(out.metadata.finalizers, []);
  assert.deepEqual(
    out.spec.containers.map((c: any) => c.name),
    ['c1'],
  );
  const rep = strategicMergePatch(pod, { spec: { containers: [{ $patch: 'replace' }, { name: 'n', image: 'x' }] } }, 'Pod') as any;
  assert.deepEqual(rep.spec.containers, [{ name: 'n', image: 'x' }]);
  const ret = strategicMergePatch(
    { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    'Deployment',
  ) as any;
  assert.deepEqual(ret.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(pod.spec.containers.length, 2, 'original untouched');
});

test('json merge patch and json patch', () => {
  assert.deepEqual(applyPatch('application/merge-patch+json', { a: { b: 1, c: 2 }, l: [1] }, { a: { b: null }, l: [2] }, 'X'), { a: { c: 2 }, l: [2] });
  assert.deepEqual(applyPatch('application/json-patch+json', { a: [1] }, [{ op: 'add', path: '/a/-', value: 2 }], 'X'), { a: [1, 2] });
  assert.throws(() => applyPatch('application/json-patch+json', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }], 'X'));
});
