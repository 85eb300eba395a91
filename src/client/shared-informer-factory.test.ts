// The factory against scripted list-watchers: one list and one watch per (resource, namespace,
// selectors) whatever the number of consumers, transforms before caching, indexes from several
// consumers, sync across informers, and scopes whose handlers go away with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedInformerFactory } from './shared-informer-factory.js';
import type { ListWatcher, InformerSelectors } from './informer.js';
import type { GroupVersionResource } from './paths.js';
import type { KubeObject, WatchEvent } from './types.js';
import { resources } from './paths.js';

type Obj = KubeObject & { spec?: { nodeName?: string } };

/** One resource+selection's list and watch: lists answer with `items`, the test sends events. */
class FakeLW implements ListWatcher<Obj> {
  lists = 0;
  watches = 0;
  items: Obj[] = [];
  listGate?: Promise<void>;
  private onEvent?: (e: WatchEvent<Obj>) => void;

  constructor(readonly key: string) {}
  async list() {
    this.lists++;
    await this.listGate;
    // A fresh copy each time, as JSON from the wire is.
    return { items: structuredClone(this.items), resourceVersion: '10' };
  }
  watch(_opts: unknown, onEvent: (e: WatchEvent<Obj>) => void) {
    this.watches++;
    this.onEvent = onEvent;
    return { stop: () => void (this.onEvent = undefined) };
  }
  get watching(): boolean {
    return this.onEvent !== undefined;
  }
  send(type: WatchEvent['type'], object: Obj) {
    assert.ok(this.onEvent, `${this.key} is watched`);
    this.onEvent({ type, object: structuredClone(object) });
  }
}

function fakeSource() {
  const byKey = new Map<string, FakeLW>();
  const lwFor = (gvr: GroupVersionResource, sel: InformerSelectors) => {
    const key = [gvr.resource, sel.namespace, sel.labelSelector, sel.fieldSelector].filter(Boolean).join(' ');
    let lw = byKey.get(key);
    if (!lw) byKey.set(key, (lw = new FakeLW(key)));
    return lw as unknown as ListWatcher<KubeObject>;
  };
  const get = (key: string) => {
    let lw = byKey.get(key);
    if (!lw) byKey.set(key, (lw = new FakeLW(key)));
    return lw;
  };
  return { byKey, lwFor, get };
}

const managed = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } }];
const pod = (name: string, rv: string, extra: Partial<Obj['metadata']> = {}, nodeName?: string): Obj => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, managedFields: managed, ...extra },
  spec: nodeName === undefined ? {} : { nodeName },
});

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('consumers of one resource and selection share one informer: one list, one watch, one cache', async () => {
  const src = fakeSource();
  src.get('pods').items = [pod('a', '1'), pod('b', '2')];
  const f = new SharedInformerFactory(undefined, { listWatcher: src.lwFor });
  const scheduler = f.scope();
  const controllers = f.scope();
  const p1 = scheduler.for<Obj>(resources.pods);
  const p2 = controllers.for<Obj>(resources.pods);
  const seen1: string[] = [];
  const seen2: string[] = [];
  p1.onAdd((o) => seen1.push(o.metadata!.name!));
  p2.onAdd((o) => seen2.push(o.metadata!.name!));
  // A different selection is another informer, and another watch.
  const unscheduled = controllers.for<Obj>(resources.pods, {}, { fieldSelector: 'spec.nodeName=' });
  const inNs = controllers.for<Obj>(resources.pods, {}, { namespace: 'ns' });
  assert.equal(f.size, 3);
  await Promise.all([scheduler.start(2000), controllers.start(2000)]);
  f.start();
  await until(() => src.get('pods').watches === 1, 'the pods watch');
  assert.equal(src.get('pods').lists, 1, 'pods listed once for both consumers');
  assert.equal(src.get('pods').watches, 1);
  assert.equal(src.get('pods spec.nodeName=').lists, 1);
  assert.equal(src.get('pods ns').lists, 1);
  assert.deepEqual(seen1.sort(), ['a', 'b']);
  assert.deepEqual(seen2.sort(), ['a', 'b']);
  // Both consumers read the very same cached object.
  assert.equal(p1.get('ns', 'a'), p2.get('ns', 'a'));
  src.get('pods').send('ADDED', pod('c', '3'));
  assert.deepEqual(seen1, ['a', 'b', 'c']);
  assert.deepEqual(seen2, ['a', 'b', 'c']);
  assert.ok(unscheduled.hasSynced() && inNs.hasSynced());
  await f.shutdown();
});

