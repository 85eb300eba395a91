// Berth's own client (src/client) against a real Berth server: REST calls and their errors,
// informers through watch cuts and a 410 re-list, field-selected pod informers, leader election
// on a Lease, and event aggregation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Event, Pod } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import {
  StatusError,
  EventRecorder,
  Informer,
  LeaderElector,
  NODE_NAME_INDEX,
  RestClient,
  byNodeName,
  createInformer,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  listWatcher,
  resourcePath,
  resources,
  type ListWatcher,
  type Status,
  type WatchEvent,
} from '../../src/client/index.js';
import { eventually, startServer, type RunningServer } from './harness.js';

let s: RunningServer;
let client: RestClient;

before(async () => {
  // Compaction every second, so that a stale watch meets a 410 without waiting minutes.
  s = await startServer({ args: ['--compaction-interval', '1'] });
  client = RestClient.fromKubeconfig(s.kubeconfig);
  for (const name of ['cl', 'inf', 'sched', 'le', 'ev']) await client.create(resources.namespaces, { metadata: { name } });
});
after(async () => {
  client?.close();
  await s?.stop();
  s?.cleanup();
});

const cms = { ...resources.configmaps };
const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});
/** Every namespace also holds kube-root-ca.crt, which the server publishes. */
const mine = (o: ConfigMap) => o.metadata?.name !== 'kube-root-ca.crt';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejectsWith(p: Promise<unknown>, check: (e: StatusError) => boolean, what: string): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, `${what}: not an StatusError: ${e}`);
    assert.ok(check(e), `${what}: got ${e.code} ${e.reason}: ${e.message}`);
    return e;
  }
  assert.fail(`${what}: did not fail`);
}

test('RestClient: create, get, list with selectors and pages, update, patches, delete', async () => {
  const created = await client.create({ ...cms, namespace: 'cl' }, cm('one', { a: '1' }, { app: 'x' }));
  assert.ok(created.metadata?.uid);
  assert.equal(created.metadata?.namespace, 'cl');
  await client.create(cms, { ...cm('two', {}, { app: 'x' }), metadata: { name: 'two', namespace: 'cl', labels: { app: 'x' } } });
  await client.create({ ...cms, namespace: 'cl' }, cm('three', {}, { app: 'y' }));

  const got = await client.get<ConfigMap>({ ...cms, namespace: 'cl', name: 'one' });
  assert.deepEqual(got.data, { a: '1' });

  const byLabel = await client.list<ConfigMap>({ ...cms, namespace: 'cl' }, { labelSelector: 'app=x' });
  assert.deepEqual(byLabel.items.map((i) => i.metadata?.name).sort(), ['one', 'two']);
  assert.match(byLabel.metadata?.resourceVersion ?? '', /^\d+$/);
  const byField = await client.list<ConfigMap>({ ...cms, namespace: 'cl' }, { fieldSelector: 'metadata.name=three' });
  assert.deepEqual(
    byField.items.map((i) => i.metadata?.name),
    ['three'],
  );

  const page1 = await client.list<ConfigMap>({ ...cms, namespace: 'cl' }, { labelSelector: 'app', limit: 2 });
  assert.equal(page1.items.length, 2);
  assert.ok(page1.metadata?.continue, 'a continue token');
  const page2 = await client.list<ConfigMap>({ ...cms, namespace: 'cl' }, { labelSelector: 'app', limit: 2, continue: page1.metadata!.continue });
  assert.deepEqual(
    [...page1.items, ...page2.items].map((i) => i.metadata?.name),
    ['one', 'three', 'two'],
  );
  assert.equal(page2.metadata?.continue, undefined);
  const all = await client.listAll<ConfigMap>({ ...cms, namespace: 'cl' }, { labelSelector: 'app', pageSize: 1 });
  assert.deepEqual(
    all.items.map((i) => i.metadata?.name),
    ['one', 'three', 'two'],
  );

  const updated = await client.update({ ...cms, namespace: 'cl' }, { ...got, data: { a: '2' } });
  assert.deepEqual(updated.data, { a: '2' });
  assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);

  const merged = await client.patch<ConfigMap>({ ...cms, namespace: 'cl', name: 'one' }, { data: { b: '3' } }, 'merge');
  assert.deepEqual(merged.data, { a: '2', b: '3' });
  const strategic = await client.patch<ConfigMap>({ ...cms, namespace: 'cl', name: 'one' }, { data: { a: null } }, 'strategic');
  assert.deepEqual(strategic.data, { b: '3' });
  const jsonPatched = await client.patch<ConfigMap>({ ...cms, namespace: 'cl', name: 'one' }, [{ op: 'add', path: '/data/c', value: '4' }], 'json');
  assert.deepEqual(jsonPatched.data, { b: '3', c: '4' });

  const status = await client.delete({ ...cms, namespace: 'cl', name: 'two' }, { propagationPolicy: 'Background' });
  assert.equal((status as Status).status, 'Success');
  await rejectsWith(client.get({ ...cms, namespace: 'cl', name: 'two' }), (e) => isNotFound(e) && e.code === 404, 'get after delete');

  const version = await client.request<{ gitVersion: string }>('GET', '/version');
  assert.match(version.gitVersion, /berth/);
});

