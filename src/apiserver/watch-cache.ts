// The watch cache: one store watch per resource feeds an in-memory copy of every object and a
// window of recent events. Lists at a recent resourceVersion and every watch are served from
// here, so a hundred watchers cost one store watch, and each event is serialized once.
import type { KObject } from '../api/object.js';
import { CompactedError, StoreUnavailableError, type Store, type StoreEvent, type WatchHandle } from '../storage/store.js';
import { decodeObject, jsonAtRevision, WrittenObject } from './stored-form.js';
import { metadataAttrs, type AttrsFunc, type SelectionAttrs } from './selection-attrs.js';
import type { DeltaReference } from './json-delta.js';
import { ColdEntries, DEFAULT_SWEEP_MS } from './cold-entries.js';

/**
 * One version of an object: its JSON (what GETs, lists and watches write) and what selectors
 * read of it (labels and selectable fields, as upstream's storeElement), not its decoded form.
 * A pod decoded takes about twice the memory of its JSON, and with both the cache held three
 * times the JSON for every object of the cluster. The decoded object is kept only while the
 * change that made it is handed to the watchers (each would otherwise parse it again); after
 * that `obj` parses the JSON for the few readers that need the object (tables, YAML, admission
 * look-ups), each of which gets its own copy. Once settled, the JSON itself is kept encoded
 * against a similar object's (cold-entries.ts) and `json` decodes it.
 */
export class CacheEntry implements SelectionAttrs {
  private decoded?: KObject;
  /** The JSON, or its encoding against `reference`. */
  private text: string;
  private reference?: DeltaReference;
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly fields: Readonly<Record<string, string>>;

  constructor(
    readonly key: string,
    /** The object serialized once, resourceVersion included. */
    json: string,
    readonly rev: number,
    attrs: SelectionAttrs,
    obj?: KObject,
  ) {
    this.text = json;
    this.labels = attrs.labels;
    this.fields = attrs.fields;
    this.decoded = obj;
  }

  /** The object serialized, resourceVersion included. */
  get json(): string {
    return this.reference ? this.reference.decode(this.text) : this.text;
  }

  /** The object; not to be modified (while its change is delivered, every watcher shares it). */
  get obj(): KObject {
    return this.decoded ?? (JSON.parse(this.json) as KObject);
  }

  get encoded(): boolean {
    return this.reference !== undefined;
  }

  /** Its change is delivered: drop the decoded copy (the JSON alone from now on). */
  dropDecoded(): void {
    this.decoded = undefined;
  }

  /** From now on keep the JSON as `encoded`, which `reference` decodes to it. */
  encodeAgainst(reference: DeltaReference, encoded: string): void {
    this.text = encoded;
    this.reference = reference;
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: WatchEventType;
  rev: number;
  entry: CacheEntry;
  prev?: CacheEntry;
  /** What the event is charged to the history budget: its JSON's length when it happened (the entry may be encoded later). */
  bytes: number;
}

export interface CacheWatchOptions {
  /** Only events after this revision; 0 means "send every current object as ADDED first". */
  fromRevision: number;
  sendInitialEvents: boolean;
  prefix: string;
  filter?: AttrsFilter;
}

/** A label and field selector's test, on what the cache keeps of each object. */
export type AttrsFilter = (attrs: SelectionAttrs) => boolean;

export interface CacheWatcher {
  send(type: WatchEventType, entry: CacheEntry): void;
  /** The cache can't serve this watcher any more (re-list): upstream answers 410. */
  expire(message: string): void;
  /** After the initial ADDED events, before any later event: the revision they are the state at. */
  initialEventsEnd?(revision: number): void;
}

export class ExpiredError extends Error {}

const DEFAULT_CAPACITY = 20_000;
/** Bytes of event history all watch caches together keep (see HistoryBudget). */
export const DEFAULT_HISTORY_BYTES = 32 * 1024 * 1024;

/**
 * A bound on the bytes of event history kept by all watch caches together. Counting events
 * alone let 20 000 events of a 900 KB ConfigMap hold gigabytes. Past the bound, the cache
 * holding the most history forgets its oldest events (a watch from there then gets 410 Gone
 * and re-lists, as when the window's count is exceeded), so a flood of big objects in one
 * resource does not shorten every other resource's window.
 */
export class HistoryBudget {
  private total = 0;
  private readonly caches = new Set<WatchCache>();

