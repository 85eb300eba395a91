// Microseconds per call of the API server's per-write bookkeeping -- decoding checks (duplicate
// fields, unknown fields, JSON types) and managedFields -- over the bodies of the scale bench's
// writes: a ReplicaSet's pod create, a kubelet's pod status update, a binding, an Event; and of
// those writes whole, from the request's body to the response's (the handler, RestStorage,
// admission, validation), over a store held in memory that keeps its objects as they were.
//   node --import tsx bench/write-path.ts [SRC_DIR...]   (CASES=text: only the cases whose name has it)
// Each SRC_DIR (default: this checkout's src) is another checkout's src, e.g. a base worktree's:
// the runs alternate between them in one process, so a before/after shares the machine's state.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { podCreate, runningStatus } from './pod-fixtures.js';

type Obj = Record<string, unknown>;
interface Impl {
  findDuplicateFields(raw: string): string[];
  pruneUnknownFields(apiVersion: string, kind: string, obj: Obj): string[];
  typeErrors(apiVersion: string, kind: string, obj: Obj): string[];
  recordUpdateOn(live: Obj | undefined, next: Obj, writer: { manager: string; apiVersion: string; subresource?: string }, now: string): void;
  /** The checkout's own modules for the request cases (their interfaces may differ between checkouts). */
  src: string;
}

async function load(src: string): Promise<Impl> {
  const schema = (await import(moduleUrl(src, 'api/schema/index.ts'))) as Impl;
  const mf = (await import(moduleUrl(src, 'api/managedfields/index.ts'))) as Impl;
  return {
    findDuplicateFields: schema.findDuplicateFields,
    pruneUnknownFields: schema.pruneUnknownFields,
    typeErrors: schema.typeErrors,
    recordUpdateOn: mf.recordUpdateOn,
    src,
  };
}

const moduleUrl = (src: string, p: string) => pathToFileURL(resolve(src, p)).href;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const binding = {
  kind: 'Binding',
  apiVersion: 'v1',
  metadata: { name: 'web-7d9c6b8f5d-x2x9q', namespace: 'bench', uid: '0d6b3f2a-1c4e-4b8a-9e7f-5a2c8d1b3e6f', creationTimestamp: null },
  target: { kind: 'Node', name: 'sim-node-0042' },
};

const event = {
  kind: 'Event',
  apiVersion: 'v1',
  metadata: { name: 'web-7d9c6b8f5d-x2x9q.187e4a1b2c3d4e5f', namespace: 'bench', creationTimestamp: null },
  involvedObject: {
    kind: 'Pod',
    namespace: 'bench',
    name: 'web-7d9c6b8f5d-x2x9q',
    uid: '0d6b3f2a-1c4e-4b8a-9e7f-5a2c8d1b3e6f',
    apiVersion: 'v1',
    resourceVersion: '48213',
  },
  reason: 'Scheduled',
  message: 'Successfully assigned bench/web-7d9c6b8f5d-x2x9q to sim-node-0042',
  source: { component: 'default-scheduler' },
  firstTimestamp: null,
  lastTimestamp: null,
  count: 1,
  type: 'Normal',
  eventTime: '2026-12-05T11:35:01.123456Z',
  action: 'Binding',
  reportingComponent: 'default-scheduler',
  reportingInstance: 'default-scheduler-berth',
};

const NOW = '2026-12-05T11:35:06Z';
const CREATOR = { manager: 'kube-controller-manager', apiVersion: 'v1' };
const KUBELET = { manager: 'kubelet', apiVersion: 'v1', subresource: 'status' };

/**
 * The kubelet's status writes of a pod: its first (the pod as created and bound, the kubelet
 * owning nothing yet: the scale bench's case) and a later one (it owns the status already).
 */
function podStatusWrites(impl: Impl): { first: { live: Obj; next: Obj }; later: { live: Obj; next: Obj } } {
  const created = clone(podCreate) as Obj & { metadata: Obj; spec: Obj };
  Object.assign(created.metadata, {
    name: 'web-7d9c6b8f5d-x2x9q',
    uid: '0d6b3f2a-1c4e-4b8a-9e7f-5a2c8d1b3e6f',
    creationTimestamp: '2026-12-05T11:35:01Z',
    resourceVersion: '48213',
  });
  impl.recordUpdateOn(undefined, created, CREATOR, '2026-12-05T11:35:01Z');
  created.status = { phase: 'Pending', qosClass: 'Burstable' };
  created.spec.nodeName = 'sim-node-0042';
  const starting = clone(created);
  const waiting = {
    name: 'app',
    state: { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
    ready: false,
    restartCount: 0,
    image: 'registry.example/web:1.4.2',
    imageID: '',
    started: false,
  };
  const notReady = { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' };
  starting.status = {
    ...clone(runningStatus),
    phase: 'Pending',
    podIP: undefined,
    podIPs: undefined,
    containerStatuses: [waiting],
    conditions: runningStatus.conditions.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, ...notReady } : c)),
  };
  const startingStored = clone(starting);
  impl.recordUpdateOn(created, startingStored, KUBELET, '2026-12-05T11:35:03Z');
  const running = clone(startingStored);
  running.status = clone(runningStatus);
  return { first: { live: created, next: starting }, later: { live: startingStored, next: running } };
}