test('RestClient: API errors carry the Status: 404, 409 Conflict, 409 AlreadyExists, 422, failed preconditions', async () => {
  const nf = await rejectsWith(client.get({ ...cms, namespace: 'cl', name: 'missing' }), isNotFound, 'get missing');
  assert.equal(nf.code, 404);
  assert.equal(nf.message, 'configmaps "missing" not found');
  assert.equal(nf.status.details?.name, 'missing');

  const base = await client.create({ ...cms, namespace: 'cl' }, cm('cas', { v: '1' }));
  await client.update({ ...cms, namespace: 'cl' }, { ...base, data: { v: '2' } });
  const stale = await rejectsWith(client.update({ ...cms, namespace: 'cl' }, { ...base, data: { v: 'stale' } }), isConflict, 'stale update');
  assert.equal(stale.code, 409);
  assert.ok(!isAlreadyExists(stale));

  const dup = await rejectsWith(client.create({ ...cms, namespace: 'cl' }, cm('cas', {})), isAlreadyExists, 'duplicate create');
  assert.equal(dup.code, 409);
  assert.ok(!isConflict(dup));

  await rejectsWith(client.create({ ...cms, namespace: 'cl' }, cm('Not_A_Name', {})), (e) => isInvalid(e) && e.code === 422, 'invalid name');

  await rejectsWith(
    client.delete({ ...cms, namespace: 'cl', name: 'cas' }, { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }),
    (e) => isConflict(e) && /Precondition failed/.test(e.message),
    'delete with a wrong uid precondition',
  );
  await client.delete({ ...cms, namespace: 'cl', name: 'cas' }, { preconditions: { uid: base.metadata!.uid } });
  await rejectsWith(client.get({ ...cms, namespace: 'cl', name: 'cas' }), isNotFound, 'deleted with the right precondition');
});

test('RestClient: updateStatus changes status only; binding through request(); gracePeriodSeconds 0 deletes at once', async () => {
  const pods = { ...resources.pods, namespace: 'cl' };
  // Another schedulerName: whatever scheduler the server runs leaves these pods alone.
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { schedulerName: 'none', containers: [{ name: 'c', image: 'busybox' }] } };
  const created = await client.create(pods, pod);
  const withStatus = await client.updateStatus(pods, {
    ...created,
    spec: { ...created.spec!, activeDeadlineSeconds: 5 },
    status: { phase: 'Running', podIP: '10.1.2.3' },
  });
  assert.equal(withStatus.status?.phase, 'Running');
  assert.equal(withStatus.status?.podIP, '10.1.2.3');
  assert.equal(withStatus.spec?.activeDeadlineSeconds, undefined, 'spec changes through status are ignored');

  await client.request('POST', resourcePath({ ...pods, name: 'p', subresource: 'binding' }), {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'p' },
    target: { kind: 'Node', name: 'n1' },
  });
  assert.equal((await client.get<Pod>({ ...pods, name: 'p' })).spec?.nodeName, 'n1');
  await client.delete({ ...pods, name: 'p' }, { gracePeriodSeconds: 0 });
  await rejectsWith(client.get({ ...pods, name: 'p' }), isNotFound, 'pod deleted with grace 0');
});

/**
 * A ListWatcher the test can cut: `cut()` ends the current watch as a dropped connection would,
 * and while `held`, a new watch waits (its resourceVersion going stale) until release().
 */
class CuttableListWatcher<T> implements ListWatcher<T> {
  lists = 0;
  watchRvs: string[] = [];
  held = false;
  private pending?: () => void;
  private current?: { stop(): void; onClose: (err?: Error) => void };

  constructor(private readonly inner: ListWatcher<T>) {}

  list(opts: { resourceVersion: string; signal: AbortSignal }) {
    this.lists++;
    return this.inner.list(opts);
  }

