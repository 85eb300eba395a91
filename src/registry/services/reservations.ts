// Reserved cluster IPs and node ports, one store key per value (/registry/ranges/serviceips/
// 10.43.0.5, /registry/ranges/servicenodeports/30080) naming the Service that holds it. Taking
// a value is a create of its key, which the store refuses when the key exists: two API servers
// over one etcd can never hand out the same value (upstream's current allocator keeps one
// IPAddress object per IP for the same reason). Releasing deletes the key only if it is still
// the releasing Service's, compare-and-swap on its revision.
import type { Store } from '../../storage/store.js';
import { ConflictError, KeyExistsError, KeyNotFoundError } from '../../storage/store.js';
import type { ValueRange } from './ranges.js';

export const IP_RESERVATIONS = '/registry/ranges/serviceips/';
export const PORT_RESERVATIONS = '/registry/ranges/servicenodeports/';

/** Who holds a value, and since when (a reservation without its Service is a leak only once old). */
export interface Holder {
  namespace: string;
  name: string;
  uid: string;
  since: string;
}

export interface Reservation {
  value: number;
  holder: Holder;
  modRevision: number;
}

export class Reservations {
  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    readonly range: ValueRange,
  ) {}

  private key(v: number): string {
    return this.prefix + this.range.format(v);
  }

  /** Takes v for holder: true when taken now or already this holder's, false when someone else holds it. */
  async reserve(v: number, holder: Holder): Promise<boolean> {
    try {
      await this.store.create(this.key(v), JSON.stringify(holder));
      return true;
    } catch (e) {
      if (!(e instanceof KeyExistsError)) throw e;
      const current = await this.get(v);
      // Deleted between the create and the read: try once more.
      if (!current) return this.reserve(v, holder);
      return current.holder.uid === holder.uid;
    }
  }

  async get(v: number): Promise<Reservation | undefined> {
    const kv = await this.store.get(this.key(v));
    return kv ? { value: v, holder: JSON.parse(kv.value) as Holder, modRevision: kv.modRevision } : undefined;
  }

  /** Frees v if uid still holds it; a value someone else took since is left alone. */
  async release(v: number, uid: string): Promise<void> {
    const r = await this.get(v);
    if (!r || r.holder.uid !== uid) return;
    await this.drop(r);
  }

  /** Deletes a reservation as read (compare-and-swap): false when it changed since. */
  async drop(r: Reservation): Promise<boolean> {
    try {
      await this.store.delete(this.key(r.value), r.modRevision);
      return true;
    } catch (e) {
      if (e instanceof ConflictError || e instanceof KeyNotFoundError) return false;
      throw e;
    }
  }

  /** Gives a reservation (as read) to another holder: false when it changed since. */
  async reassign(r: Reservation, holder: Holder): Promise<boolean> {
    try {
      await this.store.update(this.key(r.value), JSON.stringify(holder), r.modRevision);
      return true;
    } catch (e) {
      if (e instanceof ConflictError || e instanceof KeyNotFoundError) return false;
      throw e;
    }
  }

  /** The values reserved now. */
  async taken(): Promise<Set<number>> {
    const out = new Set<number>();
    const { items } = await this.store.list(this.prefix, { keysOnly: true });
    for (const kv of items) {
      const v = this.range.parse(kv.key.slice(this.prefix.length));
      if (v !== undefined) out.add(v);
    }
    return out;
  }

  async all(): Promise<Reservation[]> {
    const { items } = await this.store.list(this.prefix);
    const out: Reservation[] = [];
    for (const kv of items) {
      const v = this.range.parse(kv.key.slice(this.prefix.length));
      if (v === undefined) continue;
      try {
        out.push({ value: v, holder: JSON.parse(kv.value) as Holder, modRevision: kv.modRevision });
      } catch {
        // An unreadable record holds nothing: the repair pass replaces it.
        out.push({ value: v, holder: { namespace: '', name: '', uid: '', since: '1970-01-01T00:00:00Z' }, modRevision: kv.modRevision });
      }
    }
    return out;
  }
}
