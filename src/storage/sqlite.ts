// SQLite backend of the Store. Every write appends a row to one log table whose primary key is
// the global revision (kine's layout): a read at revision R takes, per key, the newest row at or
// below R. Writes arriving in the same event-loop turn share one transaction (group commit).
// Each is acknowledged, and shown to readers and watchers, only once the WAL holding it is on
// disk, so an acknowledged write survives kill -9 and a power cut alike. SQLite's own fsync at
// commit (synchronous=FULL) would block the only thread for the disk's flush (about 5 ms on a
// busy disk, a fifth of a busy server's time): the WAL is flushed instead by an fdatasync of our
// own, on libuv's thread pool while the next transactions commit once flushes are slow, on the
// thread while the disk answers fast (wal-sync.ts); one flush covers every commit made before it
// started.
import { chmodSync, closeSync, openSync } from 'node:fs';
import { AdaptiveSync } from './wal-sync.js';
import Database from 'better-sqlite3';
import type { Database as DB, Statement } from 'better-sqlite3';
import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  KeyNotFoundError,
  StoreError,
  prefixEnd,
  type KV,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type WatchHandle,
} from './store.js';

interface Row {
  rev: number;
  key: string;
  created: number;
  deleted: number;
  value: string;
}

interface PendingWrite {
  apply(events: StoreEvent[]): KV;
  resolve(kv: KV): void;
  reject(err: unknown): void;
}

/** A committed transaction waiting for its WAL flush before it is acknowledged. */
interface Committed {
  batch: PendingWrite[];
  outcomes: Array<{ kv?: KV; err?: unknown }>;
  events: StoreEvent[];
  revision: number;
}

export interface SqliteStoreOptions {
  /** Makes every committed transaction durable (default: fdatasync of the WAL file); for tests. */
  syncWal?: () => Promise<void>;
}

interface Watcher {
  prefix: string;
  end: string;
  onEvents(events: StoreEvent[]): void;
}

const toKV = (r: Row): KV => ({ key: r.key, value: r.value, createRevision: r.created, modRevision: r.rev });

export class SqliteStore implements Store {
  readonly synchronousWatch = true;
  private readonly db: DB;
  /** The newest revision committed; writes check against it. */
  private revision: number;
  /** The newest revision on disk and acknowledged: all that readers and watchers see. */
  private durable: number;
  /** Committed, not yet known durable, in commit order. */
  private unsynced: Committed[] = [];
  private syncing = false;
  /** Set when a flush failed: nothing is acknowledged any more. */
  private broken?: StoreError;
  private idleWaiters: Array<() => void> = [];
  private walFd?: number;
  private readonly syncWal: () => Promise<void>;
  private readonly walSync = new AdaptiveSync();
  private compacted: number;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private watchers = new Set<Watcher>();
  private closed = false;
  private readonly q: Record<'latest' | 'atRev' | 'list' | 'insert' | 'history' | 'setMeta' | 'compact', Statement>;

