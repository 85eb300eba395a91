// EventRecorder: core/v1 Events about objects, as client-go's record package writes them.
// Repeats of the same (object, type, reason, message) become one Event whose count and
// lastTimestamp grow; similar events are folded and a source's events about one object are
// rate-limited as client-go's correlator does (event-correlator.ts). Writes go out one at a time
// in the background, so recording never blocks the caller.
import type { Event, EventSource, ObjectReference } from 'kubernetes-types/core/v1';
import { isNotFound } from './errors.js';
import { resources } from './paths.js';
import type { RestClient } from './rest.js';
import { rfc3339 } from './time.js';
import type { KubeObject, Mutable } from './types.js';
import { componentLogger } from '../log/logger.js';
import { EventCorrelator } from './event-correlator.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: RestClient;
  /** source.component and reportingComponent, e.g. "default-scheduler". */
  component: string;
  /** source.host and reportingInstance, e.g. the node or process name. */
  host?: string;
  /** Events waiting to be written beyond this are dropped (client-go: 1000). */
  maxPending?: number;
  /** Distinct events remembered for aggregation (client-go: 4096). */
  cacheSize?: number;
  /** Folding and rate limiting (default: client-go's correlator on the wall clock). */
  correlator?: EventCorrelator;
  log?: (msg: string) => void;
}

interface Recorded {
  namespace: string;
  name: string;
  count: number;
}

/** A reference to an object, as Events carry it. */
export function objectReference(obj: KubeObject): ObjectReference {
  const m = obj.metadata ?? {};
  const ref: Mutable<ObjectReference> = {
    kind: obj.kind,
    apiVersion: obj.apiVersion,
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
  };
  for (const k of Object.keys(ref) as Array<keyof ObjectReference>) if (ref[k] === undefined) delete ref[k];
  return ref;
}

export class EventRecorder {
  private readonly cache = new Map<string, Recorded>();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private dropped = 0;
  private seq = 0;
  private readonly log: (msg: string) => void;
  private readonly source: EventSource;
  private readonly correlator: EventCorrelator;

  constructor(private readonly opts: EventRecorderOptions) {
    this.log = opts.log ?? componentLogger('client');
    this.source = opts.host ? { component: opts.component, host: opts.host } : { component: opts.component };
    this.correlator = opts.correlator ?? new EventCorrelator();
  }

  /** Records an event about obj (an object, or a reference to one); written in the background. */
  event(obj: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    const ref = isObject(obj) ? objectReference(obj) : obj;
    const c = this.correlator.correlate({
      component: this.source.component ?? '',
      host: this.source.host ?? '',
      object: [ref.kind ?? '', ref.namespace ?? '', ref.name ?? '', ref.uid ?? '', ref.apiVersion ?? ''],
      fieldPath: ref.fieldPath ?? '',
      type,
      reason,
      message,
    });
    if (!c.write) return;
    if (this.pending >= (this.opts.maxPending ?? 1000)) {
      if (this.dropped++ % 100 === 0) this.log(`events: ${this.opts.component}: dropping events, ${this.pending} waiting to be written`);
      return;
    }
    this.pending++;
    this.tail = this.tail
      .then(() => this.write(ref, type, reason, c.message, c.key))
      .catch((e) => this.log(`events: ${this.opts.component}: ${(e as Error).message}`))
      .finally(() => this.pending--);
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.tail;
  }

  /** key: the correlator's, the same for repeats of this event (or of its aggregate). */
  private async write(ref: ObjectReference, type: EventType, reason: string, message: string, key: string): Promise<void> {
    const { client } = this.opts;
    const now = rfc3339();
    const seen = this.cache.get(key);
    if (seen) {
      const count = seen.count + 1;
      try {
        await client.patch({ ...resources.events, namespace: seen.namespace, name: seen.name }, { count, lastTimestamp: now, message }, 'strategic', {
          discardAnswer: true,
        });
        seen.count = count;
        this.remember(key, seen);
        return;
      } catch (e) {
        // The Event expired or was deleted: start a new one.
        if (!isNotFound(e)) throw e;
        this.cache.delete(key);
      }
    }
    const namespace = ref.namespace || 'default';
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${ref.name ?? 'unknown'}.${this.uniqueSuffix()}`, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: this.source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
    // The Event is created with the name and count it is sent with: its answer is not read.
    await client.create(resources.events, event, { discardAnswer: true });
    this.remember(key, { namespace, name: event.metadata!.name!, count: 1 });
  }

  /** Most recently used last; the oldest goes when the cache is full. */
  private remember(key: string, r: Recorded): void {
    this.cache.delete(key);
    this.cache.set(key, r);
    if (this.cache.size > (this.opts.cacheSize ?? 4096)) this.cache.delete(this.cache.keys().next().value!);
  }

  /** client-go names events NAME.<unix nanoseconds in hex>; a counter keeps ours unique. */
  private uniqueSuffix(): string {
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return nanos.toString(16);
  }
}

function isObject(o: KubeObject | ObjectReference): o is KubeObject {
  return 'metadata' in o && typeof (o as KubeObject).metadata === 'object';
}
