import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathString, type FieldSet } from './fieldset.js';
import { rootType } from './schema.js';
import { compare, merge, removeItems, toFieldSet, TypedError, withNamedFields } from './typed.js';
import { SEP } from './fieldset.js';

const deploy = rootType('apps/v1', 'Deployment');
const pod = rootType('v1', 'Pod');
const cm = rootType('v1', 'ConfigMap');
const P = (...elements: string[]) => elements.map((e) => (/^[fkvi]:/.test(e) ? e : `f:${e}`)).join(SEP);
const show = (s: FieldSet) => [...s].map(pathString).sort();

test('toFieldSet: what an applied configuration owns', () => {
  const cases: Array<{ name: string; t: typeof pod; v: unknown; want: string[] }> = [
    {
      name: "identity fields are nobody's",
      t: cm,
      v: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'n', uid: 'u' }, data: { a: '1' } },
      want: ['.data.a'],
    },
    {
      name: 'map entries own themselves, struct fields through their leaves',
      t: deploy,
      v: { metadata: { labels: { app: 'x' } }, spec: { replicas: 1 } },
      want: ['.metadata.labels.app', '.spec.replicas'],
    },
    { name: 'atomic struct (selector) is one leaf', t: deploy, v: { spec: { selector: { matchLabels: { a: 'b' } } } }, want: ['.spec.selector'] },
    {
      name: 'list-map items by key, with the defaulted protocol key',
      t: pod,
      v: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } },
      want: [
        '.spec.containers[name="c"]',
        '.spec.containers[name="c"].name',
        '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]',
        '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort',
      ],
    },
    { name: 'set items by value', t: pod, v: { metadata: { finalizers: ['a', 'b'] } }, want: ['.metadata.finalizers[="a"]', '.metadata.finalizers[="b"]'] },
    { name: 'atomic list is one leaf', t: pod, v: { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } }, want: ['.spec.tolerations'] },
    { name: 'an empty struct is owned itself', t: pod, v: { spec: { securityContext: {} } }, want: ['.spec.securityContext'] },
  ];
  for (const c of cases) {
    assert.deepEqual(show(toFieldSet(c.t, c.v)), [...c.want].sort(), c.name);
  }
});

test('compare: added, modified and removed fields in one walk', () => {
  const cases: Array<{ name: string; t: typeof pod; lhs: unknown; rhs: unknown; added?: string[]; modified?: string[]; removed?: string[] }> = [
    { name: 'same', t: deploy, lhs: { spec: { replicas: 1 } }, rhs: { spec: { replicas: 1 } } },
    { name: 'scalar changed', t: deploy, lhs: { spec: { replicas: 1 } }, rhs: { spec: { replicas: 5 } }, modified: ['.spec.replicas'] },
    { name: 'map entry added with its map', t: cm, lhs: { data: undefined }, rhs: { data: { a: '1' } }, added: ['.data', '.data.a'] },
    {
      name: 'label removed',
      t: cm,
      lhs: { metadata: { labels: { a: '1', b: '2' } } },
      rhs: { metadata: { labels: { a: '1' } } },
      removed: ['.metadata.labels.b'],
    },
    {
      name: 'list-map item removed with its fields',
      t: pod,
      lhs: {
        spec: {
          containers: [
            { name: 'a', image: 'i' },
            { name: 'b', image: 'j' },
          ],
        },
      },
      rhs: { spec: { containers: [{ name: 'a', image: 'i2' }] } },
      modified: ['.spec.containers[name="a"].image'],
      removed: ['.spec.containers[name="b"]', '.spec.containers[name="b"].image', '.spec.containers[name="b"].name'],
    },
    {
      name: 'atomic list changed as one',
      t: pod,
      lhs: { spec: { tolerations: [{ key: 'a' }] } },
      rhs: { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } },
      modified: ['.spec.tolerations'],
    },
    {
      name: 'managedFields and resourceVersion are not compared',
      t: cm,
      lhs: { metadata: { resourceVersion: '1', managedFields: [] } },
      rhs: { metadata: { resourceVersion: '2' } },
    },
  ];
  for (const c of cases) {
    const got = compare(c.t, c.lhs, c.rhs);
    assert.deepEqual(show(got.added), (c.added ?? []).sort(), `${c.name}: added`);
    assert.deepEqual(show(got.modified), (c.modified ?? []).sort(), `${c.name}: modified`);
    assert.deepEqual(show(got.removed), (c.removed ?? []).sort(), `${c.name}: removed`);
  }
});

