import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowth } from './heap-growth.js';
import { byNamespace, byNodeName, Indexer, metaNamespaceKey, NAMESPACE_INDEX, NODE_NAME_INDEX, splitMetaNamespaceKey } from './indexer.js';
import type { KubeObject } from './types.js';

interface P {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { nodeName?: string };
}
const pod = (ns: string, name: string, node: string | undefined, rv = '1'): P => ({
  metadata: { name, namespace: ns, resourceVersion: rv },
  spec: { nodeName: node },
});

test('indexer: keys are namespace/name (name alone when cluster-scoped)', () => {
  assert.equal(metaNamespaceKey({ metadata: { name: 'p', namespace: 'ns' } }), 'ns/p');
  assert.equal(metaNamespaceKey({ metadata: { name: 'node-1' } }), 'node-1');
  assert.deepEqual(splitMetaNamespaceKey('ns/p'), { namespace: 'ns', name: 'p' });
  assert.deepEqual(splitMetaNamespaceKey('node-1'), { name: 'node-1' });
});

test('indexer: indexes follow adds, updates that move an object, and deletes', () => {
  const ix = new Indexer<P>({ [NODE_NAME_INDEX]: byNodeName, [NAMESPACE_INDEX]: byNamespace });
  ix.set(pod('a', 'p1', 'n1'));
  ix.set(pod('a', 'p2', undefined));
  ix.set(pod('b', 'p3', 'n1'));
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, 'n1').map(metaNamespaceKey).sort(), ['a/p1', 'b/p3']);
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, '').map(metaNamespaceKey), ['a/p2'], 'unscheduled pods under ""');
  assert.deepEqual(ix.byIndex(NAMESPACE_INDEX, 'a').map(metaNamespaceKey).sort(), ['a/p1', 'a/p2']);

  const old = ix.set(pod('a', 'p2', 'n2', '2'));
  assert.equal(old?.spec?.nodeName, undefined);
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, ''), []);
  assert.deepEqual(ix.indexValues(NODE_NAME_INDEX).sort(), ['n1', 'n2'], 'an emptied value disappears');
  assert.deepEqual(ix.byIndex(NAMESPACE_INDEX, 'a').map(metaNamespaceKey).sort(), ['a/p1', 'a/p2'], 'an index the update did not move it in keeps it');
  ix.set(pod('a', 'p2', 'n2', '3'));
  assert.deepEqual(
    ix.byIndex(NODE_NAME_INDEX, 'n2').map((p) => p.metadata.resourceVersion),
    ['3'],
    'an update in place: the index gives the new object',
  );
  assert.equal(ix.delete('b/p3')?.metadata.name, 'p3');
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, 'n1').map(metaNamespaceKey), ['a/p1']);
  assert.equal(ix.delete('b/p3'), undefined);
  assert.equal(ix.size, 2);
  assert.equal(ix.getByKey('a/p2')?.spec?.nodeName, 'n2');
  assert.throws(() => ix.byIndex('nope', 'x'), /index "nope" does not exist/);
});

test('indexer: replace reports adds, changed objects and deletions with the last known state', () => {
  const ix = new Indexer<P>({ [NODE_NAME_INDEX]: byNodeName });
  ix.set(pod('a', 'same', 'n1', '5'));
  ix.set(pod('a', 'changed', 'n1', '6'));
  ix.set(pod('a', 'gone', 'n2', '7'));
  const deltas = ix.replace([pod('a', 'same', 'n1', '5'), pod('a', 'changed', 'n3', '9'), pod('a', 'new', 'n1', '10')]);
  assert.deepEqual(
    deltas.map((d) =>
      d.type === 'update'
        ? `update ${d.old.metadata.name} ${d.old.metadata.resourceVersion}->${d.obj.metadata.resourceVersion}`
        : `${d.type} ${d.obj.metadata.name}`,
    ),
    ['update changed 6->9', 'add new', 'delete gone'],
  );
  const gone = deltas.find((d) => d.type === 'delete')!;
  assert.equal(gone.obj.spec?.nodeName, 'n2');
  assert.deepEqual(ix.listKeys().sort(), ['a/changed', 'a/new', 'a/same']);
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, 'n2'), []);
  assert.deepEqual(
    ix.byIndex(NODE_NAME_INDEX, 'n3').map((p) => p.metadata.name),
    ['changed'],
  );
  assert.deepEqual(
    ix.replace([]).map((d) => d.type),
    ['delete', 'delete', 'delete'],
  );
  assert.equal(ix.size, 0);
});

