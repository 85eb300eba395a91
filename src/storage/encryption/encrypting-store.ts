// A Store that encrypts the values of configured resources on the way in and decrypts them on
// the way out, so that everything above it (RestStorage, lists, the watch cache) sees plain
// objects and the backend (SQLite or etcd) holds ciphertext. Keys outside the configured
// prefixes pass through untouched: their only cost is a prefix check.
import {
  ConflictError,
  StoreError,
  type KV,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type WatchHandle,
  type WatchStatus,
} from '../store.js';
import type { ValueTransformer } from './transformer.js';

export interface PrefixTransformer {
  /** A key prefix such as /registry/secrets/. */
  prefix: string;
  transformer: ValueTransformer;
}

export class EncryptingStore implements Store {
  readonly synchronousWatch: boolean;

  constructor(
    readonly inner: Store,
    private readonly routes: PrefixTransformer[],
  ) {
    this.synchronousWatch = inner.synchronousWatch;
  }

  private transformerOf(key: string): ValueTransformer | undefined {
    for (const r of this.routes) if (key.startsWith(r.prefix)) return r.transformer;
    return undefined;
  }

  private decrypt(kv: KV): KV {
    const t = this.transformerOf(kv.key);
    // keysOnly lists may leave values empty: nothing to decrypt.
    if (!t || kv.value === '') return kv;
    const value = t.fromStorage(kv.key, kv.value);
    return t.isStale(kv.value) ? { ...kv, value, stale: true } : { ...kv, value };
  }

  private encrypt(key: string, value: string): string {
    const t = this.transformerOf(key);
    return t ? t.toStorage(key, value) : value;
  }

  /** The KV a write returns holds what the caller wrote, not the ciphertext. */
  private plain(kv: KV, value: string): KV {
    return { ...kv, value };
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  async get(key: string): Promise<KV | undefined> {
    const kv = await this.inner.get(key);
    return kv && this.decrypt(kv);
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    return { ...r, items: r.items.map((kv) => this.decrypt(kv)) };
  }

  async create(key: string, value: string, origin?: unknown): Promise<KV> {
    return this.plain(await this.inner.create(key, this.encrypt(key, value), origin), value);
  }

  async update(key: string, value: string, expectedModRevision: number, origin?: unknown): Promise<KV> {
    try {
      return this.plain(await this.inner.update(key, this.encrypt(key, value), expectedModRevision, origin), value);
    } catch (e) {
      // The caller retries from the current object: it must be readable.
      if (e instanceof ConflictError && e.current) throw new ConflictError(e.key, this.decrypt(e.current));
      throw e;
    }
  }

  async delete(key: string, expectedModRevision?: number): Promise<KV> {
    try {
      return this.decrypt(await this.inner.delete(key, expectedModRevision));
    } catch (e) {
      if (e instanceof ConflictError && e.current) throw new ConflictError(e.key, this.decrypt(e.current));
      throw e;
    }
  }

  watch(prefix: string, fromRevision: number, onEvents: (events: StoreEvent[]) => void, onError: (err: Error) => void, status?: WatchStatus): WatchHandle {
    let failed = false;
    let handle: WatchHandle | undefined;
    handle = this.inner.watch(
      prefix,
      fromRevision,
      (events) => {
        if (failed) return;
        let out: StoreEvent[];
        try {
          out = events.map((ev) => ({ ...ev, kv: this.decrypt(ev.kv), ...(ev.prev ? { prev: this.decrypt(ev.prev) } : {}) }));
        } catch (e) {
          // A change nobody can read: end the watch rather than skip it silently.
          failed = true;
          // SQLite delivers history from within watch(): the handle may not be back yet.
          if (handle) handle.cancel();
          else queueMicrotask(() => handle?.cancel());
          onError(e instanceof StoreError ? e : new StoreError((e as Error).message));
          return;
        }
        onEvents(out);
      },
      onError,
      status,
    );
    return handle;
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