  watch(
    opts: { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number },
    onEvent: (e: WatchEvent<T>) => void,
    onClose: (err?: Error) => void,
  ) {
    let real: { stop(): void } | undefined;
    let stopped = false;
    const open = () => {
      if (stopped) return;
      this.watchRvs.push(opts.resourceVersion);
      real = this.inner.watch(opts, onEvent, onClose);
    };
    const handle = {
      stop: () => {
        stopped = true;
        real?.stop();
      },
      onClose,
    };
    this.current = handle;
    if (this.held) this.pending = open;
    else open();
    return handle;
  }

  cut(): void {
    const c = this.current!;
    c.stop();
    c.onClose(new Error('connection reset (cut by the test)'));
  }

  release(): void {
    this.held = false;
    const p = this.pending;
    this.pending = undefined;
    p?.();
  }
}

async function watchIsExpired(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const h = client.watch(
      path,
      {},
      (ev) => {
        h.stop();
        resolve(ev.type === 'ERROR' && (ev.object as Status).code === 410);
      },
      () => resolve(false),
    );
  });
}

test('informer: sees add/update/delete in order, resumes after a cut, re-lists after a 410 with the difference', async () => {
  const lw = new CuttableListWatcher<ConfigMap>(listWatcher<ConfigMap>(client, resources.configmaps, { namespace: 'inf' }));
  const inf = new Informer<ConfigMap>(lw, { name: 'configmaps inf', log: () => {} });
  const events: string[] = [];
  inf.addEventHandler({
    onAdd: (o) => mine(o) && events.push(`add ${o.metadata?.name}`),
    onUpdate: (a, b) => mine(b) && events.push(`update ${b.metadata?.name} ${JSON.stringify(a.data)}->${JSON.stringify(b.data)}`),
    onDelete: (o) => mine(o) && events.push(`delete ${o.metadata?.name} ${JSON.stringify(o.data)}`),
  });
  const ns = { ...cms, namespace: 'inf' };
  await client.create(ns, cm('before', { v: '0' }));
  inf.start();
  try {
    await inf.waitForSync(10_000);
    assert.deepEqual(events, ['add before']);
    events.length = 0;

    await client.create(ns, cm('w', { v: '1' }));
    await client.patch({ ...ns, name: 'w' }, { data: { v: '2' } }, 'merge');
    await client.delete({ ...ns, name: 'w' });
    await eventually(() => events.length >= 3, `add/update/delete in ${JSON.stringify(events)}`);
    assert.deepEqual(events, ['add w', 'update w {"v":"1"}->{"v":"2"}', 'delete w {"v":"2"}']);
    assert.equal(lw.lists, 1);

    // A dropped connection: the informer watches again from where it was, without re-listing.
    events.length = 0;
    const rvBeforeCut = inf.lastSyncResourceVersion();
    lw.cut();
    await client.create(ns, cm('after-cut', { v: '1' }));
    await eventually(() => events.includes('add after-cut'), `add after the cut in ${JSON.stringify(events)}`);
    assert.equal(lw.lists, 1, 'no re-list after a cut');
    assert.equal(lw.watchRvs.at(-1), rvBeforeCut, 'the new watch starts at the last resourceVersion seen');

    // Cut again, and keep the informer away while things change and compaction passes its
    // resourceVersion: its next watch meets 410 Expired, it re-lists, and handlers see the diff.
    await client.create(ns, cm('gone', { v: '1' }));
    await client.create(ns, cm('keep', { v: '1' }));
    await eventually(() => inf.getByKey('inf/keep'), 'keep in the cache');
    events.length = 0;
    const stale = inf.lastSyncResourceVersion();
    lw.held = true;
    lw.cut();
    await client.delete({ ...ns, name: 'gone' });
    await client.patch({ ...ns, name: 'keep' }, { data: { v: '2' } }, 'merge');
    await client.create(ns, cm('new', { v: '1' }));
    await eventually(async () => {
      await client.create({ ...cms, namespace: 'default' }, { metadata: { generateName: 'churn-' } });
      return watchIsExpired(`/api/v1/namespaces/inf/configmaps?resourceVersion=${stale}`);
    }, 'compaction to pass the stale resourceVersion');
    assert.equal(events.length, 0, `nothing seen while away: ${JSON.stringify(events)}`);
    lw.release();
    await eventually(() => events.length >= 3, `re-list events in ${JSON.stringify(events)}`);
    assert.deepEqual(events.sort(), ['add new', 'delete gone {"v":"1"}', 'update keep {"v":"1"}->{"v":"2"}']);
    assert.equal(lw.lists, 2, 'one re-list after the 410');
    assert.deepEqual(
      inf
        .list()
        .filter(mine)
        .map((o) => o.metadata?.name)
        .sort(),
      ['after-cut', 'before', 'keep', 'new'],
    );

    // And it keeps watching afterwards.
    events.length = 0;
    await client.delete({ ...ns, name: 'new' });
    await eventually(() => events.includes('delete new {"v":"1"}'), `delete after re-list in ${JSON.stringify(events)}`);
  } finally {
    await inf.stop();
  }
});

