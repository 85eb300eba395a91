// The Store: a revisioned key-value store with watch, the only thing the API server knows
// about persistence. Small on purpose (kine's shape) so that SQLite and etcd are two backends
// behind one test suite.

/** One stored value at one revision. `modRevision` becomes the object's resourceVersion. */
export interface KV {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  /**
   * Set when the value is stored in a form the store would not write now (plain, or under a
   * key that is no longer the first, after encryption was turned on or its key rotated): an
   * update must write it even if it changes nothing, as upstream's GuaranteedUpdate does, so
   * that rewriting every object re-encrypts them.
   */
  stale?: boolean;
}

/** A change seen by a watch. A delete carries the last value, at the deletion's revision. */
export interface StoreEvent {
  type: 'create' | 'update' | 'delete';
  kv: KV;
  /** The value before an update or delete (absent on create). */
  prev?: KV;
  /**
   * What the writer passed with the value (create/update's `origin`), unchanged, when the store
   * notifies in the writer's process (SQLite); absent otherwise. The store never looks at it.
   */
  origin?: unknown;
}

export interface ListOptions {
  /** Read at this revision (a consistent snapshot); latest when absent or 0. */
  revision?: number;
  /** First key to return (inclusive): how continue tokens resume. */
  startKey?: string;
  limit?: number;
  /** Keys and revisions are what the caller needs: a store may leave values empty. */
  keysOnly?: boolean;
}

export interface ListResult {
  items: KV[];
  /** The revision the list was read at. */
  revision: number;
  /** True when `limit` cut the list short. */
  more: boolean;
}

export interface WatchHandle {
  cancel(): void;
}

/**
 * What a store whose watch can lag (etcd, over the network) says about its connection. A store
 * that notifies synchronously (SQLite) never calls these.
 */
export interface WatchStatus {
  /** The watch stream broke: changes are delayed (never lost) until it resumes by itself. */
  interrupted?(reason: string): void;
  /** The stream is back; `revision` is the store's revision then, which the watch is catching up to. */
  resumed?(revision: number): void;
  /** Every change up to `revision` has been delivered. */
  progress?(revision: number): void;
}

export interface Store {
  /**
   * True when watchers are notified before a write is acknowledged (embedded SQLite): a cache
   * fed by watch is then never behind the store, and can serve the latest state.
   */
  readonly synchronousWatch: boolean;
  /** Latest revision written. */
  currentRevision(): Promise<number>;
  /** Oldest revision still readable (lists and watches below it answer CompactedError). */
  compactedRevision(): Promise<number>;
  get(key: string): Promise<KV | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Fails with KeyExistsError when the key holds a value. */
  create(key: string, value: string, origin?: unknown): Promise<KV>;
  /** Compare-and-swap on modRevision; ConflictError (holding the current KV) when it moved. */
  update(key: string, value: string, expectedModRevision: number, origin?: unknown): Promise<KV>;
  /** Deletes, optionally only at expectedModRevision. Returns the deleted value at the deletion revision. */
  delete(key: string, expectedModRevision?: number): Promise<KV>;
  /**
   * Delivers every change under prefix with revision > fromRevision, in revision order, then live
   * changes. `onError` gets CompactedError when fromRevision is no longer retained (also when a
   * lost stream could not resume where it stopped); a watch never skips a change silently.
   */
  watch(prefix: string, fromRevision: number, onEvents: (events: StoreEvent[]) => void, onError: (err: Error) => void, status?: WatchStatus): WatchHandle;
  /** Forget history at and below revision (latest values are kept). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {}

export class KeyNotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

export class KeyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}

export class ConflictError extends StoreError {
  constructor(
    readonly key: string,
    readonly current: KV | undefined,
  ) {
    super(`revision mismatch on ${key}`);
  }
}

export class CompactedError extends StoreError {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (oldest available ${compacted + 1})`);
  }
}

/** The store can't be reached right now (etcd down): the API answers 503 and retries later. */
export class StoreUnavailableError extends StoreError {}

/** The end of a key range holding every key that starts with prefix. */
export function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}