test("indexer: addIndex indexes the objects already cached and follows later changes, without touching the caller's indexers", () => {
  const given = {};
  const ix = new Indexer<P>(given);
  ix.set(pod('a', 'p1', 'n1'));
  ix.addIndex(NODE_NAME_INDEX, byNodeName);
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, 'n1').map(metaNamespaceKey), ['a/p1']);
  ix.set(pod('a', 'p1', 'n2', '2'));
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, 'n1'), []);
  assert.deepEqual(ix.byIndex(NODE_NAME_INDEX, 'n2').map(metaNamespaceKey), ['a/p1']);
  assert.deepEqual(given, {});
});

test('indexer: an object under several values moves between them as its values change', () => {
  type L = { metadata: { name: string; labels: Record<string, string> } };
  const byLabelValues = (o: L) => Object.values(o.metadata.labels);
  const ix = new Indexer<L>({ values: byLabelValues });
  const obj = (labels: Record<string, string>): L => ({ metadata: { name: 'x', labels } });
  const under = () => ix.indexValues('values').sort();
  ix.set(obj({ a: 'red', b: 'blue' }));
  assert.deepEqual(under(), ['blue', 'red']);
  ix.set(obj({ a: 'blue', b: 'red' }));
  assert.deepEqual(under(), ['blue', 'red'], 'the same values in another order');
  ix.set(obj({ a: 'red' }));
  assert.deepEqual(under(), ['red']);
  assert.deepEqual(ix.indexKeys('values', 'red'), ['x']);
  ix.set(obj({ a: 'green', b: 'red', c: 'blue' }));
  assert.deepEqual(under(), ['blue', 'green', 'red']);
  ix.delete('x');
  assert.deepEqual(under(), []);
});

test("indexer: a new version takes its predecessor's name and uid strings, so a reader holding the old ones holds no second copy", () => {
  const n = 5000;
  // Long uids make the copies measurable: 5 000 of 2 KB each are 10 MB.
  const json = (i: number, rv: number) =>
    JSON.stringify({ metadata: { namespace: 'ns', name: `p-${i}-${'n'.repeat(1000)}`, uid: `${i}-${'u'.repeat(1000)}`, resourceVersion: String(rv) } });
  const idx = new Indexer<KubeObject>();
  // What the garbage collector's graph keeps: the first version's name and uid.
  const held: string[] = [];
  for (let i = 0; i < n; i++) {
    const v1 = JSON.parse(json(i, 1)) as KubeObject;
    idx.set(v1);
    held.push(v1.metadata!.name!, v1.metadata!.uid!);
  }
  const { bytes } = heapGrowth(() => {
    for (let i = 0; i < n; i++) idx.set(JSON.parse(json(i, 2)) as KubeObject);
  });
  const grownMb = bytes / 1048576;
  assert.equal(idx.getByKey(`ns/p-7-${'n'.repeat(1000)}`)!.metadata!.resourceVersion, '2');
  assert.equal(idx.getByKey(`ns/p-7-${'n'.repeat(1000)}`)!.metadata!.uid, `7-${'u'.repeat(1000)}`);
  assert.equal(held.length, 2 * n);
  assert.ok(grownMb < 5, `the second versions hold ${grownMb.toFixed(1)} MB of strings of their own (10 MB and more when copied)`);
});