test('informer: pods by spec.nodeName — the agent sees its pods, the scheduler sees unscheduled ones', async () => {
  const pods = { ...resources.pods, namespace: 'sched' };
  const agent = createInformer<Pod>(client, resources.pods, { fieldSelector: 'spec.nodeName=node-a', indexers: { [NODE_NAME_INDEX]: byNodeName } });
  const scheduler = createInformer<Pod>(client, resources.pods, { namespace: 'sched', fieldSelector: 'spec.nodeName=' });
  const seen: string[] = [];
  agent.onAdd((p) => seen.push(`agent add ${p.metadata?.name} on ${p.spec?.nodeName}`)).onDelete((p) => seen.push(`agent delete ${p.metadata?.name}`));
  scheduler.onAdd((p) => seen.push(`scheduler add ${p.metadata?.name}`)).onDelete((p) => seen.push(`scheduler delete ${p.metadata?.name}`));
  const pod = (name: string, nodeName?: string): Pod => ({
    metadata: { name },
    spec: { nodeName, schedulerName: 'none', containers: [{ name: 'c', image: 'busybox' }] },
  });
  await client.create(pods, pod('pre-bound', 'node-a'));
  await client.create(pods, pod('elsewhere', 'node-b'));
  agent.start();
  scheduler.start();
  try {
    await Promise.all([agent.waitForSync(10_000), scheduler.waitForSync(10_000)]);
    assert.deepEqual(seen, ['agent add pre-bound on node-a']);
    seen.length = 0;

    await client.create(pods, pod('p1'));
    await client.create(pods, pod('p2'));
    await eventually(() => seen.length >= 2, `scheduler adds in ${JSON.stringify(seen)}`);
    assert.deepEqual(seen, ['scheduler add p1', 'scheduler add p2']);

    seen.length = 0;
    await client.request('POST', resourcePath({ ...pods, name: 'p1', subresource: 'binding' }), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p1' },
      target: { kind: 'Node', name: 'node-a' },
    });
    await eventually(() => seen.length >= 2, `binding seen in ${JSON.stringify(seen)}`);
    assert.deepEqual(seen.sort(), ['agent add p1 on node-a', 'scheduler delete p1']);
    assert.deepEqual(
      scheduler.list().map((p) => p.metadata?.name),
      ['p2'],
    );
    assert.deepEqual(
      agent
        .byIndex(NODE_NAME_INDEX, 'node-a')
        .map((p) => p.metadata?.name)
        .sort(),
      ['p1', 'pre-bound'],
    );
    assert.equal(agent.get('sched', 'elsewhere'), undefined);

    seen.length = 0;
    await client.delete({ ...pods, name: 'p1' }, { gracePeriodSeconds: 0 });
    await eventually(() => seen.includes('agent delete p1'), `agent delete in ${JSON.stringify(seen)}`);
    assert.deepEqual(
      agent.byIndex(NODE_NAME_INDEX, 'node-a').map((p) => p.metadata?.name),
      ['pre-bound'],
    );
  } finally {
    await Promise.all([agent.stop(), scheduler.stop()]);
  }
});

function elector(identity: string, log: string[], opts: { releaseOnStop?: boolean } = {}) {
  const state = { leading: false, signal: undefined as AbortSignal | undefined };
  const e = new LeaderElector({
    client,
    namespace: 'le',
    name: 'lock',
    identity,
    leaseDurationSeconds: 3,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    releaseOnStop: opts.releaseOnStop,
    log: () => {},
    onStartedLeading: (signal) => {
      state.leading = true;
      state.signal = signal;
      log.push(`${identity} started`);
    },
    onStoppedLeading: () => {
      state.leading = false;
      log.push(`${identity} stopped`);
    },
    onNewLeader: (id) => log.push(`${identity} sees ${id}`),
  });
  return { e, state, done: e.run() };
}

const getLease = () => client.get<Lease>({ ...resources.leases, namespace: 'le', name: 'lock' });