  constructor(readonly maxBytes = DEFAULT_HISTORY_BYTES) {}

  get bytes(): number {
    return this.total;
  }

  register(cache: WatchCache): void {
    this.caches.add(cache);
  }

  unregister(cache: WatchCache): void {
    this.caches.delete(cache);
  }

  charge(delta: number): void {
    this.total += delta;
    while (this.total > this.maxBytes) {
      let largest: WatchCache | undefined;
      for (const c of this.caches) if (!largest || c.historyBytes > largest.historyBytes) largest = c;
      if (!largest || largest.historyBytes === 0) break;
      largest.forgetOldest();
    }
  }
}

export function decode(value: string, rev: number): { obj: KObject; json: string } {
  const obj = decodeObject(value, rev);
  return { obj, json: JSON.stringify(obj) };
}

/** A version read from the store, still holding its decoded object (see CacheEntry). */
export function entryFromKV(key: string, value: string, rev: number, attrsOf: AttrsFunc): CacheEntry {
  const { obj, json } = decode(value, rev);
  return new CacheEntry(key, json, rev, attrsOf(obj), obj);
}

/**
 * The version a write made, from the object its writer handed the store (see WrittenObject): no
 * parse of the value and no second serialization. Undefined when the value does not have its
 * metadata where the writer said (then the value is decoded as any other).
 */
export function entryFromWritten(key: string, value: string, rev: number, written: WrittenObject, attrsOf: AttrsFunc): CacheEntry | undefined {
  const json = jsonAtRevision(value, written.metadataAt, rev);
  if (json === undefined) return undefined;
  const obj = written.obj;
  obj.metadata.resourceVersion = String(rev);
  // The writer's caller still holds the object: the attributes copy its labels (AttrsFunc).
  return new CacheEntry(key, json, rev, attrsOf(obj), obj);
}

/** How many superseded snapshots a cache keeps for the continue tokens of lists in progress. */
const MAX_CLOSED_SNAPSHOTS = 8;

/**
 * The cache's objects in key order, as they were at every revision from `from` to `until`: what
 * a paged list reads page after page (upstream's ListFromCacheSnapshot), so that its continue
 * tokens are served from memory at the revision of the first page, each page a binary search
 * and a slice instead of a re-read of the store. Entries are shared with the cache, never copied.
 */
export class Snapshot {
  /** The last revision this is the state at; open while it is still the cache's current state. */
  until = Infinity;

  constructor(
    readonly entries: readonly CacheEntry[],
    /** The revision of the last change it includes. */
    readonly from: number,
  ) {}

  /** The index of the first entry whose key is at or after `key`. */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The indexes [start, end) of the entries under a key prefix. */
  range(prefix: string): [number, number] {
    return [this.lowerBound(prefix), this.lowerBound(prefixEnd(prefix))];
  }
}

/** The first key after every key starting with `prefix` (prefixes here end in '/', never in U+FFFF). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const byKey = (a: CacheEntry, b: CacheEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

interface Registered {
  opts: CacheWatchOptions;
  watcher: CacheWatcher;
}

export class WatchCache {
  private objects = new Map<string, CacheEntry>();
  private readonly cold: ColdEntries;
  private ring: CacheEvent[] = [];
  private ringStart = 0;
  /** Every event with a revision above this is in the ring. */
  private windowStart = 0;
  private lastRevision = 0;
  private watchers = new Set<Registered>();
  private storeWatch?: WatchHandle;
  private ready: Promise<void>;
  private stopped = false;
  /** Why the cache may be behind the store right now; undefined when it is caught up. */
  private lag?: Lag = { reason: 'initializing' };
  /** Bytes (JSON characters) of the events in the window, charged to the budget. */
  historyBytes = 0;
  /**
   * Every object in key order as of the last change, built when a list first needs it and then
   * patched with the keys changed since (`unsorted`), so that a list of 150 000 objects does
   * not sort them all each time. Never modified in place: snapshots share it.
   */
  private sorted?: readonly CacheEntry[];
  private unsorted = new Set<string>();
  /** The revision of the last change applied (or of the initial list). */
  private changedAt = 0;
  /** The snapshot of the current state, if a list took one since the last change. */
  private current?: Snapshot;
  /** Snapshots superseded by later changes, newest last, for the lists still paging through them. */
  private closed: Snapshot[] = [];

