// etcd_request_duration_seconds{operation,type} for the store calls of the API server, as
// kube-apiserver's storage layer records its etcd calls (the same metric for both backends:
// the name is upstream's, the store behind it may be SQLite). `type` is the resource
// (`pods`, `deployments.apps`), read from the key, `/registry/<resource>/...`.
import { FastHistogram } from '../metrics/fast.js';
import type { KV, ListOptions, ListResult, Store, WatchHandle } from './store.js';

const duration = new FastHistogram(
  'etcd_request_duration_seconds',
  'Etcd request latency in seconds for each operation and object type.',
  ['operation', 'type'],
  [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
);

const PREFIX = '/registry/';

/** The resource a store key or prefix is about: `/registry/pods/default/x` → `pods`. */
export function resourceOfKey(key: string): string {
  if (!key.startsWith(PREFIX)) return '';
  const end = key.indexOf('/', PREFIX.length);
  return end < 0 ? key.slice(PREFIX.length) : key.slice(PREFIX.length, end);
}

async function timed<T>(operation: string, type: string, call: Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await call;
  } finally {
    duration.child(operation, type).observe((performance.now() - t0) / 1000);
  }
}

/** The store with each read and write timed; watches and revisions pass through. */
export class InstrumentedStore implements Store {
  readonly synchronousWatch: boolean;

  constructor(private readonly inner: Store) {
    this.synchronousWatch = inner.synchronousWatch;
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }
  get(key: string): Promise<KV | undefined> {
    return timed('get', resourceOfKey(key), this.inner.get(key));
  }
  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return timed('list', resourceOfKey(prefix), this.inner.list(prefix, opts));
  }
  create(key: string, value: string, origin?: unknown): Promise<KV> {
    return timed('create', resourceOfKey(key), this.inner.create(key, value, origin));
  }
  update(key: string, value: string, expectedModRevision: number, origin?: unknown): Promise<KV> {
    return timed('update', resourceOfKey(key), this.inner.update(key, value, expectedModRevision, origin));
  }
  delete(key: string, expectedModRevision?: number): Promise<KV> {
    return timed('delete', resourceOfKey(key), this.inner.delete(key, expectedModRevision));
  }
  watch(...args: Parameters<Store['watch']>): WatchHandle {
    return this.inner.watch(...args);
  }
  compact(revision: number): Promise<void> {
    return timed('compact', '', this.inner.compact(revision));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
