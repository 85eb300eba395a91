// Generic storage of API objects (upstream's registry/generic/registry.Store): metadata
// bookkeeping, defaulting, validation and admission around the Store's create, compare-and-swap
// update and delete. Handlers call this; it never knows about HTTP.
import { ADMIN, type UserInfo } from './authn.js';
import type { Authorizer } from './authz/authorizer.js';
import type { RequestIdentity } from './authn/request-user.js';
import { randomUUID } from 'node:crypto';
import { generateName } from '../api/generate-name.js';
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import { clone, deepEqual, type KObject } from '../api/object.js';
import type { ResourceType } from '../registry/index.js';
import type { FieldError } from '../api/field-errors.js';
import { ConflictError, KeyExistsError, KeyNotFoundError, type Store } from '../storage/store.js';
import { alreadyExists, ApiError, badRequest, conflict, invalid, notFound } from './errors.js';
import { CachedLookups } from './admission-lookups.js';
import { defaultAdmissionChain, type AdmissionChain } from './admission/index.js';
import type { AdmissionAttributes, Operation } from './admission/types.js';
import type { FinishWrite, Subresource, WriteEnv } from '../registry/strategy.js';
import { serviceNetwork, type ServiceNetwork } from '../registry/services/network.js';
import { rfc3339 } from '../client/time.js';
import { collectionPrefix, objectKey } from './storage-keys.js';
import { HistoryBudget, WatchCache } from './watch-cache.js';
import { attrsFunc } from './selection-attrs.js';
import { WatchStreams, type WatchStreamLimits } from './watch-stream.js';
import { validateNoNewFinalizers } from '../api/validation/objectmeta.js';
import { recordUpdateOn, type Writer } from '../api/managedfields/index.js';
import { decodeObject, encodeWritten, jsonWithRevisionLast, type WrittenObject } from './stored-form.js';

export interface WriteOptions {
  dryRun?: boolean;
  /** Records the write in metadata.managedFields as an Update by this writer (apply records its own). */
  writer?: Writer;
  /** Who writes (admission, kinds that record their requestor); absent: the system itself. */
  user?: UserInfo;
  /** What judges the writer (the RBAC kinds check what the user may grant). */
  authorizer?: Authorizer;
  /** Where admission's warnings go (the response's Warning headers). */
  warn?: (message: string) => void;
}

export { encode } from './stored-form.js';

/** etcd's default request limit (--max-request-bytes, 1.5 MiB), kept for every store alike. */
export const MAX_STORED_BYTES = 1.5 * 1024 * 1024;

/**
 * encode(), refusing what etcd would: an object over its request limit is a 413 with the
 * message kube-apiserver passes on from etcd, on SQLite too, so that a cluster behaves the
 * same on either store.
 */
function encodeForStore(obj: KObject): { value: string; written: WrittenObject } {
  const out = encodeWritten(obj);
  if (Buffer.byteLength(out.value) > MAX_STORED_BYTES) throw storedTooLarge();
  return out;
}

const storedTooLarge = () => new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: etcdserver: request is too large');

export { generateName };

export const nowRfc3339 = () => rfc3339();

const sameJson = deepEqual;

/** Who writes and what judges them, for the strategies that check (the RBAC kinds). */
const requester = (opts: WriteOptions): RequestIdentity | undefined =>
  opts.user && opts.authorizer ? { user: opts.user, authorizer: opts.authorizer } : undefined;

/**
 * What a write hands back: the object, and its JSON when the write stored it (absent for a
 * dry run or a no-op), which the response sends instead of serializing the object again.
 * Like the watch cache, which shares the object, nothing changes a written object afterwards.
 */
export interface Written {
  obj: KObject;
  json?: string;
}

/**
 * The object just written, as the store now holds it: what was encoded, at the revision the
 * store gave it, and its JSON. Handing it on saves parsing back the JSON just made from it.
 */
function stored(obj: KObject, out: { value: string; written: WrittenObject }, rev: number): Written {
  obj.metadata.resourceVersion = String(rev);
  return { obj, json: jsonWithRevisionLast(out.value, out.written, rev) };
}

export type { Subresource };

export type Mutation = (current: KObject) => KObject | Promise<KObject>;

/**
 * What a PUT writes: the object it was sent, whatever the current one is. Unlike a Mutation it
 * needs no copy of the current object (one JSON.parse saved per write). Called once per attempt.
 */