/** CPU time (not wall time: the machine may be shared) per call, in microseconds. */
function timeUs(fn: () => void, minMs = Number(process.env.MIN_MS ?? 300)): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = process.cpuUsage();
  let usedUs = 0;
  while (usedUs < minMs * 1000) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    const used = process.cpuUsage(start);
    usedUs = used.user + used.system;
  }
  return usedUs / n;
}

/** timeUs for a call that completes asynchronously (one at a time). */
async function timeUsAsync(fn: () => Promise<void>, minMs = Number(process.env.MIN_MS ?? 300)): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const start = process.cpuUsage();
  let usedUs = 0;
  while (usedUs < minMs * 1000) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
    const used = process.cpuUsage(start);
    usedUs = used.user + used.system;
  }
  return usedUs / n;
}

interface Case {
  name: string;
  /** The call to time (made ready once per round). */
  run?(impl: Impl): () => void;
  /** The same for a call that completes asynchronously. */
  runAsync?(impl: Impl): Promise<() => Promise<void>>;
}

const podStored = () => {
  const p = clone(podCreate) as Obj & { metadata: Obj };
  Object.assign(p.metadata, { name: 'web-7d9c6b8f5d-x2x9q', uid: '0d6b3f2a-1c4e-4b8a-9e7f-5a2c8d1b3e6f', creationTimestamp: '2026-12-05T11:35:01Z' });
  return p;
};
const checks: Array<[string, Obj, string, string]> = [
  ['pod create', podCreate, 'v1', 'Pod'],
  ['pod status', { ...podCreate, status: runningStatus }, 'v1', 'Pod'],
  ['binding', binding, 'v1', 'Binding'],
  ['event', event, 'v1', 'Event'],
];