test('merge: structs and maps by field, list-maps by key, sets by value, atomic lists whole', () => {
  const live = {
    metadata: { labels: { a: '1' }, finalizers: ['x'] },
    spec: {
      containers: [
        { name: 'a', image: 'i', env: [{ name: 'E', value: '1' }] },
        { name: 'b', image: 'j' },
      ],
      tolerations: [{ key: 't1' }],
    },
  };
  const config = {
    metadata: { labels: { b: '2' }, finalizers: ['y', 'x'] },
    spec: {
      containers: [
        { name: 'c', image: 'k' },
        { name: 'a', env: [{ name: 'F', value: '2' }] },
      ],
      tolerations: [{ key: 't2' }],
    },
  };
  const out = merge(pod, live, config) as any;
  assert.deepEqual(out.metadata.labels, { a: '1', b: '2' });
  assert.deepEqual(out.metadata.finalizers, ['y', 'x']);
  assert.deepEqual(
    out.spec.containers.map((c: any) => c.name),
    ['c', 'a', 'b'],
  );
  assert.equal(out.spec.containers[1].image, 'i');
  assert.deepEqual(out.spec.containers[1].env, [
    { name: 'E', value: '1' },
    { name: 'F', value: '2' },
  ]);
  assert.deepEqual(out.spec.tolerations, [{ key: 't2' }]);
  // The live object is not changed.
  assert.deepEqual(live.metadata.labels, { a: '1' });
});

test('merge keeps live-only items in place and orders shared items as applied', () => {
  const item = (name: string) => ({ name });
  const live = { spec: { containers: ['a', 'x', 'b', 'c'].map(item) } };
  const out = merge(pod, live, { spec: { containers: ['c', 'b', 'a'].map(item) } }) as any;
  assert.deepEqual(
    out.spec.containers.map((c: any) => c.name),
    ['x', 'c', 'b', 'a'],
  );
});

test('a keyed list item without its key, or applied twice, is an error', () => {
  assert.throws(
    () => toFieldSet(pod, { spec: { containers: [{ image: 'i' }] } }),
    (e) => e instanceof TypedError && /omits key field "name"/.test(e.message),
  );
  assert.throws(
    () => toFieldSet(pod, { spec: { containers: [{ name: 'a' }, { name: 'a' }] } }, true),
    (e) => e instanceof TypedError && /duplicate entries/.test(e.message),
  );
  assert.throws(() => merge(pod, { spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ name: 'a' }, { name: 'a' }] } }), TypedError);
  // A live object may hold duplicates (upstream allows them there): they are owned as one item.
  assert.deepEqual(show(toFieldSet(pod, { spec: { containers: [{ name: 'a' }, { name: 'a' }] } })), ['.spec.containers[name="a"]']);
});

test('removeItems takes subtrees; withNamedFields adds struct fields on the way', () => {
  const v = { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'a', image: 'i' }, { name: 'b' }] } };
  const out = removeItems(pod, v, new Set([P('metadata', 'labels', 'b'), P('spec', 'containers', 'k:{"name":"a"}')])) as any;
  assert.deepEqual(out, { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'b' }] } });
  assert.equal(v.spec.containers.length, 2);
  const named = withNamedFields(deploy, new Set([P('metadata', 'labels', 'a'), P('spec', 'template', 'spec', 'containers', 'k:{"name":"c"}', 'image')]));
  assert.deepEqual(
    show(named),
    [
      '.metadata',
      '.metadata.labels',
      '.metadata.labels.a',
      '.spec',
      '.spec.template',
      '.spec.template.spec',
      '.spec.template.spec.containers',
      '.spec.template.spec.containers[name="c"].image',
    ].sort(),
  );
});

test('a subtree only one side has: the same paths added one way as removed the other, in the same order', async () => {
  const { createdFieldsV1 } = await import('./typed.js');
  const { toFieldsV1 } = await import('./fieldset.js');
  let s = 11;
  const r = () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const free = (d: number): unknown =>
    d > 2 || r() < 0.4
      ? pick([1, 'a', true, {}, []])
      : Object.fromEntries(Array.from({ length: 1 + Math.floor(r() * 3) }, () => [pick(['a', 'b', 'c']), free(d + 1)]));
  let paths = 0;
  for (let i = 0; i < 300; i++) {
    const containers = Array.from({ length: Math.floor(r() * 3) }, () => ({
      name: pick(['a', 'b', 'c']),
      image: 'i',
      ...(r() < 0.5 ? { env: [{ name: pick(['A', 'B']), value: '1' }] } : {}),
      ...(r() < 0.3 ? { ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }] } : {}),
      ...(r() < 0.3 ? { resources: { limits: { cpu: '1' } } } : {}),
    }));
    const o = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', uid: 'u', labels: { a: pick(['1', '2']) }, ...(r() < 0.3 ? { annotations: { x: 'y' } } : {}) },
      spec: { containers, ...(r() < 0.4 ? { nodeSelector: free(1) } : {}), ...(r() < 0.3 ? { securityContext: {} } : {}) },
      ...(r() < 0.5 ? { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } : {}),
    };
    const added = compare(pod, {}, o);
    const removed = compare(pod, o, {});
    assert.deepEqual([...removed.removed], [...added.added], `object ${i}`);
    assert.equal(added.modified.size + added.removed.size + removed.modified.size + removed.added.size, 0);
    // And the paths are those the create path (its own walk) writes, metadata itself aside.
    const set = new Set(added.added);
    set.delete('f:metadata');
    assert.equal(JSON.stringify(toFieldsV1(set)), JSON.stringify(createdFieldsV1(pod, o)), `object ${i}`);
    paths += set.size;
  }
  assert.ok(paths > 300 * 10, `${paths} paths compared`);
});
