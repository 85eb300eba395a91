// What client-go's EventCorrelator decides before an Event is written (tools/record/
// events_cache.go): events that differ only by message are folded into one "(combined from
// similar events)" Event once ten of them came within ten minutes, and a source may write 25
// Events about one object in a burst, then one every five minutes. So a ReplicaSet creating 100
// pods writes about 25 Events, not 100 (a burst of 2 000 pods filled the writer's queue and
// dropped the rest), while a pod's own few Events are never held back.

export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_INTERVAL_MS = 600_000;
export const SPAM_BURST = 25;
export const SPAM_REFILL_PER_MS = 1 / 300_000;
const CACHE_ENTRIES = 4096;

export interface EventFacts {
  component: string;
  host: string;
  /** involvedObject: kind, namespace, name, uid, apiVersion, fieldPath. */
  object: string[];
  fieldPath: string;
  type: string;
  reason: string;
  message: string;
}

export type Correlation =
  /** Over the source's budget for this object: not written. */
  | { write: false }
  /** Written (or counted) under `key`, with this message. */
  | { write: true; key: string; message: string };

/** A map that forgets its least recently used entry past a size (groupcache's lru, as upstream). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

export class EventCorrelator {
  private readonly aggregates = new Lru<{ messages: Set<string>; lastMs: number }>(CACHE_ENTRIES);
  private readonly buckets = new Lru<{ tokens: number; atMs: number }>(CACHE_ENTRIES);

  constructor(private readonly now: () => number = Date.now) {}

  correlate(e: EventFacts): Correlation {
    const [kind, namespace, name, uid, apiVersion] = e.object;
    const source = [e.component, e.host, kind, namespace, name, uid, apiVersion];
    const fullKey = [...source.slice(0, 5), e.fieldPath, uid, apiVersion, e.type, e.reason, e.message].join('\0');
    // Aggregation by reason: the same source, object, type and reason with another message.
    const aggregateKey = [...source, e.type, e.reason, e.component, e.host].join('\0');
    const now = this.now();
    let record = this.aggregates.get(aggregateKey);
    if (!record || now - record.lastMs > AGGREGATE_INTERVAL_MS) record = { messages: new Set(), lastMs: now };
    record.messages.add(e.message);
    record.lastMs = now;
    this.aggregates.set(aggregateKey, record);
    let key = fullKey;
    let message = e.message;
    if (record.messages.size >= AGGREGATE_MAX_EVENTS) {
      // Keep the set from growing past the bound (upstream drops an arbitrary member).
      record.messages.delete(record.messages.values().next().value!);
      key = aggregateKey;
      message = `(combined from similar events): ${e.message}`;
    }
    return this.allowed(source.join('\0'), now) ? { write: true, key, message } : { write: false };
  }

  /** The token bucket of a source and object: SPAM_BURST, refilled at one per five minutes. */
  private allowed(spamKey: string, now: number): boolean {
    const b = this.buckets.get(spamKey) ?? { tokens: SPAM_BURST, atMs: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.atMs) * SPAM_REFILL_PER_MS);
    b.atMs = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(spamKey, b);
    return ok;
  }
}