  constructor(
    private readonly path: string,
    opts: SqliteStoreOptions = {},
  ) {
    // Secrets live in here: only the owner may read it. SQLite gives its WAL the file's mode.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    this.db = new Database(path);
    // One process owns the file: a second one (another server on the same data dir) would keep
    // its own revision counter and collide. EXCLUSIVE holds SQLite's file lock from the first
    // write to close (and keeps the WAL index in memory: no -shm file); busy_timeout is short
    // so that a second opener fails at once, saying why.
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('busy_timeout = 1000');
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (e) {
      this.db.close();
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new StoreError(`${path} is in use by another process (another berth server on it?)`);
      throw e;
    }
    // NORMAL: SQLite does not flush the WAL at commit; flush() below does, off the thread, before
    // acknowledging (checkpoints still flush, as SQLite always does).
    this.db.pragma('synchronous = NORMAL');
    this.syncWal = opts.syncWal ?? (() => this.fdatasyncWal());
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (
        rev INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        value TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    const meta = (name: string) => (this.db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
    const maxRev = (this.db.prepare('SELECT MAX(rev) AS r FROM kv').get() as { r: number | null }).r ?? 0;
    // The revision lives in meta too, because compaction may delete the newest rows (tombstones)
    // and revisions must never be reused.
    this.revision = Math.max(meta('revision'), maxRev);
    this.compacted = meta('compacted');
    this.durable = this.revision;
    this.q = {
      latest: this.db.prepare('SELECT * FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1'),
      atRev: this.db.prepare('SELECT * FROM kv WHERE key = ? AND rev <= ? ORDER BY rev DESC LIMIT 1'),
      list: this.db.prepare(`
        SELECT kv.* FROM kv JOIN (
          SELECT MAX(rev) AS mr FROM kv WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key
        ) m ON kv.rev = m.mr
        WHERE kv.deleted = 0 ORDER BY kv.key LIMIT ?`),
      insert: this.db.prepare('INSERT INTO kv (rev, key, created, deleted, value) VALUES (?, ?, ?, ?, ?)'),
      history: this.db.prepare('SELECT * FROM kv WHERE rev > ? AND rev <= ? AND key >= ? AND key < ? ORDER BY rev'),
      setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
      compact: this.db.prepare(`
        DELETE FROM kv WHERE rev <= @c AND (deleted = 1 OR rev < (
          SELECT MAX(k2.rev) FROM kv k2 WHERE k2.key = kv.key AND k2.rev <= @c))`),
    };
  }

  async currentRevision(): Promise<number> {
    return this.durable;
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async get(key: string): Promise<KV | undefined> {
    this.assertOpen();
    const row = this.q.atRev.get(key, this.durable) as Row | undefined;
    return row && !row.deleted ? toKV(row) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const revision = opts.revision || this.durable;
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.durable) throw new StoreError(`revision ${revision} is in the future (current ${this.durable})`);
    const start = opts.startKey && opts.startKey > prefix ? opts.startKey : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    // One row more than asked tells whether there is more without a count.
    const rows = this.q.list.all(start, prefixEnd(prefix), revision, limit < 0 ? -1 : limit + 1) as Row[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    return { items: rows.map(toKV), revision, more };
  }

  create(key: string, value: string, origin?: unknown): Promise<KV> {
    return this.enqueue((events) => {
      const cur = this.q.latest.get(key) as Row | undefined;
      if (cur && !cur.deleted) throw new KeyExistsError(key);
      const rev = ++this.revision;
      this.q.insert.run(rev, key, rev, 0, value);
      const kv = { key, value, createRevision: rev, modRevision: rev };
      events.push({ type: 'create', kv, origin });
      return kv;
    });
  }

  update(key: string, value: string, expectedModRevision: number, origin?: unknown): Promise<KV> {
    return this.enqueue((events) => {
      const cur = this.q.latest.get(key) as Row | undefined;
      if (!cur || cur.deleted) throw new KeyNotFoundError(key);
      if (cur.rev !== expectedModRevision) throw new ConflictError(key, toKV(cur));
      const rev = ++this.revision;
      this.q.insert.run(rev, key, cur.created, 0, value);
      const kv = { key, value, createRevision: cur.created, modRevision: rev };
      events.push({ type: 'update', kv, prev: toKV(cur), origin });
      return kv;
    });
  }

  delete(key: string, expectedModRevision?: number): Promise<KV> {
    return this.enqueue((events) => {
      const cur = this.q.latest.get(key) as Row | undefined;
      if (!cur || cur.deleted) throw new KeyNotFoundError(key);
      if (expectedModRevision !== undefined && cur.rev !== expectedModRevision) throw new ConflictError(key, toKV(cur));
      const rev = ++this.revision;
      // The tombstone keeps the last value so that watchers can send it with DELETED.
      this.q.insert.run(rev, key, cur.created, 1, cur.value);
      const kv = { key, value: cur.value, createRevision: cur.created, modRevision: rev };
      events.push({ type: 'delete', kv, prev: toKV(cur) });
      return kv;
    });
  }

  watch(prefix: string, fromRevision: number, onEvents: (events: StoreEvent[]) => void, onError: (err: Error) => void): WatchHandle {
    const watcher: Watcher = { prefix, end: prefixEnd(prefix), onEvents };
    let cancelled = false;
    const handle = {
      cancel: () => {
        cancelled = true;
        this.watchers.delete(watcher);
      },
    };
    if (fromRevision < this.compacted) {
      queueMicrotask(() => !cancelled && onError(new CompactedError(fromRevision, this.compacted)));
      return handle;
    }
    // Replaying history up to what is acknowledged and registering happen in the same synchronous
    // step: writes after it reach the watcher when they are acknowledged, so nothing is missed or
    // seen twice.
    const history = fromRevision < this.durable ? (this.q.history.all(fromRevision, this.durable, prefix, watcher.end) as Row[]) : [];
    this.watchers.add(watcher);
    if (history.length) {
      const events = history.map((r) => this.historyEvent(r));
      queueMicrotask(() => !cancelled && onEvents(events));
    }
    return handle;
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision <= this.compacted) return;
    const target = Math.min(revision, this.durable);
    this.db.transaction(() => {
      this.q.compact.run({ c: target });
      this.q.setMeta.run('compacted', target);
      this.q.setMeta.run('revision', this.revision);
    })();
    this.compacted = target;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length) this.flush();
    this.closed = true;
    // What was committed is acknowledged (or failed) before the file closes.
    while (this.syncing || this.unsynced.length) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.watchers.clear();
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
  }

  private historyEvent(r: Row): StoreEvent {
    const kv = toKV(r);
    if (r.deleted) return { type: 'delete', kv };
    return { type: r.created === r.rev ? 'create' : 'update', kv };
  }

  private enqueue(apply: PendingWrite['apply']): Promise<KV> {
    if (this.closed) return Promise.reject(new StoreError('store is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<KV>((resolve, reject) => {
      this.pending.push({ apply, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction; acknowledge() answers them once it is on disk. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length || this.closed) {
      for (const w of batch) w.reject(new StoreError('store is closed'));
      return;
    }
    const startRevision = this.revision;
    const events: StoreEvent[] = [];
    const outcomes: Array<{ kv?: KV; err?: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            outcomes.push({ kv: w.apply(events) });
          } catch (err) {
            // A refused write (conflict, exists) changes nothing; the others in the batch go on.
            if (!(err instanceof StoreError)) throw err;
            outcomes.push({ err });
          }
        }
        if (this.revision !== startRevision) this.q.setMeta.run('revision', this.revision);
      })();
    } catch (err) {
      this.revision = startRevision;
      for (const w of batch) w.reject(err);
      return;
    }
    this.unsynced.push({ batch, outcomes, events, revision: this.revision });
    this.startSync();
  }

