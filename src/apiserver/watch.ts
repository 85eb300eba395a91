// Serving a watch: a chunked stream of {"type","object"} lines fed by the watch cache, with
// bookmarks, sendInitialEvents, Table rows for kubectl get -w, and 410 when too old.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from '../registry/index.js';
import { boolParam, optionalBoolParam } from '../api/query.js';
import { badRequest, expired, tooLargeResourceVersion } from './errors.js';
import { validateListOptions } from './list-options.js';
import type { ObjectFilter } from './list.js';
import type { OutputKind } from './negotiate.js';
import type { RestStorage } from './rest-storage.js';
import { collectionPrefix } from './storage-keys.js';
import { tableRow, type IncludeObject } from './table.js';
import { ExpiredError, type CacheEntry, type WatchCache, type WatchEventType } from './watch-cache.js';

const BOOKMARK_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_S = 1800;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WatchRequest {
  r: ResourceType;
  namespace?: string;
  q: URLSearchParams;
  filter?: ObjectFilter;
  output: OutputKind;
  includeObject: IncludeObject;
}

export async function serveWatch(storage: RestStorage, req: IncomingMessage, res: ServerResponse, w: WatchRequest): Promise<void> {
  const { r, q } = w;
  validateListOptions(q, true);
  const rv = q.get('resourceVersion') ?? '';
  if (rv && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  const sendInitialEvents = optionalBoolParam(q, 'sendInitialEvents');
  const bookmarks = boolParam(q, 'allowWatchBookmarks');
  const cache = storage.cache(r);
  const start = await startingPoint(cache, rv, sendInitialEvents);
  const timeoutS = Number.parseInt(q.get('timeoutSeconds') ?? '', 10);
  const timeoutMs = (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : DEFAULT_TIMEOUT_S * (1 + Math.random())) * 1000;

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  // A client too slow for the events is cut off by the stream (it re-watches) rather than
  // holding memory without bound.
  // Named with its client, so that a log of watchers cut off says whose.
  const stream = storage.watchStreams.open(res, `${r.key}${w.namespace ? ` in ${w.namespace}` : ''} (${req.headers['user-agent'] ?? 'no user agent'})`);
  let closed = false;
  let firstTable = true;
  /** Events before the watch is registered (current objects, or history replayed) are exempt from the stream's limits. */
  let initial = true;
  let cancel: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    cancel?.();
    for (const t of timers) clearTimeout(t);
    stream.end();
  };
  stream.onClose = close;
  req.on('close', close);
  res.on('error', close);

  const write = (line: string) => {
    if (closed) return;
    stream.write(line, !initial);
  };
  const send = (type: WatchEventType | 'BOOKMARK', entry: CacheEntry | undefined, bookmarkRv?: string, initialEnd = false) => {
    if (type === 'BOOKMARK') {
      const metadata: Record<string, unknown> = { resourceVersion: bookmarkRv };
      if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
      write(JSON.stringify({ type, object: { kind: r.kind, apiVersion: r.apiVersion, metadata } }) + '\n');
      return;
    }
    if (w.output === 'table') {
      // Decoded once here: outside the delivery of its change, the entry parses its JSON each time.
      const obj = entry!.obj;
      // Only the first event carries the column definitions, as upstream.
      const table = {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: obj.metadata.resourceVersion },
        columnDefinitions: firstTable ? r.printer.columns : [],
        rows: [tableRow(r, obj, new Date(), w.includeObject)],
      };
      firstTable = false;
      write(JSON.stringify({ type, object: table }) + '\n');
    } else if (w.output === 'metadata') {
      write(JSON.stringify({ type, object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: entry!.obj.metadata } }) + '\n');
    } else {
      write(`{"type":"${type}","object":${entry!.json}}\n`);
    }
  };

  try {
    cancel = await cache.watch(
      {
        ...start,
        prefix: collectionPrefix(r, w.namespace),
        filter: w.filter,
      },
      {
        send: (type, entry) => send(type, entry),
        // The watch-list protocol: this bookmark tells the client its initial state is complete.
        initialEventsEnd: sendInitialEvents ? (revision) => send('BOOKMARK', undefined, String(revision), true) : undefined,
        expire: (message) => {
          write(JSON.stringify({ type: 'ERROR', object: expired(message).toStatus() }) + '\n');
          close();
        },
      },
    );
  } catch (e) {
    if (e instanceof ExpiredError) {
      write(JSON.stringify({ type: 'ERROR', object: expired(e.message).toStatus() }) + '\n');
      close();
      return;
    }
    throw e;
  }
  initial = false;
  if (closed) {
    cancel();
    return;
  }
  // Node fires a timer of more than 2^31-1 ms at once (a watch that ends immediately and is
  // re-opened in a tight loop); longer timeouts, which upstream honours, are armed in steps.
  const armTimeout = (ms: number) => {
    const step = Math.min(ms, MAX_TIMER_MS);
    timers.push(setTimeout(() => (ms > step ? armTimeout(ms - step) : close()), step));
  };
  armTimeout(timeoutMs);
  if (bookmarks) {
    const tick = async () => {
      if (closed) return;
      send('BOOKMARK', undefined, String(await cache.revision()));
      timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
    };
    timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
  }
}

/** How long a watch-list request waits for the cache to reach its resourceVersion, as upstream's cacher. */
const FRESHNESS_WAIT_MS = 3000;

/**
 * Where a watch starts, as upstream's watch semantics: without sendInitialEvents, resourceVersion
 * "" or "0" first sends the current objects as ADDED and N resumes after N; with
 * sendInitialEvents=true the current state (not older than N) comes first whatever the
 * resourceVersion; with sendInitialEvents=false, "" and "0" start at the current revision with
 * no initial events.
 */
async function startingPoint(
  cache: WatchCache,
  rv: string,
  sendInitialEvents: boolean | undefined,
): Promise<{ fromRevision: number; sendInitialEvents: boolean }> {
  const unset = rv === '' || rv === '0';
  if (sendInitialEvents === true) {
    if (!unset) await waitForRevision(cache, Number(rv));
    return { fromRevision: 0, sendInitialEvents: true };
  }
  if (sendInitialEvents === false) return { fromRevision: unset ? await cache.revision() : Number(rv), sendInitialEvents: false };
  return { fromRevision: unset ? 0 : Number(rv), sendInitialEvents: unset };
}

async function waitForRevision(cache: WatchCache, rv: number): Promise<void> {
  const deadline = Date.now() + FRESHNESS_WAIT_MS;
  for (;;) {
    const cur = await cache.revision();
    if (cur >= rv) return;
    if (Date.now() >= deadline) throw tooLargeResourceVersion(String(rv), cur);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