const cases: Case[] = [];
for (const [name, body, apiVersion, kind] of checks) {
  const raw = JSON.stringify(body);
  // The handler decodes each body once; a pre-decoded copy per call keeps JSON.parse out of the figure.
  cases.push({ name: `findDuplicateFields ${name} (${raw.length} B)`, run: (impl) => () => void impl.findDuplicateFields(raw) });
  cases.push({
    name: `pruneUnknownFields ${name}`,
    run: (impl) => {
      const copies = Array.from({ length: 1000 }, () => clone(body));
      let i = 0;
      return () => {
        const c = copies[i++ % copies.length]!;
        impl.pruneUnknownFields(apiVersion, kind, c);
      };
    },
  });
  cases.push({ name: `typeErrors ${name}`, run: (impl) => () => void impl.typeErrors(apiVersion, kind, body) });
}
cases.push({
  name: 'recordUpdateOn pod create',
  run: (impl) => {
    const pod = podStored();
    return () => impl.recordUpdateOn(undefined, { ...pod, metadata: { ...(pod.metadata as Obj) } }, CREATOR, NOW);
  },
});
cases.push({
  name: 'recordUpdateOn event create',
  run: (impl) => () =>
    impl.recordUpdateOn(undefined, { ...event, metadata: { ...event.metadata, creationTimestamp: NOW } }, { manager: 'kube-scheduler', apiVersion: 'v1' }, NOW),
});
for (const which of ['first', 'later'] as const) {
  cases.push({
    name: `recordUpdateOn pod status (kubelet, ${which})`,
    run: (impl) => {
      const { live, next } = podStatusWrites(impl)[which];
      return () => impl.recordUpdateOn(live, { ...next, metadata: { ...(next.metadata as Obj) } }, KUBELET, NOW);
    },
  });
}
// A node's lease renewed by its kubelet: the write a cluster makes most, a field its writer owns.
cases.push({
  name: 'recordUpdateOn lease renewal',
  run: (impl) => {
    const lease: Obj = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'sim-node-0042',
        namespace: 'kube-node-lease',
        uid: '3c1d9e2f-7a4b-4f6e-8d2c-1b5a9e3f7c4d',
        creationTimestamp: '2026-12-05T11:30:00Z',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'sim-node-0042', uid: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d' }],
      },
      spec: { holderIdentity: 'sim-node-0042', leaseDurationSeconds: 40, renewTime: '2026-12-05T11:30:00.000000Z' },
    };
    impl.recordUpdateOn(undefined, lease, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1' }, '2026-12-05T11:30:00Z');
    const next = clone(lease) as Obj & { spec: Obj };
    next.spec.renewTime = '2026-12-05T11:35:06.000000Z';
    return () =>
      impl.recordUpdateOn(lease, { ...next, metadata: { ...(next.metadata as Obj) } }, { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1' }, NOW);
  },
});

// ---- whole writes, through the handlers ----

interface KV {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

/**
 * A store in memory whose writes succeed (compare-and-swap checked) but change nothing, so that
 * every call of a case writes over the same object. `last` is the value the last write gave it.
 */
class FrozenStore {
  readonly synchronousWatch = true;
  readonly kvs = new Map<string, KV>();
  last = '';
  private rev = 100;
  constructor(private readonly ConflictError: new (key: string, current: unknown) => Error) {}
  put(key: string, obj: Obj): void {
    this.kvs.set(key, { key, value: JSON.stringify(obj), createRevision: ++this.rev, modRevision: this.rev });
  }
  async currentRevision() {
    return this.rev;
  }
  async compactedRevision() {
    return 0;
  }
  async get(key: string) {
    return this.kvs.get(key);
  }
  async list(prefix: string) {
    const items = [...this.kvs.values()].filter((kv) => kv.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
    return { items, revision: this.rev, more: false };
  }
  async create(key: string, value: string) {
    this.last = value;
    return { key, value, createRevision: this.rev + 1, modRevision: this.rev + 1 };
  }
  async update(key: string, value: string, expected: number) {
    const kv = this.kvs.get(key)!;
    if (kv.modRevision !== expected) throw new this.ConflictError(key, kv);
    this.last = value;
    return { key, value, createRevision: kv.createRevision, modRevision: this.rev + 1 };
  }
  async delete(): Promise<KV> {
    throw new Error('not in these cases');
  }
  watch() {
    return { cancel() {} };
  }
  async compact() {}
  async close() {}
}

/** A request as the handlers read it: its body arrives as soon as it is listened for. */
function request(body: string, userAgent: string) {
  const raw = Buffer.from(body);
  const req = {
    headers: { 'content-type': 'application/json', 'content-length': String(raw.length), 'user-agent': userAgent },
    on(event: string, listener: (chunk?: Buffer) => void) {
      if (event === 'data') listener(raw);
      if (event === 'end') listener();
      return req;
    },
    resume() {},
  };
  return req;
}

/** A response that keeps what was sent. */
function response() {
  const res = {
    code: 0,
    body: Buffer.alloc(0) as Buffer,
    headersSent: false,
    writableHighWaterMark: 64 * 1024,
    headers: new Map<string, unknown>(),
    writeHead(code: number) {
      res.code = code;
      res.headersSent = true;
    },
    getHeader: (k: string) => res.headers.get(k),
    setHeader: (k: string, v: unknown) => res.headers.set(k, v),
    end(body: Buffer) {
      res.body = body;
    },
  };
  return res;
}

interface Server {
  store: FrozenStore;
  /** Serves one request; resolves with its status code, throws when it was not a 2xx. */
  serve(verb: 'create' | 'update', body: string, at: { name?: string; subresource?: string; userAgent: string }): Promise<number>;
}

const servers = new Map<string, Promise<Server>>();

/** The checkout's handlers and RestStorage over a FrozenStore holding the bench's namespace and its service account. */
function server(src: string): Promise<Server> {
  let s = servers.get(src);
  if (!s) servers.set(src, (s = makeServer(src)));
  return s;
}

async function makeServer(src: string): Promise<Server> {
  const { RestStorage } = await import(moduleUrl(src, 'apiserver/rest-storage.ts'));
  const { handleCreate, handleUpdate } = await import(moduleUrl(src, 'apiserver/handlers.ts'));
  const { resources, resourceByKey } = await import(moduleUrl(src, 'registry/index.ts'));
  const { ConflictError } = await import(moduleUrl(src, 'storage/store.ts'));
  const store = new FrozenStore(ConflictError);
  const meta = (name: string, namespace?: string) => ({ name, namespace, uid: `uid-${name}`, creationTimestamp: '2026-12-05T11:00:00Z' });
  store.put('/registry/namespaces/bench', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta('bench'),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  store.put('/registry/serviceaccounts/bench/default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default', 'bench') });
  store.put('/registry/configmaps/bench/kube-root-ca.crt', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('kube-root-ca.crt', 'bench'),
    data: { 'ca.crt': 'x' },
  });
  const storage = new RestStorage(store, resources, { log: () => {} });
  await storage.ready();
  const pods = resourceByKey('pods');
  return {
    store,
    async serve(verb, body, at) {
      const res = response();
      const ctx = {
        storage,
        req: request(body, at.userAgent),
        res,
        q: new URLSearchParams(),
        r: pods,
        namespace: 'bench',
        name: at.name,
        subresource: at.subresource,
        output: { kind: 'object', yaml: false },
        log: () => {},
      };
      await (verb === 'create' ? handleCreate : handleUpdate)(ctx);
      if (res.code < 200 || res.code > 299) throw new Error(`${res.code}: ${res.body.toString()}`);
      return res.code;
    },
  };
}

const podName = 'web-7d9c6b8f5d-x2x9q';
const podKey = `/registry/pods/bench/${podName}`;
const RS_CONTROLLER = 'kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:replicaset-controller';

/** The pod as the ReplicaSet controller's POST stored it, then as the scheduler's binding stored it. */
async function storedPods(s: Server): Promise<{ created: Obj; bound: Obj }> {
  await s.serve('create', JSON.stringify({ ...podCreate, metadata: { ...podCreate.metadata, name: podName } }), { userAgent: RS_CONTROLLER });
  const created = JSON.parse(s.store.last) as Obj;
  s.store.put(podKey, created);
  await s.serve('create', JSON.stringify({ ...binding, metadata: { ...binding.metadata, uid: undefined } }), {
    name: podName,
    subresource: 'binding',
    userAgent: 'kube-scheduler/v1.32.0',
  });
  const bound = JSON.parse(s.store.last) as Obj;
  s.store.kvs.delete(podKey);
  return { created, bound };
}

cases.push({
  name: 'POST pods (handler to response)',
  runAsync: async (impl) => {
    const s = await server(impl.src);
    s.store.kvs.delete(podKey);
    const body = JSON.stringify(podCreate);
    return async () => void (await s.serve('create', body, { userAgent: RS_CONTROLLER }));
  },
});
cases.push({
  name: 'POST pods/binding (handler to response)',
  runAsync: async (impl) => {
    const s = await server(impl.src);
    const { created } = await storedPods(s);
    s.store.put(podKey, created);
    const body = JSON.stringify(binding);
    const uid = (created.metadata as Obj).uid;
    const sent = body.replace(binding.metadata.uid, String(uid));
    return async () => void (await s.serve('create', sent, { name: podName, subresource: 'binding', userAgent: 'kube-scheduler/v1.32.0' }));
  },
});
cases.push({
  name: 'PUT pods/status (handler to response)',
  runAsync: async (impl) => {
    const s = await server(impl.src);
    const { bound } = await storedPods(s);
    s.store.put(podKey, bound);
    // The simulator's PUT: the pod as it read it (managedFields included), with the running status.
    const sent = clone(bound) as Obj & { metadata: Obj };
    sent.metadata.resourceVersion = String(s.store.kvs.get(podKey)!.modRevision);
    sent.status = runningStatus;
    const body = JSON.stringify(sent);
    return async () => void (await s.serve('update', body, { name: podName, subresource: 'status', userAgent: 'berth-sim/v0' }));
  },
});

const selected = cases.filter((c) => c.name.includes(process.env.CASES ?? ''));
const srcs = process.argv.slice(2);
if (!srcs.length) srcs.push(resolve(import.meta.dirname, '../src'));
const impls = await Promise.all(srcs.map(load));
const rounds = 3;
const results = selected.map(() => srcs.map(() => [] as number[]));
for (let r = 0; r < rounds; r++) {
  for (const [ci, c] of selected.entries()) {
    for (const [ii, impl] of impls.entries()) {
      results[ci]![ii]!.push(c.runAsync ? await timeUsAsync(await c.runAsync(impl)) : timeUs(c.run!(impl)));
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(['us per call (median of 3)', ...srcs].join('\t'));
selected.forEach((c, ci) => console.log([c.name, ...results[ci]!.map((xs) => median(xs).toFixed(2))].join('\t')));