export interface Replacement {
  replacement(): KObject;
}

export type Change = Mutation | Replacement;

export class RestStorage {
  readonly caches = new Map<string, WatchCache>();

  /** Every watch response being written, and the bytes they hold. */
  readonly watchStreams: WatchStreams;

  constructor(
    readonly store: Store,
    resources: ResourceType[],
    limits: {
      historyBytes?: number;
      watchStreams?: WatchStreamLimits;
      log?: (msg: string) => void;
      serviceNetwork?: ServiceNetwork;
      admission?: AdmissionChain;
    } = {},
  ) {
    this.admission = limits.admission ?? defaultAdmissionChain();
    this.watchStreams = new WatchStreams(limits.watchStreams, limits.log);
    this.env = { store, serviceNetwork: limits.serviceNetwork ?? serviceNetwork() };
    this.log = limits.log ?? ((m) => process.stderr.write(`berth: ${m}\n`));
    const budget = new HistoryBudget(limits.historyBytes);
    for (const r of resources) this.caches.set(r.key, new WatchCache(store, collectionPrefix(r), undefined, budget, attrsFunc(r)));
    this.lookups = new CachedLookups(store, (r) => this.cache(r));
  }

  /** What the kinds' write hooks use (the store, the service network). */
  readonly env: WriteEnv;
  private readonly log: (msg: string) => void;

  async ready(): Promise<void> {
    await Promise.all([...this.caches.values()].map((c) => c.whenReady()));
  }

  cache(r: ResourceType): WatchCache {
    return this.caches.get(r.key)!;
  }

  /** What admission looks up: the watch caches, and the store for what they do not have yet. */
  readonly lookups: CachedLookups;

  /** The admission plugins every write goes through. */
  readonly admission: AdmissionChain;

  private attributes(
    operation: Operation,
    r: ResourceType,
    subresource: string,
    object: KObject | undefined,
    oldObject: KObject | undefined,
    opts: WriteOptions,
  ): AdmissionAttributes {
    const meta = (object ?? oldObject)!.metadata;
    return {
      operation,
      resource: r,
      subresource,
      namespace: r.namespaced ? meta.namespace : undefined,
      name: meta.name ?? '',
      object,
      oldObject,
      user: opts.user ?? ADMIN,
      dryRun: !!opts.dryRun,
      lookups: this.lookups,
      env: this.env,
      warn: opts.warn ?? (() => {}),
    };
  }

  async get(r: ResourceType, namespace: string | undefined, name: string): Promise<KObject> {
    const kv = await this.store.get(objectKey(r, namespace, name));
    if (!kv) throw notFound(r, name);
    return decodeObject(kv.value, kv.modRevision);
  }

  /** Creates obj (already namespaced by the caller). */
  async create(r: ResourceType, obj: KObject, opts: WriteOptions = {}): Promise<Written> {
    const meta = obj.metadata;
    const generated = !meta.name && !!meta.generateName;
    await this.lookups.refresh(this.admission.lookupsFor(this.attributes('CREATE', r, '', obj, undefined, opts)));
    for (let attempt = 0; ; attempt++) {
      const candidate = clone(obj);
      if (generated) candidate.metadata.name = generateName(meta.generateName!);
      const attrs = this.attributes('CREATE', r, '', candidate, undefined, opts);
      await this.prepareForCreate(r, candidate, attrs);
      this.validate(r, candidate, r.validator?.create(candidate) ?? []);
      await this.admission.validate(attrs);
      if (opts.writer) recordUpdateOn(undefined, candidate, opts.writer, candidate.metadata.creationTimestamp!);
      const finish = await r.strategy.beginCreate?.(candidate, this.env, !!opts.dryRun, requester(opts));
      if (opts.dryRun) return { obj: candidate };
      try {
        const encoded = encodeForStore(candidate);
        const kv = await this.store.create(objectKey(r, candidate.metadata.namespace, candidate.metadata.name!), encoded.value, encoded.written);
        await this.finish(finish, true);
        return stored(candidate, encoded, kv.modRevision);
      } catch (err) {
        await this.finish(finish, false);
        if (err instanceof KeyExistsError) {
          if (generated && attempt < 5) continue;
          throw alreadyExists(r, candidate.metadata.name!);
        }
        throw mapStoreError(err, r, candidate.metadata.name!);
      }
    }
  }

