// GET on a collection: selectors, pagination with continue tokens over consistent snapshots,
// and the choice between the watch cache (recent, in memory) and the store (exact revisions).
import type { KObject } from '../api/object.js';
import { fieldValue, type ResourceType } from '../registry/index.js';
import { attrsFunc, type SelectionAttrs } from './selection-attrs.js';
import { parseSelector, SelectorError } from '../api/labels.js';
import { FieldSelectorError, matchesFieldSelector, parseFieldSelector, type FieldRequirement } from '../api/fields.js';
import { CompactedError } from '../storage/store.js';
import { badRequest, expired, tooLargeResourceVersion } from './errors.js';
import type { RestStorage } from './rest-storage.js';
import { validateListOptions } from './list-options.js';
import { collectionPrefix } from './storage-keys.js';
import { decode, type AttrsFilter, type Snapshot } from './watch-cache.js';

export interface Item {
  obj: KObject;
  json: string;
}

export interface ListResult {
  items: Item[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A request's selectors, tested on an object's labels and selectable fields (selection-attrs.ts). */
export type ObjectFilter = AttrsFilter;

/** Builds the filter of a request's labelSelector and fieldSelector (400 when malformed). */
export function requestFilter(r: ResourceType, q: URLSearchParams): ObjectFilter | undefined {
  let labels;
  let fields: FieldRequirement[] = [];
  try {
    labels = parseSelector(q.get('labelSelector') ?? '');
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(`unable to parse requirement: ${e.message}`);
    throw e;
  }
  try {
    fields = parseFieldSelector(q.get('fieldSelector') ?? '');
  } catch (e) {
    if (e instanceof FieldSelectorError) throw badRequest(`invalid field selector: ${e.message}`);
    throw e;
  }
  for (const f of fields) {
    if (fieldValue(r, { metadata: {} }, f.field) === undefined) {
      throw badRequest(`field label not supported: ${f.field}`);
    }
  }
  if (labels.empty() && !fields.length) return undefined;
  // Every field named is one of the kind's (checked above), so each has its value in the attributes.
  return (a: SelectionAttrs) => labels.matches(a.labels) && matchesFieldSelector(fields, (f) => a.fields[f]);
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, startSuffix: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: startSuffix } satisfies ContinueToken)).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || !Number.isSafeInteger(t.rv) || typeof t.start !== 'string' || t.rv <= 0) throw new Error('bad');
    return t;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

const TOO_OLD_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

const MAX_INT64 = 2n ** 63n - 1n;

/**
 * The `limit` parameter, an int64 as upstream decodes it (400 when it is not one). Zero or less
 * means no limit; anything beyond what a page can hold is the same as no limit too.
 */