  /**
   * Flushes the WAL once for every transaction committed so far. Transactions committed while it
   * runs wait for the next flush, which starts when this one ends.
   */
  private startSync(): void {
    if (this.syncing || !this.unsynced.length) return;
    this.syncing = true;
    const flushed = this.unsynced;
    this.unsynced = [];
    this.syncWal().then(
      () => {
        this.syncing = false;
        this.acknowledge(flushed);
        this.startSync();
        this.wakeIfIdle();
      },
      (e: Error) => {
        this.syncing = false;
        // Committed but maybe not on disk: never acknowledged, and no write is taken any more
        // (a disk that failed a flush may have dropped what it was given).
        this.broken = new StoreError(`the database's log could not be flushed to disk (${e.message}); restart the server`);
        for (const c of [...flushed, ...this.unsynced.splice(0)]) for (const w of c.batch) w.reject(this.broken);
        this.wakeIfIdle();
      },
    );
  }

  /** In commit order: readers see the writes, their callers get their answers, watchers the events. */
  private acknowledge(flushed: Committed[]): void {
    const events: StoreEvent[] = [];
    for (const c of flushed) {
      this.durable = c.revision;
      c.batch.forEach((w, i) => (c.outcomes[i]!.err ? w.reject(c.outcomes[i]!.err) : w.resolve(c.outcomes[i]!.kv!)));
      for (const e of c.events) events.push(e);
    }
    if (events.length) this.notify(events);
  }

  private wakeIfIdle(): void {
    if (this.syncing || this.unsynced.length) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }

  private fdatasyncWal(): Promise<void> {
    // The WAL exists from the first transaction on (this runs after one) and, with EXCLUSIVE
    // locking, stays the same file until close: a checkpoint rewinds it, never replaces it.
    this.walFd ??= openSync(`${this.path}-wal`, 'r');
    const fd = this.walFd;
    return this.walSync.flush(fd);
  }

  private notify(events: StoreEvent[]): void {
    for (const w of this.watchers) {
      const mine = events.filter((e) => e.kv.key >= w.prefix && e.kv.key < w.end);
      if (mine.length) w.onEvents(mine);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('store is closed');
  }
}