  private async prepareForCreate(r: ResourceType, obj: KObject, attrs: AdmissionAttributes): Promise<void> {
    const meta = obj.metadata;
    obj.apiVersion = r.apiVersion;
    obj.kind = r.kind;
    if (!r.namespaced) delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRfc3339();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (r.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    const strategy = r.strategy;
    // Status is the system's to write, except for kinds whose creators report it (nodes).
    if (r.hasStatus && !strategy.keepsStatusOnCreate) delete obj.status;
    r.defaulter?.(obj);
    await this.admission.admit(attrs);
    strategy.prepareForCreate?.(obj, this.lookups, attrs.user);
  }

  private validate(r: ResourceType, obj: KObject, errs: FieldError[]): void {
    if (errs.length) throw invalid(r.kind, r.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  /**
   * Read-modify-write with compare-and-swap, retried on conflict unless the caller pinned a
   * resourceVersion (then a conflict is the caller's to handle: 409). `change` is a Mutation (it
   * gets a copy of the current object and returns the wanted one) or a Replacement (a PUT's
   * object); `subresource` says which part of the object may change.
   */
  async update(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    change: Change,
    opts: WriteOptions & { subresource?: Subresource; allowCreate?: KObject; precondition?: string } = {},
  ): Promise<Written & { created: boolean }> {
    const key = objectKey(r, namespace, name);
    // As upstream's GuaranteedUpdate: an unconditional update is retried until it applies (it
    // cannot fail for a write it raced with); a pinned resourceVersion fails at once.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await backOff(attempt);
      const kv = await this.store.get(key);
      if (!kv) {
        if (opts.allowCreate && r.allowCreateOnUpdate) return { ...(await this.create(r, opts.allowCreate, opts)), created: true };
        throw notFound(r, name);
      }
      // The resourceVersion is the store's revision: a stale precondition fails before any parse.
      const pinned = opts.precondition;
      if (pinned && pinned !== String(kv.modRevision)) throw conflict(r, name);
      const current = decodeObject(kv.value, kv.modRevision);
      // Copies of the current object are parsed again from the stored JSON: cheaper than a deep clone.
      const copyOfCurrent = () => decodeObject(kv.value, kv.modRevision);
      const wanted = typeof change === 'function' ? await change(copyOfCurrent()) : change.replacement();
      const next = await this.prepareForUpdate(r, wanted, current, opts, copyOfCurrent);
      if (opts.writer) recordUpdateOn(current, next, opts.writer, nowRfc3339());
      // A no-op write keeps the resourceVersion, as upstream does: re-applying is free. Not for a
      // stale value (plain, or under an old key): rewriting it is how it gets re-encrypted.
      if (
        !kv.stale &&
        sameJson(
          { ...next, metadata: { ...next.metadata, resourceVersion: undefined } },
          { ...current, metadata: { ...current.metadata, resourceVersion: undefined } },
        )
      ) {
        return { obj: current, created: false };
      }
      if (
        next.metadata.deletionTimestamp &&
        !next.metadata.finalizers?.length &&
        !next.metadata.deletionGracePeriodSeconds &&
        !r.strategy.holdsDeletion?.(next)
      ) {
        if (opts.dryRun) return { obj: next, created: false };
        // The last finalizer went away from an object being deleted: the update is the deletion.
        try {
          const del = await this.store.delete(key, kv.modRevision);
          const gone = decodeObject(del.value, del.modRevision);
          await this.afterDelete(r, gone);
          return { obj: gone, created: false };
        } catch (err) {
          if (err instanceof ConflictError && !pinned) continue;
          throw mapStoreError(err, r, name);
        }
      }
      const finish = await r.strategy.beginUpdate?.(next, current, opts.subresource ?? '', this.env, !!opts.dryRun, requester(opts));
      if (opts.dryRun) return { obj: next, created: false };
      try {
        const encoded = encodeForStore(next);
        const out = await this.store.update(key, encoded.value, kv.modRevision, encoded.written);
        await this.finish(finish, true);
        return { ...stored(next, encoded, out.modRevision), created: false };
      } catch (err) {
        await this.finish(finish, false);
        if (err instanceof ConflictError && !pinned) continue;
        throw mapStoreError(err, r, name);
      }
    }
  }

  private async prepareForUpdate(
    r: ResourceType,
    wanted: KObject,
    current: KObject,
    opts: WriteOptions & { subresource?: Subresource },
    copyOfCurrent: () => KObject,
  ): Promise<KObject> {
    const subresource = opts.subresource ?? '';
    if (!wanted || typeof wanted !== 'object' || !wanted.metadata) throw badRequest('the object has no metadata');
    const name = current.metadata.name!;
    if (wanted.metadata.name !== undefined && wanted.metadata.name !== name) {
      throw badRequest(`the name of the object (${wanted.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (r.namespaced && wanted.metadata.namespace !== undefined && wanted.metadata.namespace !== current.metadata.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (wanted.metadata.uid && wanted.metadata.uid !== current.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.group ? r.plural + '.' + r.group : r.plural} "${name}": Precondition failed: UID in precondition: ${wanted.metadata.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    const strategy = r.strategy;
    let next: KObject;
    const reset = strategy.resetFields?.(wanted, current, subresource);
    if (reset) {
      next = reset;
    } else if (subresource === 'status') {
      // The status subresource changes status only (and labels/annotations, as upstream allows).
      next = copyOfCurrent();
      next.status = wanted.status;
      // Upstream's status strategies reset the spec only: the labels and annotations sent stay.
      // (Flannel-style network agents publish their node's annotations this way.)
      if (wanted.metadata.labels !== undefined) next.metadata.labels = wanted.metadata.labels;
      if (wanted.metadata.annotations !== undefined) next.metadata.annotations = wanted.metadata.annotations;
      // An apply to status brings the managedFields it computed (an update's are recorded later).
      next.metadata.managedFields = wanted.metadata.managedFields;
    } else if (subresource === 'binding') {
      next = wanted;
    } else if (subresource === 'finalize') {
      // namespaces/finalize changes spec.finalizers only: how the namespace controller finishes.
      next = copyOfCurrent();
      next.spec = wanted.spec;
    } else {
      next = wanted;
      if (r.hasStatus) next.status = clone(current.status);
    }
    const meta = next.metadata;
    meta.name = name;
    if (r.namespaced) meta.namespace = current.metadata.namespace;
    else delete meta.namespace;
    meta.uid = current.metadata.uid;
    meta.creationTimestamp = current.metadata.creationTimestamp;
    meta.resourceVersion = current.metadata.resourceVersion;
    if (current.metadata.deletionTimestamp) {
      meta.deletionTimestamp = current.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    next.apiVersion = r.apiVersion;
    next.kind = r.kind;
    strategy.prepareForUpdate?.(next, current, subresource);
    r.defaulter?.(next);
    const attrs = this.attributes('UPDATE', r, subresource, next, current, opts);
    await this.admission.admit(attrs);
    if (r.hasGeneration) {
      meta.generation = current.metadata.generation ?? 1;
      if (!sameJson(next.spec, current.spec)) meta.generation += 1;
    }
    const errs =
      subresource === 'binding'
        ? []
        : subresource === 'status' || subresource === 'approval'
          ? (r.validator?.updateStatus?.(next, current) ?? [])
          : (r.validator?.update?.(next, current) ?? r.validator?.create(next) ?? []);
    if (subresource !== 'binding') errs.push(...validateNoNewFinalizers(next.metadata, current.metadata));
    this.validate(r, next, errs);
    await this.admission.validate(attrs);
    return next;
  }

  /** Deletes, gracefully where the kind and the object call for it. Returns what to answer. */
  async delete(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    opts: WriteOptions = {},
  ): Promise<Written & { deleted: boolean }> {
    const key = objectKey(r, namespace, name);
    r.strategy.validateDelete?.(name);
    // Retried until it applies, as updates are; preconditions are checked on every attempt.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await backOff(attempt);
      const kv = await this.store.get(key);
      if (!kv) throw notFound(r, name);
      const current = decodeObject(kv.value, kv.modRevision);
      checkPreconditions(r, current, options);
      const attrs = this.attributes('DELETE', r, '', undefined, current, opts);
      await this.admission.admit(attrs);
      await this.admission.validate(attrs);
      const next = decodeObject(kv.value, kv.modRevision);
      const pending = this.markForDeletion(r, next, options);
      if (opts.dryRun) return { obj: pending ? next : current, deleted: !pending };
      try {
        if (pending) {
          if (sameJson(next, current)) return { obj: current, deleted: false };
          const encoded = encodeForStore(next);
          const out = await this.store.update(key, encoded.value, kv.modRevision, encoded.written);
          return { ...stored(next, encoded, out.modRevision), deleted: false };
        }
        const del = await this.store.delete(key, kv.modRevision);
        const gone = decodeObject(del.value, del.modRevision);
        await this.afterDelete(r, gone);
        return { obj: gone, deleted: true };
      } catch (err) {
        if (err instanceof ConflictError) continue;
        throw mapStoreError(err, r, name);
      }
    }
  }

  /**
   * Ends a write hook's work. A failure here does not fail the write (the object is stored, or
   * its own write failed already): what is left behind, the kind's repair pass takes back.
   */
  private async finish(finish: FinishWrite | undefined, stored: boolean): Promise<void> {
    try {
      await finish?.(stored);
    } catch (e) {
      this.log(`after a write: ${(e as Error).message}`);
    }
  }

  private async afterDelete(r: ResourceType, obj: KObject): Promise<void> {
    try {
      await r.strategy.afterDelete?.(obj, this.env);
    } catch (e) {
      this.log(`after deleting ${r.key} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: ${(e as Error).message}`);
    }
  }

  /**
   * Upstream's BeforeDelete: sets deletionTimestamp when something must happen before the object
   * goes (finalizers, a pod's grace period, a namespace's content). Returns true when the object
   * stays for now.
   */
  private markForDeletion(r: ResourceType, obj: KObject, options: DeleteOptions): boolean {
    const meta = obj.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    // As upstream's deletionFinalizersForGarbageCollection: an explicit policy replaces whichever
    // of the two garbage-collector finalizers the object had (orphanDependents wins over it).
    const policy =
      options.orphanDependents !== undefined && options.orphanDependents !== null
        ? options.orphanDependents
          ? 'Orphan'
          : 'Background'
        : options.propagationPolicy;
    if (policy) {
      finalizers.delete('orphan');
      finalizers.delete('foregroundDeletion');
    }
    if (policy === 'Orphan') finalizers.add('orphan');
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (finalizers.size) meta.finalizers = [...finalizers];
    else delete meta.finalizers;

    const strategy = r.strategy;
    const grace = strategy.gracePeriod?.(obj, options) ?? 0;
    if (strategy.markForDeletion?.(obj, options)) return true;
    if (grace > 0) {
      const deadline = rfc3339(new Date(Date.now() + grace * 1000));
      // A second delete may shorten the grace period, never lengthen it.
      if (!meta.deletionTimestamp || grace < (meta.deletionGracePeriodSeconds ?? Infinity)) {
        meta.deletionTimestamp = deadline;
        meta.deletionGracePeriodSeconds = grace;
      }
      return true;
    }
    if (meta.finalizers?.length) {
      meta.deletionTimestamp ??= nowRfc3339();
      meta.deletionGracePeriodSeconds = 0;
      return true;
    }
    return false;
  }
}

/**
 * Between attempts of a write that lost a compare-and-swap race: at once the first times, then
 * a short random wait growing with the attempts, so that writers contending on one object
 * spread out instead of all re-reading together.
 */
function backOff(attempt: number): Promise<void> {
  if (attempt < 3) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 50)));
}

function checkPreconditions(r: ResourceType, obj: KObject, options: DeleteOptions): void {
  const p = options.preconditions;
  const what = r.group ? `${r.plural}.${r.group}` : r.plural;
  if (p?.uid && p.uid !== obj.metadata.uid) {
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${what} "${obj.metadata.name}": Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid}`,
      {
        name: obj.metadata.name,
        group: r.group || undefined,
        kind: r.plural,
      },
    );
  }
  if (p?.resourceVersion && p.resourceVersion !== obj.metadata.resourceVersion) {
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${what} "${obj.metadata.name}": Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      {
        name: obj.metadata.name,
        group: r.group || undefined,
        kind: r.plural,
      },
    );
  }
}

function mapStoreError(err: unknown, r: ResourceType, name: string): unknown {
  if (err instanceof KeyNotFoundError) return notFound(r, name);
  if (err instanceof ConflictError) return conflict(r, name);
  if (err instanceof KeyExistsError) return alreadyExists(r, name);
  // etcd counts the key and the request's framing too: just under our own check it may still refuse.
  if (/etcdserver: request is too large/.test((err as Error)?.message ?? '')) return storedTooLarge();
  return err;
}