  constructor(
    private readonly store: Store,
    readonly prefix: string,
    private readonly capacity = DEFAULT_CAPACITY,
    private readonly budget = new HistoryBudget(),
    /** The labels and selectable fields of the cache's kind. */
    private readonly attrsOf: AttrsFunc = metadataAttrs,
    /** How often settled objects are encoded (cold-entries.ts); 0: never, unless sweepCold is called. */
    sweepMs = DEFAULT_SWEEP_MS,
  ) {
    this.cold = new ColdEntries((key) => this.objects.get(key), sweepMs);
    budget.register(this);
    this.ready = this.init();
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  /**
   * Undefined when the cache holds every change the store had when its watch last (re)connected;
   * otherwise why not (stream lost, catching up, re-listing). /readyz reports it.
   */
  behind(): string | undefined {
    if (!this.lag) return undefined;
    return this.lag.target ? `${this.lag.reason} (at revision ${this.lastRevision})` : this.lag.reason;
  }

  /** The revision the cache is known to be current at. */
  async revision(): Promise<number> {
    await this.ready;
    // The SQLite store notifies synchronously at commit, so the cache is always as new as the
    // store: the store's revision is the cache's too. Over etcd the cache is current only up to
    // the last event it applied.
    if (this.store.synchronousWatch) this.lastRevision = Math.max(this.lastRevision, await this.store.currentRevision());
    return this.lastRevision;
  }

  /** Current objects under a prefix, sorted by key as the store would list them. */
  async list(prefix: string, filter?: AttrsFilter): Promise<{ items: CacheEntry[]; revision: number }> {
    const revision = await this.revision();
    return { items: this.matching(prefix, filter), revision };
  }

  /** The matching objects as they are now, sorted by key; synchronous, so nothing changes meanwhile. */
  private matching(prefix: string, filter?: AttrsFilter): CacheEntry[] {
    const snap = this.snapshot();
    const [start, end] = snap.range(prefix);
    const items: CacheEntry[] = [];
    for (let i = start; i < end; i++) {
      const e = snap.entries[i]!;
      if (!filter || filter(e)) items.push(e);
    }
    return items;
  }

  /** The current state as a snapshot (one per state: lists between two changes share it). */
  snapshot(): Snapshot {
    this.current ??= new Snapshot(this.sortedEntries(), this.changedAt);
    return this.current;
  }

  /**
   * The state at `revision`, when the cache holds it: the current state from the last change
   * up to the revision the cache is known current at (call revision() first), or a superseded
   * snapshot a list took. Undefined below the window (compacted: the store answers 410 there).
   */
  snapshotAt(revision: number): Snapshot | undefined {
    if (revision < this.windowStart || revision > this.lastRevision) return undefined;
    if (revision >= this.changedAt) return this.snapshot();
    for (let i = this.closed.length - 1; i >= 0; i--) {
      const s = this.closed[i]!;
      if (s.from <= revision && revision <= s.until) return s;
    }
    return undefined;
  }

  private sortedEntries(): readonly CacheEntry[] {
    if (this.sorted && this.unsorted.size === 0) return this.sorted;
    if (!this.sorted) {
      this.sorted = Array.from(this.objects.values()).sort(byKey);
    } else {
      // Merge: the unchanged entries (already in order) with the changed keys' current entries.
      const changed: CacheEntry[] = [];
      for (const k of this.unsorted) {
        const e = this.objects.get(k);
        if (e) changed.push(e);
      }
      changed.sort(byKey);
      const out: CacheEntry[] = new Array(this.objects.size);
      let n = 0;
      let j = 0;
      for (const e of this.sorted) {
        if (this.unsorted.has(e.key)) continue;
        while (j < changed.length && changed[j]!.key < e.key) out[n++] = changed[j++]!;
        out[n++] = e;
      }
      while (j < changed.length) out[n++] = changed[j++]!;
      out.length = n;
      this.sorted = out;
    }
    this.unsorted.clear();
    return this.sorted;
  }

  /** Bookkeeping of the sorted view and snapshots for a change of `key` at `revision`. */
  private changed(key: string, revision: number): void {
    this.changedAt = revision;
    if (this.sorted) {
      this.unsorted.add(key);
      // Past a point a full sort is cheaper than the merge (and the set stops growing).
      if (this.unsorted.size > 1024 + this.objects.size / 4) {
        this.sorted = undefined;
        this.unsorted.clear();
      }
    }
    if (this.current) {
      this.current.until = revision - 1;
      this.closed.push(this.current);
      this.current = undefined;
      if (this.closed.length > MAX_CLOSED_SNAPSHOTS) this.closed.shift();
    }
  }

  private dropSnapshots(): void {
    this.sorted = undefined;
    this.unsorted.clear();
    this.current = undefined;
    this.closed = [];
  }

  /** How many objects the cache holds (apiserver_storage_objects). */
  get size(): number {
    return this.objects.size;
  }

  values(): IterableIterator<CacheEntry> {
    return this.objects.values();
  }

  get(key: string): CacheEntry | undefined {
    return this.objects.get(key);
  }

  /** Starts a watch; throws ExpiredError when fromRevision is older than the cache's window. */
  async watch(opts: CacheWatchOptions, watcher: CacheWatcher): Promise<() => void> {
    const revision = await this.revision();
    const reg: Registered = { opts, watcher };
    const matches = (e: CacheEntry) => e.key.startsWith(opts.prefix) && (!opts.filter || opts.filter(e));
    // From here to the registration nothing awaits: an event applied in between would be in
    // neither the initial state nor the watch.
    if (opts.sendInitialEvents || opts.fromRevision === 0) {
      for (const e of this.matching(opts.prefix, opts.filter)) watcher.send('ADDED', e);
      watcher.initialEventsEnd?.(Math.max(revision, this.lastRevision));
    } else if (opts.fromRevision < revision) {
      if (opts.fromRevision < this.windowStart) {
        throw new ExpiredError(`too old resource version: ${opts.fromRevision} (${this.windowStart + 1})`);
      }
      for (let i = this.ringStart; i < this.ring.length; i++) {
        const ev = this.ring[i]!;
        if (ev.rev > opts.fromRevision) this.deliver(reg, ev, matches);
      }
    }
    this.watchers.add(reg);
    return () => this.watchers.delete(reg);
  }

  /**
   * The store forgot history at and below revision: so does the cache, so that a watch from a
   * compacted revision answers 410 Expired whichever of the two would serve it.
   */
  compact(revision: number): void {
    if (revision <= this.windowStart) return;
    this.windowStart = revision;
    this.closed = this.closed.filter((snap) => snap.until >= revision);
    while (this.ringStart < this.ring.length && this.ring[this.ringStart]!.rev <= revision) this.dropOldest();
  }

  /** Gives up the oldest event of the window (the history budget is exceeded). */
  forgetOldest(): void {
    if (this.ringStart >= this.ring.length) return;
    this.windowStart = this.ring[this.ringStart]!.rev;
    this.dropOldest();
  }

  /**
   * Encodes the objects current since before the previous sweep (the timer does it every
   * sweepMs); tests call it twice to encode everything.
   */
  sweepCold(): Promise<void> {
    return this.cold.sweep(true);
  }

  stop(): void {
    this.stopped = true;
    this.cold.stop();
    this.storeWatch?.cancel();
    this.watchers.clear();
    this.clearHistory();
    this.dropSnapshots();
    this.budget.unregister(this);
  }

  private async init(): Promise<void> {
    // Built aside and swapped in at the end, so that a re-list never leaves the cache empty.
    const objects = new Map<string, CacheEntry>();
    const fresh: CacheEntry[] = [];
    let start: string | undefined;
    let revision = 0;
    for (;;) {
      const page = await this.store.list(this.prefix, { limit: 5000, startKey: start, revision: revision || undefined });
      revision = page.revision;
      for (const kv of page.items) {
        const e = entryFromKV(kv.key, kv.value, kv.modRevision, this.attrsOf);
        // No watcher to hand it to: the JSON alone from the start.
        e.dropDecoded();
        objects.set(kv.key, e);
        fresh.push(e);
      }
      if (!page.more) break;
      start = page.items.at(-1)!.key + '\0';
    }
    if (this.stopped) return;
    this.objects = objects;
    this.cold.clear();
    for (const e of fresh) this.cold.added(e);
    this.clearHistory();
    this.dropSnapshots();
    this.windowStart = revision;
    this.lastRevision = revision;
    this.changedAt = revision;
    // Listed at `revision`: current then. A store whose watch can lag says when it resumes.
    this.lag = undefined;
    this.watchStore();
  }

  private watchStore(): void {
    this.storeWatch = this.store.watch(
      this.prefix,
      this.lastRevision,
      (events) => this.apply(events),
      (err) => this.onWatchError(err),
      {
        interrupted: (reason) => {
          this.lag = { reason };
        },
        resumed: (revision) => this.catchUpTo(revision),
        progress: (revision) => {
          this.lastRevision = Math.max(this.lastRevision, revision);
          this.checkCaughtUp();
        },
      },
    );
  }

  /**
   * The store watch is back at the store's `revision`: the cache is behind until it holds every
   * change up to it. Either an event past it arrives (events come in order), or the cache's keys
   * and revisions equal the store's at that revision, which proves nothing below it is pending
   * even when no change of this resource came after. etcd's requested progress notifications
   * would say it directly, but before etcd 3.4.31/3.5.13 they can overtake pending events.
   */
  private catchUpTo(revision: number): void {
    if (this.lastRevision >= revision) {
      this.lag = undefined;
      return;
    }
    const lag: Lag = { reason: `watch cache catching up to revision ${revision}`, target: revision };
    this.lag = lag;
    this.listKeys(revision).then(
      (keys) => {
        if (this.lag !== lag) return;
        lag.keys = keys;
        this.checkCaughtUp();
      },
      // The store failed (its watch says so too, and resumes again) or compacted that revision
      // meanwhile: any later revision proves the same, so retry at the store's current one.
      () =>
        setTimeout(() => {
          if (this.lag !== lag || this.stopped) return;
          this.store.currentRevision().then(
            (current) => this.lag === lag && this.catchUpTo(Math.max(current, revision)),
            () => this.lag === lag && this.catchUpTo(revision),
          );
        }, 1000).unref(),
    );
  }

  private async listKeys(revision: number): Promise<Map<string, number>> {
    const keys = new Map<string, number>();
    let start: string | undefined;
    for (;;) {
      const page = await this.store.list(this.prefix, { limit: 5000, startKey: start, revision, keysOnly: true });
      for (const kv of page.items) keys.set(kv.key, kv.modRevision);
      if (!page.more) return keys;
      start = page.items.at(-1)!.key + '\0';
    }
  }

  private checkCaughtUp(): void {
    const lag = this.lag;
    if (!lag?.target) return;
    if (this.lastRevision >= lag.target || (lag.keys && sameRevisions(this.objects, lag.keys))) this.lag = undefined;
  }

  private onWatchError(err: Error): void {
    if (this.stopped) return;
    this.storeWatch?.cancel();
    if (err instanceof StoreUnavailableError) {
      // The store is down for now: keep serving what we have and resume from where we were
      // when it is back; client watches continue uninterrupted.
      this.lag = { reason: err.message };
      setTimeout(() => !this.stopped && this.watchStore(), 250).unref();
      return;
    }
    // The store lost our place (compaction): every watcher must re-list, as upstream's cacher
    // makes them, and the cache rebuilds itself (retrying while the store is unreachable).
    this.lag = { reason: `watch cache re-listing: ${err.message}` };
    for (const r of this.watchers) r.watcher.expire(err instanceof CompactedError ? err.message : `watch cache re-initializing: ${err.message}`);
    this.watchers.clear();
    const reinit = (): void => {
      this.init().catch(() => setTimeout(() => !this.stopped && reinit(), 1000).unref());
    };
    reinit();
  }

  private apply(events: StoreEvent[]): void {
    for (const se of events) {
      const prev = this.objects.get(se.kv.key);
      const { key, value, modRevision } = se.kv;
      const entry =
        (se.type !== 'delete' && se.origin instanceof WrittenObject && entryFromWritten(key, value, modRevision, se.origin, this.attrsOf)) ||
        entryFromKV(key, value, modRevision, this.attrsOf);
      let type: WatchEventType;
      if (se.type === 'delete') {
        this.objects.delete(se.kv.key);
        type = 'DELETED';
      } else {
        this.objects.set(se.kv.key, entry);
        this.cold.added(entry);
        type = prev ? 'MODIFIED' : 'ADDED';
      }
      const ev: CacheEvent = { type, rev: se.kv.modRevision, entry, prev, bytes: entry.json.length };
      this.lastRevision = Math.max(this.lastRevision, ev.rev);
      this.changed(se.kv.key, ev.rev);
      for (const reg of this.watchers) {
        const o = reg.opts;
        // A watch may start past what the cache has applied (its resourceVersion came from a
        // quorum read of etcd): events it has already seen are not sent again.
        if (!o.sendInitialEvents && o.fromRevision > 0 && ev.rev <= o.fromRevision) continue;
        this.deliver(reg, ev, (e) => e.key.startsWith(o.prefix) && (!o.filter || o.filter(e)));
      }
      // Delivered: from now on only the JSON (the superseded version was kept so already).
      entry.dropDecoded();
      this.push(ev);
    }
    this.checkCaughtUp();
  }

  /** Upstream's filtering of a change through a selector: entering is ADDED, leaving is DELETED. */
  private deliver(reg: Registered, ev: CacheEvent, matches: (e: CacheEntry) => boolean): void {
    if (ev.type === 'MODIFIED') {
      const now = matches(ev.entry);
      const before = ev.prev ? matches(ev.prev) : false;
      if (now) reg.watcher.send(before ? 'MODIFIED' : 'ADDED', ev.entry);
      else if (before) reg.watcher.send('DELETED', withRevision(ev.prev!, ev.rev));
      return;
    }
    if (matches(ev.entry)) reg.watcher.send(ev.type, ev.entry);
  }

  private push(ev: CacheEvent): void {
    this.ring.push(ev);
    this.historyBytes += ev.bytes;
    // May forget events of this cache, this one included when it alone is over the budget.
    this.budget.charge(ev.bytes);
    if (this.ring.length - this.ringStart > this.capacity) this.forgetOldest();
  }

  private dropOldest(): void {
    const size = this.ring[this.ringStart]!.bytes;
    // The slot is cleared so that the event's objects can be collected before the array is compacted.
    (this.ring as Array<CacheEvent | undefined>)[this.ringStart] = undefined;
    this.ringStart++;
    this.historyBytes -= size;
    this.budget.charge(-size);
    // Compact the array now and then instead of shifting on every event.
    if (this.ringStart > 1024 && this.ringStart * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.ringStart);
      this.ringStart = 0;
    }
  }

  private clearHistory(): void {
    this.budget.charge(-this.historyBytes);
    this.historyBytes = 0;
    this.ring = [];
    this.ringStart = 0;
  }
}

interface Lag {
  reason: string;
  /** Caught up once every change up to this revision is applied. */
  target?: number;
  /** The store's keys and revisions at `target`, once read. */
  keys?: Map<string, number>;
}

function sameRevisions(objects: Map<string, CacheEntry>, keys: Map<string, number>): boolean {
  if (objects.size !== keys.size) return false;
  for (const [k, rev] of keys) if (objects.get(k)?.rev !== rev) return false;
  return true;
}

/** The version `e` as of a later revision (a watcher's DELETED for an object leaving its selector). */
function withRevision(e: CacheEntry, rev: number): CacheEntry {
  const obj = JSON.parse(e.json) as KObject;
  obj.metadata.resourceVersion = String(rev);
  return new CacheEntry(e.key, JSON.stringify(obj), rev, e, obj);
}