function parseLimit(v: string | null): number {
  if (v === null || v === '') return 0;
  if (!/^[+-]?[0-9]+$/.test(v)) throw badRequest(`limit: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n > MAX_INT64 || n < -MAX_INT64 - 1n) throw badRequest(`limit: strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return n <= 0n ? 0 : n > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(n);
}

export async function listObjects(
  storage: RestStorage,
  r: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
  filter?: ObjectFilter,
): Promise<ListResult> {
  const prefix = collectionPrefix(r, namespace);
  const limit = parseLimit(q.get('limit'));
  const token = q.get('continue');
  const rv = q.get('resourceVersion') ?? '';
  const rvMatch = q.get('resourceVersionMatch') ?? '';
  validateListOptions(q, false);
  if (rv && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  if (token && rv && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  const cache = storage.cache(r);

  // Which requests the cache serves follows upstream's cacher (1.33, ConsistentListFromCache and
  // ListFromCacheSnapshot): a continue token or an exact revision is served from a snapshot of
  // that revision when the cache holds one, otherwise read from the store at that revision.
  if (token) {
    const t = decodeContinue(token);
    await cache.revision();
    const snap = cache.snapshotAt(t.rv);
    if (snap) return page(snap, prefix, prefix + t.start, t.rv, limit, filter);
    return storeList(storage, r, prefix, t.rv, prefix + t.start, limit, filter, true);
  }
  const exact = rvMatch === 'Exact' || (rvMatch === '' && limit > 0 && rv !== '' && rv !== '0');
  if (exact && rv !== '0') {
    await cache.revision();
    const snap = cache.snapshotAt(Number(rv));
    if (snap) return page(snap, prefix, prefix, Number(rv), limit, filter);
    return storeList(storage, r, prefix, Number(rv), prefix, limit, filter, false);
  }

  // The rest from memory: RV "" (a consistent read: the cache is current), "0" (any state; as
  // upstream, its limit is ignored), or a NotOlderThan revision the cache has reached. A cache
  // that may lag the store (etcd) answers only RV "0" and revisions it has reached; the rest is
  // a read of the store, as upstream does without progress notifications.
  if (!storage.store.synchronousWatch && rv !== '0' && (rv === '' || Number(rv) > (await cache.revision()))) {
    return storeList(storage, r, prefix, 0, prefix, limit, filter, false);
  }
  const cur = await cache.revision();
  if (rv && Number(rv) > cur) {
    throw tooLargeResourceVersion(rv, cur);
  }
  return page(cache.snapshot(), prefix, prefix, cur, rv === '0' ? 0 : limit, filter);
}

/**
 * One page of a snapshot: the objects under `prefix` from `start` on that match, up to `limit`
 * (0: all), and a continue token at `revision` when more keys follow, as upstream's cacher:
 * with no selector the count of the rest (remainingItemCount) too.
 */
export function page(snap: Snapshot, prefix: string, start: string, revision: number, limit: number, filter?: ObjectFilter): ListResult {
  const [first, end] = snap.range(prefix);
  let i = Math.max(first, snap.lowerBound(start));
  const items: Item[] = [];
  let lastKey = '';
  for (; i < end && (limit === 0 || items.length < limit); i++) {
    const e = snap.entries[i]!;
    if (filter && !filter(e)) continue;
    items.push(e);
    lastKey = e.key;
  }
  const out: ListResult = { items, resourceVersion: String(revision) };
  if (i < end && items.length > 0) {
    out.continue = encodeContinue(revision, lastKey.slice(prefix.length) + '\0');
    if (!filter) out.remainingItemCount = end - i;
  }
  return out;
}

async function storeList(
  storage: RestStorage,
  r: ResourceType,
  prefix: string,
  revision: number,
  start: string,
  limit: number,
  filter: ObjectFilter | undefined,
  fromToken: boolean,
): Promise<ListResult> {
  const items: Item[] = [];
  let rev = revision;
  let startKey = start;
  let more = false;
  let lastKey = '';
  const attrsOf = attrsFunc(r);
  if (revision > 0) {
    // A revision the store has not reached: upstream's "too large resource version" (etcd's
    // future-revision error), not an internal error.
    const current = await storage.store.currentRevision();
    if (revision > current) throw tooLargeResourceVersion(revision, current);
  }
  try {
    // Filtering happens after reading, so keep reading pages until the limit is filled.
    for (;;) {
      const want = limit > 0 ? Math.max(limit - items.length, 64) : 0;
      const page = await storage.store.list(prefix, { revision: rev || undefined, startKey, limit: want || undefined });
      rev = page.revision;
      for (const kv of page.items) {
        lastKey = kv.key;
        const d = decode(kv.value, kv.modRevision);
        if (filter && !filter(attrsOf(d.obj))) continue;
        items.push(d);
        if (limit > 0 && items.length === limit) break;
      }
      const consumedAll = limit === 0 || items.length < limit || lastKey === page.items.at(-1)?.key;
      if (limit > 0 && items.length === limit) {
        more = page.more || !consumedAll;
        break;
      }
      if (!page.more) break;
      startKey = lastKey + '\0';
    }
  } catch (e) {
    if (e instanceof CompactedError) {
      throw fromToken ? expired(TOO_OLD_CONTINUE) : expired(`too old resource version: ${revision} (${e.compacted})`);
    }
    throw e;
  }
  const out: ListResult = { items, resourceVersion: String(rev) };
  if (more) out.continue = encodeContinue(rev, lastKey.slice(prefix.length) + '\0');
  return out;
}
