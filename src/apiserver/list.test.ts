import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheEntry, Snapshot } from './watch-cache.js';
import { page, requestFilter } from './list.js';
import { attrsFunc, metadataAttrs } from './selection-attrs.js';
import { resourceByKey } from '../registry/index.js';

const entry = (ns: string, name: string, rev: number, labels: Record<string, string> = {}) => {
  const obj = { metadata: { name, namespace: ns, labels, resourceVersion: String(rev) } };
  return new CacheEntry(`/registry/pods/${ns}/${name}`, JSON.stringify(obj), rev, metadataAttrs(obj));
};

// Sorted by key, as the watch cache keeps them.
const snap = new Snapshot(
  [
    entry('a', 'p1', 1, { x: '1' }),
    entry('a', 'p2', 2),
    entry('a', 'p3', 3, { x: '1' }),
    entry('b', 'p1', 4, { x: '1' }),
    entry('b', 'p2', 5),
    entry('c', 'p1', 6, { x: '1' }),
  ],
  6,
);
const names = (items: Array<{ obj: { metadata: { namespace?: string; name?: string } } }>) =>
  items.map((i) => `${i.obj.metadata.namespace}/${i.obj.metadata.name}`);
const token = (t: string) => JSON.parse(Buffer.from(t, 'base64url').toString('utf8'));

test('page: limits, continues after the last key with the count of the rest, and ends without a token', () => {
  const p1 = page(snap, '/registry/pods/', '/registry/pods/', 9, 4);
  assert.deepEqual(names(p1.items), ['a/p1', 'a/p2', 'a/p3', 'b/p1']);
  assert.equal(p1.resourceVersion, '9');
  assert.equal(p1.remainingItemCount, 2);
  assert.deepEqual(token(p1.continue!), { v: 'meta.k8s.io/v1', rv: 9, start: 'b/p1\0' });
  const p2 = page(snap, '/registry/pods/', '/registry/pods/' + token(p1.continue!).start, 9, 4);
  assert.deepEqual(names(p2.items), ['b/p2', 'c/p1']);
  assert.equal(p2.continue, undefined);
  assert.equal(p2.remainingItemCount, undefined);
  // A limit the objects fill exactly: no token either.
  assert.equal(page(snap, '/registry/pods/', '/registry/pods/', 9, 6).continue, undefined);
  assert.equal(page(snap, '/registry/pods/', '/registry/pods/', 9, 0).items.length, 6);
});

test('page: a namespace is its key range; a filter skips objects and leaves the rest uncounted', () => {
  assert.deepEqual(names(page(snap, '/registry/pods/b/', '/registry/pods/b/', 9, 0).items), ['b/p1', 'b/p2']);
  assert.deepEqual(names(page(snap, '/registry/pods/d/', '/registry/pods/d/', 9, 0).items), []);
  const labelled = (a: { labels?: Record<string, string> }) => a.labels?.x === '1';
  const p1 = page(snap, '/registry/pods/', '/registry/pods/', 9, 2, labelled);
  assert.deepEqual(names(p1.items), ['a/p1', 'a/p3']);
  assert.equal(p1.remainingItemCount, undefined);
  const p2 = page(snap, '/registry/pods/', '/registry/pods/' + token(p1.continue!).start, 9, 2, labelled);
  assert.deepEqual(names(p2.items), ['b/p1', 'c/p1']);
  assert.equal(p2.continue, undefined);
});

test("requestFilter: label and field selectors test an object's selection attributes, not the object", () => {
  const pods = resourceByKey('pods');
  const attrs = attrsFunc(pods);
  const p = (phase: string, node: string, labels?: Record<string, string>) =>
    attrs({ metadata: { name: `p-${phase}`, namespace: 'ns', labels }, spec: { nodeName: node }, status: { phase } });
  const f = requestFilter(pods, new URLSearchParams({ labelSelector: 'app=x', fieldSelector: 'status.phase!=Failed,spec.nodeName=n1' }))!;
  assert.equal(f(p('Running', 'n1', { app: 'x' })), true);
  assert.equal(f(p('Failed', 'n1', { app: 'x' })), false);
  assert.equal(f(p('Running', 'n2', { app: 'x' })), false);
  assert.equal(f(p('Running', 'n1')), false);
  // An unset field is '' to a selector, as upstream's field sets.
  assert.equal(requestFilter(pods, new URLSearchParams({ fieldSelector: 'spec.nodeName=' }))!(p('Pending', '')), true);
  assert.equal(requestFilter(pods, new URLSearchParams()), undefined);
  assert.throws(() => requestFilter(pods, new URLSearchParams({ fieldSelector: 'spec.color=red' })), /field label not supported: spec.color/);
});
