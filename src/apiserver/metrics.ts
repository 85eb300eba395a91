// The API server's metrics, named, labelled and bucketed as kube-apiserver's
// (staging/src/k8s.io/apiserver/pkg/endpoints/metrics/metrics.go), in the process's registry.
// Request labels are worked out once per request; the per-request counter and histogram are
// `FastCounter`/`FastHistogram` records, so a request pays a lookup and two additions.
import type { IncomingMessage } from 'node:http';
import { Gauge } from 'prom-client';
import { registry } from '../metrics/registry.js';
import { FastCounter, FastHistogram, type HistogramChild } from '../metrics/fast.js';
import type { ApiPath } from './request-info.js';

/** Upstream's request duration buckets (seconds). */
const REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const REQUEST_LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
const COMPONENT = 'apiserver';

const requestTotal = new FastCounter(
  'apiserver_request_total',
  'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
  [...REQUEST_LABELS, 'code'],
);

const requestDuration = new FastHistogram(
  'apiserver_request_duration_seconds',
  'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
  REQUEST_LABELS,
  REQUEST_BUCKETS,
);

const longRunningRequests = new Gauge({
  name: 'apiserver_longrunning_requests',
  help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
  labelNames: REQUEST_LABELS,
  registers: [registry],
});

const registeredWatchers = new Gauge({
  name: 'apiserver_registered_watchers',
  help: 'Number of currently registered watchers for a given resources',
  labelNames: ['group', 'version', 'kind'],
  registers: [registry],
});

/** What a request is, in the metrics' labels (upstream's cleaned verb, scope and dry run). */
export interface RequestLabels {
  verb: string;
  dryRun: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
}

/** A request not (yet) known to be about a resource: discovery, OpenAPI, health, or refused early. */
export function nonResourceLabels(req: IncomingMessage): RequestLabels {
  return { verb: (req.method ?? 'GET').toUpperCase(), dryRun: '', group: '', version: '', resource: '', subresource: '', scope: '' };
}

/**
 * Upstream's verb for a resource request: a GET of a collection is LIST, with watch WATCH; a
 * DELETE of a collection DELETECOLLECTION; a server-side apply PATCH is APPLY.
 */
export function resourceLabels(req: IncomingMessage, path: Extract<ApiPath, { type: 'resource' }>, q: URLSearchParams, watch: boolean): RequestLabels {
  const r = path.req;
  const method = (req.method ?? 'GET').toUpperCase();
  let verb = method;
  if (method === 'GET' && watch) verb = 'WATCH';
  else if (method === 'GET' && !r.name) verb = 'LIST';
  else if (method === 'DELETE' && !r.name) verb = 'DELETECOLLECTION';
  else if (method === 'PATCH' && (req.headers['content-type'] ?? '').startsWith('application/apply-patch')) verb = 'APPLY';
  const scope = r.name ? 'resource' : r.namespace ? 'namespace' : 'cluster';
  return { verb, dryRun: q.has('dryRun') ? 'All' : '', group: r.group, version: r.version, resource: r.resource, subresource: r.subresource ?? '', scope };
}

const labelValues = (l: RequestLabels): string[] => [l.verb, l.dryRun, l.group, l.version, l.resource, l.subresource, l.scope, COMPONENT];

/** Per label set: its duration histogram and its counters by code. */
const byLabels = new Map<string, { duration: HistogramChild; byCode: Map<number, { inc(): void }>; values: string[] }>();

/** A request ended with this HTTP code after so many seconds. */
export function observeRequest(l: RequestLabels, code: number, seconds: number): void {
  const key = `${l.verb} ${l.dryRun} ${l.group} ${l.version} ${l.resource} ${l.subresource} ${l.scope}`;
  let e = byLabels.get(key);
  if (!e) {
    const values = labelValues(l);
    byLabels.set(key, (e = { duration: requestDuration.child(...values), byCode: new Map(), values }));
  }
  let total = e.byCode.get(code);
  if (!total) e.byCode.set(code, (total = requestTotal.child(...e.values, String(code))));
  total.inc();
  e.duration.observe(seconds);
}

/** A long-running request (watch, log, exec) started: counted until the returned function runs. */
export function trackLongRunning(l: RequestLabels): () => void {
  const g = longRunningRequests.labels(...labelValues(l));
  g.inc();
  return () => g.dec();
}

/** A watcher of a kind registered: counted until the returned function runs. */
export function trackWatcher(group: string, version: string, kind: string): () => void {
  const g = registeredWatchers.labels(group, version, kind);
  g.inc();
  return () => g.dec();
}

/** What the running API servers of this process report at scrape time. */
export interface ServerGauges {
  /** Objects per resource key (`pods`, `deployments.apps`), from the watch caches. */
  storageObjects(): Iterable<[string, number]>;
  inflight(): { readOnly: number; mutating: number };
}

const servers = new Set<ServerGauges>();

new Gauge({
  name: 'apiserver_storage_objects',
  help: 'Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
  labelNames: ['resource'],
  registers: [registry],
  collect() {
    this.reset();
    for (const s of servers) for (const [resource, n] of s.storageObjects()) this.labels(resource).inc(n);
  },
});

new Gauge({
  name: 'apiserver_current_inflight_requests',
  help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
  labelNames: ['request_kind'],
  registers: [registry],
  collect() {
    let readOnly = 0;
    let mutating = 0;
    for (const s of servers) {
      const i = s.inflight();
      readOnly += i.readOnly;
      mutating += i.mutating;
    }
    this.labels('readOnly').set(readOnly);
    this.labels('mutating').set(mutating);
  },
});

/** Reports a running API server's gauges until the returned function runs. */
export function reportServerGauges(g: ServerGauges): () => void {
  servers.add(g);
  return () => servers.delete(g);
}
