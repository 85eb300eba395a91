// Keeps the kernel's table in step with the Services and EndpointSlices it is told about, as
// kube-proxy's nftables Proxier: changes mark their Service dirty; a sync (at most one per
// minSyncPeriod, 1 s by default) recomputes the dirty Services' rules and applies only what
// changed, in one `nft -f` transaction. The first sync, one every hour and the one after any
// failure rewrite the whole table atomically.
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { NftRunner } from './nft.js';
import { serviceRules, sliceServiceKey, type ProxyContext, type ServiceRules } from './model.js';
import { renderFull, renderPartial, sharedCounts, type ServiceChange, type SharedCounts } from './render.js';
import { SlotAllocator } from './slots.js';

export const DEFAULT_TABLE = 'berth';
export const DEFAULT_MIN_SYNC_PERIOD_MS = 1000;
export const DEFAULT_FULL_SYNC_PERIOD_MS = 3_600_000;

export interface ProxierOptions {
  nft: NftRunner;
  context: ProxyContext;
  /** nftables table (family ip); default berth. */
  table?: string;
  minSyncPeriodMs?: number;
  fullSyncPeriodMs?: number;
  log?: (msg: string) => void;
  /** Called after each sync that reached the kernel. */
  onSynced?: (s: SyncResult) => void;
}

export interface SyncResult {
  full: boolean;
  /** How many Services' rules were recomputed. */
  services: number;
  ms: number;
  /** Bytes of nft input. */
  bytes: number;
}