test('leader election: one of two leads; after it stops (releasing) the other leads at once', async () => {
  const log: string[] = [];
  const a = elector('a', log);
  await eventually(() => a.state.leading, 'a leads');
  const b = elector('b', log);
  try {
    await eventually(() => log.includes('b sees a'), 'b observes a');
    await sleep(1500); // several retry periods: b must stay a standby while a renews
    assert.ok(a.e.isLeader() && !b.e.isLeader(), 'exactly one leader');
    assert.ok(!b.state.leading);
    const held = await getLease();
    assert.equal(held.spec?.holderIdentity, 'a');
    assert.equal(held.spec?.leaseDurationSeconds, 3);
    assert.match(held.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(new Date(held.spec!.renewTime!) > new Date(held.spec!.acquireTime!), 'renewed since acquired');
    const transitions = held.spec?.leaseTransitions ?? 0;

    const t0 = Date.now();
    await a.e.stop();
    await a.done;
    assert.ok(a.state.signal?.aborted, "a's leadership signal is aborted");
    assert.ok(log.includes('a stopped'));
    await eventually(() => b.state.leading, 'b leads', 5000);
    const took = Date.now() - t0;
    assert.ok(took < 2000, `b took over in ${took} ms, well before the 3 s lease would expire`);
    const lease = await getLease();
    assert.equal(lease.spec?.holderIdentity, 'b');
    assert.equal(lease.spec?.leaseTransitions, transitions + 1);
    assert.ok(log.includes('b sees b'));
  } finally {
    await a.e.stop();
    await b.e.stop();
  }
  const released = await getLease();
  assert.equal(released.spec?.holderIdentity || '', '', 'the last leader released the lease');
});

test('leader election: a leader that vanishes without releasing is replaced once its lease expires', async () => {
  const log: string[] = [];
  const a = elector('c', log, { releaseOnStop: false });
  await eventually(() => a.state.leading, 'c leads');
  const d = elector('d', log);
  try {
    await eventually(() => log.includes('d sees c'), 'd observes c');
    const t0 = Date.now();
    await a.e.stop(); // stops renewing, leaves its name on the lease
    assert.equal((await getLease()).spec?.holderIdentity, 'c');
    await eventually(() => d.state.leading, 'd leads', 8000);
    const took = Date.now() - t0;
    assert.ok(took >= 1500, `d waited for the lease to expire (${took} ms)`);
    assert.equal((await getLease()).spec?.holderIdentity, 'd');
  } finally {
    await a.e.stop();
    await d.e.stop();
  }
});

test('events: two identical events become one Event with count 2; a different one is separate', async () => {
  const involved = await client.create({ ...cms, namespace: 'ev' }, cm('subject', {}));
  const recorder = new EventRecorder({ client, component: 'test-controller', host: 'host-1' });
  recorder.event(involved, 'Normal', 'Synced', 'synced it');
  recorder.event(involved, 'Normal', 'Synced', 'synced it');
  recorder.event(involved, 'Warning', 'Failed', 'it broke');
  await recorder.flush();
  const list = await client.list<Event>({ ...resources.events, namespace: 'ev' }, { fieldSelector: 'involvedObject.name=subject' });
  assert.equal(list.items.length, 2, JSON.stringify(list.items.map((e) => [e.reason, e.count])));
  const synced = list.items.find((e) => e.reason === 'Synced')!;
  assert.equal(synced.count, 2);
  assert.equal(synced.type, 'Normal');
  assert.equal(synced.message, 'synced it');
  assert.deepEqual(synced.source, { component: 'test-controller', host: 'host-1' });
  assert.equal(synced.reportingComponent, 'test-controller');
  assert.equal(synced.reportingInstance, 'host-1');
  assert.deepEqual(
    { kind: synced.involvedObject.kind, name: synced.involvedObject.name, namespace: synced.involvedObject.namespace, uid: synced.involvedObject.uid },
    { kind: 'ConfigMap', name: 'subject', namespace: 'ev', uid: involved.metadata?.uid },
  );
  assert.match(synced.metadata?.name ?? '', /^subject\.[0-9a-f]+$/);
  assert.ok(synced.firstTimestamp && synced.lastTimestamp && synced.lastTimestamp >= synced.firstTimestamp);
  const failed = list.items.find((e) => e.reason === 'Failed')!;
  assert.equal(failed.count, 1);
  assert.equal(failed.type, 'Warning');

  // The Event was deleted (expired): the next repeat starts a new one rather than failing.
  await client.delete({ ...resources.events, namespace: 'ev', name: synced.metadata!.name! });
  recorder.event(involved, 'Normal', 'Synced', 'synced it');
  await recorder.flush();
  const again = await client.list<Event>({ ...resources.events, namespace: 'ev' }, { fieldSelector: 'reason=Synced' });
  assert.deepEqual(
    again.items.map((e) => e.count),
    [1],
  );
});
