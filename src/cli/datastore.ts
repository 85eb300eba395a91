// Datastore selection (`--datastore sqlite:PATH | etcd://HOST:PORT[,HOST:PORT...]`) and
// `berth datastore migrate`, which copies a stopped cluster's state between backends.
import { join } from 'node:path';
import { EtcdStore } from '../storage/etcd.js';
import { SqliteStore } from '../storage/sqlite.js';
import type { Store } from '../storage/store.js';

export interface EtcdTlsFlags {
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
}

export type DatastoreSpec = { kind: 'sqlite'; path: string } | { kind: 'etcd'; endpoints: string[] };

export function parseDatastore(spec: string | undefined, dataDir: string): DatastoreSpec {
  if (!spec) return { kind: 'sqlite', path: join(dataDir, 'state.db') };
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new Error('--datastore sqlite: needs a path, e.g. sqlite:/var/lib/berth/state.db');
    return { kind: 'sqlite', path };
  }
  if (spec.startsWith('etcd://') || spec.startsWith('etcds://')) {
    const endpoints = spec
      .replace(/^etcds?:\/\//, '')
      .split(',')
      .map((e) => e.trim().replace(/^etcds?:\/\//, ''))
      .filter(Boolean);
    for (const e of endpoints) if (!/^[^\s/]+:\d+$/.test(e)) throw new Error(`--datastore: "${e}" is not HOST:PORT`);
    if (!endpoints.length) throw new Error('--datastore etcd:// needs at least one HOST:PORT');
    return { kind: 'etcd', endpoints };
  }
  throw new Error(`--datastore must be sqlite:PATH or etcd://HOST:PORT[,HOST:PORT...], got "${spec}"`);
}

/** Opens the store, checking that etcd answers (a clear error naming the endpoints if not). */
export async function openStore(spec: DatastoreSpec, tls: EtcdTlsFlags = {}): Promise<Store> {
  if (spec.kind === 'sqlite') return new SqliteStore(spec.path);
  const store = await EtcdStore.open({ endpoints: spec.endpoints, caFile: tls.etcdCafile, certFile: tls.etcdCertfile, keyFile: tls.etcdKeyfile, prefix: '' });
  try {
    await store.ping();
  } catch (e) {
    await store.close();
    throw new Error(`cannot reach etcd at ${spec.endpoints.join(',')}: ${(e as Error).message}`);
  }
  return store;
}

/**
 * Copies every key from one store into an empty other, in the source's revision order, so
 * that resourceVersions keep their relative order; objects (and their uids) are copied as they
 * are. Clients re-list after a migration since resourceVersions change with the backend.
 */
export async function migrate(from: Store, to: Store, log: (m: string) => void): Promise<number> {
  const existing = await to.list('/', { limit: 1 });
  if (existing.items.length) throw new Error('the destination datastore is not empty; migrate into a fresh one');
  const kvs = [];
  let start: string | undefined;
  let revision = 0;
  for (;;) {
    const page = await from.list('/', { limit: 1000, startKey: start, revision: revision || undefined });
    revision = page.revision;
    kvs.push(...page.items);
    if (!page.more) break;
    start = page.items.at(-1)!.key + '\0';
  }
  kvs.sort((a, b) => a.modRevision - b.modRevision);
  for (const [i, kv] of kvs.entries()) {
    const value = rewriteResourceVersion(kv.value);
    await to.create(kv.key, value);
    if ((i + 1) % 1000 === 0) log(`copied ${i + 1}/${kvs.length}`);
  }
  return kvs.length;
}

/** Stored objects carry no resourceVersion of their own (it is the store's revision); drop any stray one. */
function rewriteResourceVersion(value: string): string {
  try {
    const o = JSON.parse(value) as { metadata?: { resourceVersion?: string } };
    if (o?.metadata?.resourceVersion !== undefined) {
      delete o.metadata.resourceVersion;
      return JSON.stringify(o);
    }
  } catch {
    // not JSON: copied verbatim
  }
  return value;
}
