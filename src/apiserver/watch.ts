// Serving a watch: a chunked stream of {"type","object"} lines fed by the watch cache, with
// bookmarks, sendInitialEvents, Table rows for kubectl get -w, and 410 when too old.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from '../api/registry.js';
import { ApiError, badRequest, expired } from './errors.js';
import type { ObjectFilter } from './list.js';
import type { OutputKind } from './negotiate.js';
import type { RestStorage } from './rest-storage.js';
import { collectionPrefix } from './storage-keys.js';
import { tableRow, type IncludeObject } from './table.js';
import { ExpiredError, type CacheEntry, type WatchEventType } from './watch-cache.js';

const BOOKMARK_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_S = 1800;

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
  const rv = q.get('resourceVersion') ?? '';
  if (rv && !/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  const sendInitialEvents = q.get('sendInitialEvents') === 'true';
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  if (q.has('sendInitialEvents')) {
    if (q.get('resourceVersionMatch') !== 'NotOlderThan') {
      throw new ApiError(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    }
    if (sendInitialEvents && !bookmarks) {
      throw new ApiError(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Forbidden: allowWatchBookmarks required when sendInitialEvents is true');
    }
  }
  const timeoutS = Number.parseInt(q.get('timeoutSeconds') ?? '', 10);
  const timeoutMs = (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : DEFAULT_TIMEOUT_S * (1 + Math.random())) * 1000;

  const cache = storage.cache(r);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  // A client too slow for the events is cut off by the stream (it re-watches) rather than
  // holding memory without bound.
  const stream = storage.watchStreams.open(res, `${r.key}${w.namespace ? ` in ${w.namespace}` : ''}`);
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
      // Only the first event carries the column definitions, as upstream.
      const table = {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: entry!.obj.metadata.resourceVersion },
        columnDefinitions: firstTable ? r.printer.columns : [],
        rows: [tableRow(r, entry!.obj, new Date(), w.includeObject)],
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
        fromRevision: sendInitialEvents || rv === '' || rv === '0' ? 0 : Number(rv),
        sendInitialEvents: sendInitialEvents || rv === '' || rv === '0',
        prefix: collectionPrefix(r, w.namespace),
        filter: w.filter,
      },
      {
        send: (type, entry) => send(type, entry),
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
  if (sendInitialEvents) send('BOOKMARK', undefined, String(await cache.revision()), true);
  timers.push(setTimeout(close, timeoutMs));
  if (bookmarks) {
    const tick = async () => {
      if (closed) return;
      send('BOOKMARK', undefined, String(await cache.revision()));
      timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
    };
    timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
  }
}