const objKey = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class Proxier {
  readonly table: string;
  private ctx: ProxyContext;
  private readonly services = new Map<string, Service>();
  /** Service key -> slice key -> slice. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private readonly sliceService = new Map<string, string>();
  /** What the kernel holds, per Service. */
  private applied = new Map<string, ServiceRules>();
  /** What holds the kernel's shared hairpin elements; the endpoint maps' key blocks. */
  private shared: SharedCounts = new Map();
  private readonly slots = new SlotAllocator();
  private readonly dirty = new Set<string>();
  private needFull = true;
  private ready = false;
  private stopped = false;
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private fullTimer?: NodeJS.Timeout;
  private lastSyncAt = 0;
  /** Failed syncs in a row: the retry waits longer each time (up to 30 s). */
  private failures = 0;
  private readonly minSync: number;
  private readonly log: (m: string) => void;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: ProxierOptions) {
    this.table = o.table ?? DEFAULT_TABLE;
    this.ctx = o.context;
    this.minSync = o.minSyncPeriodMs ?? DEFAULT_MIN_SYNC_PERIOD_MS;
    this.log = o.log ?? ((m) => process.stderr.write(`berth: proxy: ${m}\n`));
  }

  upsertService(svc: Service): void {
    const k = objKey(svc);
    this.services.set(k, svc);
    this.touch(k);
  }

  deleteService(svc: Service): void {
    const k = objKey(svc);
    this.services.delete(k);
    this.touch(k);
  }

  upsertSlice(slice: EndpointSlice): void {
    const sk = objKey(slice);
    const svc = sliceServiceKey(slice);
    const prev = this.sliceService.get(sk);
    // A slice relabelled to another Service leaves the first one.
    if (prev && prev !== svc) this.removeSlice(sk, prev);
    if (!svc) return;
    this.sliceService.set(sk, svc);
    let m = this.slices.get(svc);
    if (!m) this.slices.set(svc, (m = new Map()));
    m.set(sk, slice);
    this.touch(svc);
  }

  deleteSlice(slice: EndpointSlice): void {
    const sk = objKey(slice);
    const svc = this.sliceService.get(sk);
    if (svc) this.removeSlice(sk, svc);
  }

  private removeSlice(sk: string, svc: string): void {
    this.sliceService.delete(sk);
    const m = this.slices.get(svc);
    m?.delete(sk);
    if (m && !m.size) this.slices.delete(svc);
    this.touch(svc);
  }

  /** The node's addresses or the ranges changed: the next sync rewrites the table. */
  setContext(ctx: ProxyContext): void {
    this.ctx = ctx;
    this.needFull = true;
    this.requestSync();
  }

  private touch(k: string): void {
    this.dirty.add(k);
    this.requestSync();
  }

  /**
   * Starts syncing (call once the informers hold the cluster's state, so the first full sync
   * does not briefly drop the rules of Services not listed yet).
   */
  start(): void {
    if (this.stopped || this.ready) return;
    this.ready = true;
    const every = this.o.fullSyncPeriodMs ?? DEFAULT_FULL_SYNC_PERIOD_MS;
    this.fullTimer = setInterval(() => {
      this.needFull = true;
      this.requestSync();
    }, every);
    this.fullTimer.unref();
    this.requestSync();
  }

  /** A sync soon: now if the last began minSyncPeriod ago, else when it has. */
  requestSync(): void {
    if (!this.ready || this.stopped || this.timer || this.running) return;
    const period = this.failures ? Math.min(30_000, this.minSync * 2 ** this.failures) : this.minSync;
    const wait = Math.max(0, this.lastSyncAt + period - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.sync().finally(() => {
        this.running = undefined;
        if (this.dirty.size || this.needFull) this.requestSync();
        else for (const w of this.idleWaiters.splice(0)) w();
      });
    }, wait);
  }

  /** Resolves when no change is waiting to reach the kernel. */
  idle(): Promise<void> {
    if (!this.timer && !this.running && !this.dirty.size && !this.needFull) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async sync(): Promise<void> {
    this.lastSyncAt = Date.now();
    const t0 = performance.now();
    const dirty = [...this.dirty];
    this.dirty.clear();
    const full = this.needFull;
    const next = new Map(this.applied);
    for (const k of dirty) {
      const svc = this.services.get(k);
      const rules = svc ? serviceRules(svc, [...(this.slices.get(k)?.values() ?? [])], this.ctx, this.slots) : undefined;
      // Key blocks of chains the Service no longer has go back to the allocator.
      for (const id of next.get(k)?.slots ?? []) if (!rules?.slots.includes(id)) this.slots.release(id);
      if (rules) next.set(k, rules);
      else next.delete(k);
    }
    const partial = full
      ? undefined
      : renderPartial(
          this.table,
          dirty.map((k): ServiceChange => ({ before: this.applied.get(k), after: next.get(k) })),
          this.shared,
        );
    const isFull = partial === undefined;
    const text = partial
      ? partial.text
      : renderFull(
          this.table,
          this.ctx,
          [...next.keys()].sort().map((k) => next.get(k)!),
        );
    try {
      if (text) await this.o.nft.apply(text);
      this.applied = next;
      if (isFull) this.shared = sharedCounts(next.values());
      else
        for (const [id, d] of partial!.sharedDelta) {
          const n = (this.shared.get(id) ?? 0) + d;
          if (n > 0) this.shared.set(id, n);
          else this.shared.delete(id);
        }
      this.failures = 0;
      if (isFull) this.needFull = false;
      const result = { full: isFull, services: isFull ? next.size : dirty.length, ms: performance.now() - t0, bytes: text.length };
      // Full syncs are rare (start, hourly, after a failure): worth a line each.
      if (isFull) this.log(`table ip ${this.table}: wrote ${result.services} services in ${Math.round(result.ms)} ms`);
      this.o.onSynced?.(result);
    } catch (e) {
      // The kernel may hold anything now: rewrite it whole on the next try.
      this.log(`${isFull ? 'full' : 'partial'} sync of table ${this.table} failed: ${(e as Error).message}`);
      for (const k of dirty) this.dirty.add(k);
      this.needFull = true;
      this.failures++;
    }
  }

  /** Stops syncing; the table stays (traffic keeps flowing while the agent restarts). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.fullTimer);
    await this.running;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** Removes the proxy's table; true when there was one. */
export async function deleteProxyTable(nft: NftRunner, table = DEFAULT_TABLE): Promise<boolean> {
  // "add" first makes the delete succeed whether or not the table exists; the list tells which.
  const had = (await nft.run(['list', 'tables', 'ip'])).split('\n').some((l) => l.trim() === `table ip ${table}`);
  await nft.apply(`add table ip ${table}\ndelete table ip ${table}\n`);
  return had;
}
