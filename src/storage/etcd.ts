// etcd backend of the Store: etcd's own revision is every object's resourceVersion (as
// upstream), a list is a range read at one revision, an update is a transaction comparing
// mod_revision, and watches resume from a revision. Several API servers can share one etcd:
// the compacted revision lives in etcd itself (upstream's compact_rev_key), so every server
// agrees on what answers 410.
import { readFileSync } from 'node:fs';
// etcd3 (and gRPC) load only when an etcd datastore is used: SQLite users don't pay for them.
import type { Etcd3, IOptions } from 'etcd3';
import type { IEvent, IKeyValue, IRangeResponse, ITxnResponse } from 'etcd3/lib/rpc.js';
import { ShortBreaker } from './etcd-breaker.js';
import { ResumingWatch } from './etcd-watch.js';
import { storedBytes, valueOfBytes } from './encryption/transformer.js';
import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  KeyNotFoundError,
  StoreUnavailableError,
  type KV,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type WatchHandle,
  type WatchStatus,
} from './store.js';

export interface EtcdOptions {
  endpoints: string[];
  /** Every key is stored under this prefix, so several clusters (or tests) can share one etcd. */
  prefix?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Per-request deadline; etcd that does not answer within it counts as unavailable. */
  timeoutMs?: number;
}

const COMPACT_KEY = 'compact_rev_key';

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/** The end of the byte range of every key starting with prefix (etcd's "prefix + 1"). */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function isUnavailable(e: unknown): boolean {
  const err = e as { code?: number; message?: string; name?: string };
  return (
    err?.name === 'GRPCUnavailableError' ||
    // etcd3's per-host circuit breaker opens after repeated failures: still "etcd is down".
    err?.name === 'BrokenCircuitError' ||
    /circuit breaker is open/.test(err?.message ?? '') ||
    err?.code === 14 ||
    err?.code === 4 ||
    /UNAVAILABLE|DEADLINE_EXCEEDED|No connection established|ECONNREFUSED|Failed to connect|unavailable|deadline/i.test(err?.message ?? '')
  );
}

function isCompacted(e: unknown): boolean {
  return /required revision has been compacted/.test((e as Error)?.message ?? '');
}

export class EtcdStore implements Store {
  readonly synchronousWatch = false;
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private closed = false;

  /** Connects lazily: the first request dials. */
  static async open(opts: EtcdOptions): Promise<EtcdStore> {
    const { Etcd3, isRecoverableError } = await import('etcd3');
    return new EtcdStore(opts, Etcd3, isRecoverableError);
  }