test('the default transform drops managedFields everywhere, and last-applied-configuration only from pods', async () => {
  const src = fakeSource();
  const lastApplied = { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"json"}', keep: 'me' } };
  src.get('pods').items = [pod('a', '1', lastApplied)];
  src.get('deployments').items = [{ metadata: { name: 'd', namespace: 'ns', resourceVersion: '1', managedFields: managed, ...lastApplied } }];
  const f = new SharedInformerFactory(undefined, { listWatcher: src.lwFor });
  const pods = f.for<Obj>(resources.pods);
  const deployments = f.for<Obj>(resources.deployments);
  const updates: Obj[] = [];
  const deletes: Obj[] = [];
  pods.addEventHandler({ onUpdate: (_o, n) => updates.push(n), onDelete: (o) => deletes.push(o) });
  f.start();
  await f.waitForCacheSync(2000);
  const a = pods.get('ns', 'a')!;
  assert.equal(a.metadata!.managedFields, undefined);
  assert.deepEqual(a.metadata!.annotations, { keep: 'me' });
  const d = deployments.get('ns', 'd')!;
  assert.equal(d.metadata!.managedFields, undefined);
  assert.equal(d.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration'], '{"big":"json"}', 'a Deployment keeps it');
  // Watched objects too, before handlers see them; an annotations map left empty goes.
  await until(() => src.get('pods').watches === 1, 'the pods watch');
  src.get('pods').send('MODIFIED', pod('a', '2', { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }));
  assert.equal(updates.length, 1);
  assert.equal(updates[0]!.metadata!.managedFields, undefined);
  assert.equal(updates[0]!.metadata!.annotations, undefined);
  src.get('pods').send('DELETED', pod('a', '3'));
  assert.equal(deletes[0]!.metadata!.managedFields, undefined);
  assert.equal(pods.list().length, 0);
  await f.shutdown();
});

test('transformFor replaces the default: a factory can keep objects whole', async () => {
  const src = fakeSource();
  src.get('pods').items = [pod('a', '1')];
  const f = new SharedInformerFactory(undefined, { listWatcher: src.lwFor, transformFor: () => undefined });
  const pods = f.for<Obj>(resources.pods);
  f.start();
  await f.waitForCacheSync(2000);
  assert.deepEqual(pods.get('ns', 'a')!.metadata!.managedFields, managed);
  await f.shutdown();
});

test('indexes from several consumers sit on the one informer, also when asked for after it synced', async () => {
  const src = fakeSource();
  src.get('pods').items = [pod('a', '1', {}, 'n1'), pod('b', '2', {}, 'n1'), pod('c', '3', {}, '')];
  const f = new SharedInformerFactory(undefined, { listWatcher: src.lwFor });
  const byNode = (o: Obj) => [o.spec?.nodeName ?? ''];
  const byName = (o: Obj) => [o.metadata!.name!];
  f.for<Obj>(resources.pods, { node: byNode });
  f.start();
  await f.waitForCacheSync(2000);
  const pods = f.for<Obj>(resources.pods, { name: byName });
  assert.deepEqual(
    pods
      .byIndex('node', 'n1')
      .map((p) => p.metadata!.name)
      .sort(),
    ['a', 'b'],
  );
  assert.deepEqual(
    pods.byIndex('name', 'c').map((p) => p.spec?.nodeName),
    [''],
  );
  assert.equal(src.get('pods').lists, 1);
  await f.shutdown();
});

test('hasSynced and waitForCacheSync cover every informer; one asked for after start starts on the next start()', async () => {
  const src = fakeSource();
  let release!: () => void;
  src.get('nodes').listGate = new Promise<void>((r) => (release = r));
  const f = new SharedInformerFactory(undefined, { listWatcher: src.lwFor });
  f.for(resources.pods);
  f.for(resources.nodes);
  f.start();
  const synced = f.waitForCacheSync(2000);
  await until(() => f.for(resources.pods).hasSynced(), 'pods synced');
  assert.equal(f.hasSynced(), false, 'nodes are still listing');
  release();
  await synced;
  assert.equal(f.hasSynced(), true);
  const ns = f.for(resources.namespaces);
  assert.equal(f.hasSynced(), false);
  assert.equal(src.get('namespaces').lists, 0, 'not started before start()');
  f.start();
  await f.waitForCacheSync(2000);
  assert.ok(ns.hasSynced());
  assert.equal(src.get('pods').lists, 1, 'a second start() does not restart the others');
  await f.shutdown();
  assert.throws(() => f.for(resources.services), /after shutdown/);
});

test("a scope's stop removes its handlers only; the shared informer keeps running for the others", async () => {
  const src = fakeSource();
  const f = new SharedInformerFactory(undefined, { listWatcher: src.lwFor });
  const leaving = f.scope();
  const staying = f.scope();
  const gone: string[] = [];
  const kept: string[] = [];
  leaving.for<Obj>(resources.pods).onAdd((o) => gone.push(o.metadata!.name!));
  leaving.for<Obj>(resources.pods).addEventHandler({ onUpdate: (_o, n) => gone.push(`update ${n.metadata!.name}`) });
  staying.for<Obj>(resources.pods).onAdd((o) => kept.push(o.metadata!.name!));
  await Promise.all([leaving.start(2000), staying.start(2000)]);
  await until(() => src.get('pods').watches === 1, 'the pods watch');
  src.get('pods').send('ADDED', pod('a', '1'));
  await leaving.stop();
  src.get('pods').send('ADDED', pod('b', '2'));
  src.get('pods').send('MODIFIED', pod('a', '3'));
  assert.deepEqual(gone, ['a']);
  assert.deepEqual(kept, ['a', 'b']);
  assert.equal(src.get('pods').watches, 1, 'the watch was not restarted');
  assert.throws(() => leaving.for<Obj>(resources.pods).onAdd(() => {}), /stopped informer scope/);
  // A scope that owns its factory (a standalone scheduler's) stops the informers with it.
  const own = f.scope({ shutdownFactoryOnStop: true });
  assert.ok(src.get('pods').watching);
  await own.stop();
  assert.equal(src.get('pods').watching, false, 'the watch ends with the factory');
});