  private constructor(opts: EtcdOptions, Client: typeof Etcd3, isRecoverableError: (e: Error) => boolean) {
    const tls = opts.caFile || opts.certFile;
    const hosts = opts.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `${tls ? 'https' : 'http'}://${e}`));
    const options: IOptions = {
      hosts,
      dialTimeout: 3000,
      // A full list of a big resource is one range response; gRPC's 4 MB default would refuse
      // it. Upstream's etcd client lifts the limit the same way.
      grpcOptions: {
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': 2 * 1024 * 1024 * 1024 - 1,
        // A link that silently drops packets must still break the watch streams, so that they
        // resume: ping every 10 s (etcd accepts pings 5 s apart) and give up after 5 s.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      },
      faultHandling: { host: () => new ShortBreaker({ isFailure: isRecoverableError }) as unknown as HostPolicy },
    };
    if (tls) {
      options.credentials = {
        rootCertificate: readFileSync(opts.caFile!),
        ...(opts.certFile ? { certChain: readFileSync(opts.certFile), privateKey: readFileSync(opts.keyFile!) } : {}),
      };
    }
    this.client = new Client(options);
    this.prefix = opts.prefix ?? '';
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Fails with a clear error naming the endpoints when etcd cannot be reached. */
  async ping(): Promise<void> {
    await this.call(() => this.client.kv.range({ key: this.full(COMPACT_KEY) }, this.deadline()));
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private deadline() {
    return { deadline: Date.now() + this.timeoutMs };
  }

  private toKV(kv: IKeyValue): KV {
    return {
      key: kv.key.toString('utf8').slice(this.prefix.length),
      value: valueOfBytes(kv.value),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    try {
      return await fn();
    } catch (e) {
      if (isUnavailable(e)) throw new StoreUnavailableError(`etcd unavailable: ${(e as Error).message}`);
      throw e;
    }
  }

  private async range(key: Buffer, rangeEndKey?: Buffer, limit = 0, revision = 0, keysOnly = false): Promise<IRangeResponse> {
    return this.call(() =>
      this.client.kv.range({ key, range_end: rangeEndKey, limit, revision, sort_order: 'Ascend', sort_target: 'Key', keys_only: keysOnly }, this.deadline()),
    );
  }

  async currentRevision(): Promise<number> {
    const r = await this.range(this.full(COMPACT_KEY));
    return Number(r.header.revision);
  }

  async compactedRevision(): Promise<number> {
    const r = await this.range(this.full(COMPACT_KEY));
    return r.kvs[0] ? Number(r.kvs[0].value.toString('utf8')) : 0;
  }

  async get(key: string): Promise<KV | undefined> {
    const r = await this.range(this.full(key));
    return r.kvs[0] ? this.toKV(r.kvs[0]) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const p = this.full(prefix);
    const start = opts.startKey ? this.full(opts.startKey) : p;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let r: IRangeResponse;
    try {
      r = await this.range(start, rangeEnd(p), limit, opts.revision ?? 0, opts.keysOnly);
    } catch (e) {
      if (isCompacted(e)) throw new CompactedError(opts.revision ?? 0, await this.compactedRevision());
      throw e;
    }
    return {
      items: r.kvs.map((kv) => this.toKV(kv)),
      revision: Number(r.header.revision) > 0 && opts.revision ? opts.revision : Number(r.header.revision),
      more: r.more,
    };
  }

  private async txn(req: Parameters<Etcd3['kv']['txn']>[0]): Promise<ITxnResponse> {
    return this.call(() => this.client.kv.txn(req, this.deadline()));
  }

  async create(key: string, value: string): Promise<KV> {
    const k = this.full(key);
    const r = await this.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: '0' }],
      success: [{ request_put: { key: k, value: storedBytes(value) } }],
    });
    if (!r.succeeded) throw new KeyExistsError(key);
    const rev = Number(r.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KV> {
    const k = this.full(key);
    const r = await this.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: String(expectedModRevision) }],
      success: [{ request_put: { key: k, value: storedBytes(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) {
      const cur = r.responses[0]?.response_range?.kvs[0];
      if (!cur) throw new KeyNotFoundError(key);
      throw new ConflictError(key, this.toKV(cur));
    }
    const prev = r.responses[0]?.response_put?.prev_kv;
    const rev = Number(r.header.revision);
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KV> {
    const k = this.full(key);
    const r = await this.txn({
      compare:
        expectedModRevision === undefined
          ? [{ key: k, target: 'Mod', result: 'Greater', mod_revision: '0' }]
          : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: String(expectedModRevision) }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) {
      const cur = r.responses[0]?.response_range?.kvs[0];
      if (!cur) throw new KeyNotFoundError(key);
      throw new ConflictError(key, this.toKV(cur));
    }
    const prev = r.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    return { ...this.toKV(prev), modRevision: Number(r.header.revision) };
  }

  watch(prefix: string, fromRevision: number, onEvents: (events: StoreEvent[]) => void, onError: (err: Error) => void, status: WatchStatus = {}): WatchHandle {
    const key = this.full(prefix);
    let w: ResumingWatch | undefined;
    let cancelled = false;
    const fail = (err: Error) => {
      if (cancelled) return;
      cancelled = true;
      w?.cancel();
      onError(err);
    };
    const toEvent = (ev: IEvent): StoreEvent => {
      const kv = this.toKV(ev.kv);
      const prev = ev.prev_kv ? this.toKV(ev.prev_kv) : undefined;
      if (ev.type === 'Delete') return { type: 'delete', kv: { ...(prev ?? kv), modRevision: kv.modRevision }, prev };
      return { type: kv.createRevision === kv.modRevision ? 'create' : 'update', kv, prev };
    };
    // The compacted revision Berth records is checked first: etcd itself may still hold history
    // another API server has already declared gone.
    this.compactedRevision().then(
      (compacted) => {
        if (cancelled) return;
        if (fromRevision < compacted) return fail(new CompactedError(fromRevision, compacted));
        w = new ResumingWatch({
          key,
          rangeEnd: rangeEnd(key),
          fromRevision,
          open: () => this.client.watchClient.watch(),
          sink: {
            events: (evs) => !cancelled && onEvents(evs.map(toEvent)),
            resumed: (rev) => !cancelled && status.resumed?.(rev),
            interrupted: (reason) => !cancelled && status.interrupted?.(`etcd watch interrupted: ${reason}`),
            progress: (rev) => !cancelled && status.progress?.(rev),
            failed: fail,
          },
        });
      },
      (e) => fail(isUnavailable(e) ? new StoreUnavailableError(`etcd unavailable: ${(e as Error).message}`) : (e as Error)),
    );
    return {
      cancel: () => {
        cancelled = true;
        w?.cancel();
      },
    };
  }

  async compact(revision: number): Promise<void> {
    // Record the compacted revision first (only ever forward), then compact etcd itself.
    const key = this.full(COMPACT_KEY);
    for (;;) {
      const cur = await this.range(key);
      const old = cur.kvs[0];
      if (old && Number(old.value.toString('utf8')) >= revision) return;
      const r = await this.txn({
        compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: old ? String(old.mod_revision) : '0' }],
        success: [{ request_put: { key, value: Buffer.from(String(revision)) } }],
      });
      if (r.succeeded) break;
    }
    try {
      await this.call(() => this.client.kv.compact({ revision: String(revision), physical: true }, this.deadline()));
    } catch (e) {
      // Another API server compacted at or past this revision already.
      if (!isCompacted(e)) throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}
