// The `list` suite: how long the API server takes to LIST many pods, the ways clients ask.
// `berth server --no-agent` (scheduler and controllers off: nothing but the API server works on
// the pods) is filled with N pods bound to a node that does not exist, so nothing schedules,
// runs or garbage-collects them; then, from a client on the same machine, each timed to the
// response's last byte: the cluster-wide LIST whole (resourceVersion "" — a consistent read —
// and "0"), paged by 500 to the last page in JSON and as `kubectl get pods -A` pages (Tables),
// the real kubectl doing it, a namespaced LIST, and the server's resident memory.
// No protobuf figure: the server answers a request for protobuf with JSON (negotiate.ts).
// `measureList` takes any running server and cluster already filled, for other suites (scale).
// `--compare OTHER/dist/berth.js` measures another build the same way in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { startEtcd, type RunningEtcd } from '../test/e2e/etcd-harness.js';
import { call, emit, median, peakRssMb, round, rssMb, startBerth, type BenchServer, type Result } from './common.js';
import { DEFAULT_SWEEP_MS } from '../src/apiserver/cold-entries.js';

export interface ListSuiteOptions {
  pods?: number;
  /** 'sqlite' (default) or 'etcd'. */
  datastore?: string;
  /** Another build's dist/berth.js, measured after this one in the same run. */
  compare?: string;
}

export interface ListFigures {
  pods: number;
  /** Whole cluster-wide LIST, resourceVersion "" (consistent read), ms (median). */
  wholeMs: number;
  wholeBytes: number;
  /** Whole cluster-wide LIST, resourceVersion "0", ms (median). */
  wholeRv0Ms: number;
  /** limit=500 pages, JSON, first to last page, ms. */
  pagedMs: number;
  pages: number;
  /** limit=500 pages of Tables (what `kubectl get pods -A` asks for), ms. */
  pagedTableMs: number;
  /** The real kubectl, `get pods -A --no-headers`, wall time ms (its own decoding and printing included). */
  kubectlMs?: number;
  /** One namespace's LIST, ms (median). */
  namespacedMs: number;
  namespacedPods: number;
  rssMb: number;
  peakRssMb: number;
}

const THIS_BUILD = join(import.meta.dirname, '..', 'dist', 'berth.js');
const CREATE_CONCURRENCY = 48;
/** Pods per namespace, as in ClusterLoader2's load test (a few thousand a namespace). */
const PODS_PER_NAMESPACE = 3000;
const REPS = 3;
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

/** Two periods of the watch cache's sweep of settled objects, and a margin. */
const SETTLE_MS = 2 * DEFAULT_SWEEP_MS + 3000;

function pod(i: number, namespace: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `list-${String(i).padStart(6, '0')}`,
      namespace,
      labels: { app: 'list-bench', shard: String(i % 10), 'pod-template-hash': '5d9c7b8f6c' },
    },
    spec: {
      // A node that does not exist: nothing schedules, starts or deletes these pods.
      nodeName: 'list-bench-absent-node',
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'INDEX', value: String(i) }],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
        },
      ],
    },
  };
}

export function namespaceOf(i: number): string {
  return `list-${Math.floor(i / PODS_PER_NAMESPACE)}`;
}

async function ok(p: Promise<{ status: number; text: string }>, what: string): Promise<void> {
  const r = await p;
  if (r.status >= 300 && r.status !== 409) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
}

/** Creates N pods through the API, in parallel; their namespaces first. */
export async function fillPods(server: BenchServer, pods: number): Promise<void> {
  for (let n = 0; n * PODS_PER_NAMESPACE < pods; n++) {
    const name = namespaceOf(n * PODS_PER_NAMESPACE);
    await ok(call(server, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }), `namespace ${name}`);
  }
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const progress = setInterval(
    () => process.stderr.write(`  list: ${done}/${pods} pods created (${round(done / ((performance.now() - t0) / 1000))}/s)\n`),
    15_000,
  );
  const worker = async () => {
    for (let i = next++; i < pods; i = next++) {
      const ns = namespaceOf(i);
      await ok(call(server, 'POST', `/api/v1/namespaces/${ns}/pods`, pod(i, ns)), `pod ${i}`);
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  } finally {
    clearInterval(progress);
  }
}

export interface GetOptions {
  accept?: string;
  /** Keep the whole body (a whole list may be hundreds of MB: only when needed). */
  keep?: boolean;
  /** Count this pattern's occurrences in the body as it arrives (an item's marker). */
  count?: Buffer;
  /** Keep the body's first bytes, up to this many (a list's metadata comes first). */
  headBytes?: number;
}

export interface TimedGet {
  status: number;
  ms: number;
  bytes: number;
  body?: Buffer;
  count?: number;
  head?: string;
}

/**
 * A GET timed to the last byte of its body, as upstream's request latency is: what the client
 * does with the body afterwards (decoding it) is its own time. A keep-alive connection the server
 * closed just as it was reused is retried once on a new one, as HTTP clients do.
 */
export async function timedGet(s: BenchServer, path: string, opts: GetOptions = {}): Promise<TimedGet> {
  try {
    return await timedGetOnce(s, path, opts);
  } catch (e) {
    if (!(e as { reused?: boolean }).reused) throw e;
    process.stderr.write(`  list: GET ${path}: ${(e as Error).message} on a reused connection; once more\n`);
    return timedGetOnce(s, path, opts);
  }
}

function timedGetOnce(s: BenchServer, path: string, opts: GetOptions): Promise<TimedGet> {
  const { accept = 'application/json', keep = false, headBytes = 0 } = opts;
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const req = request(new URL(path, s.url), { agent: s.agent, ca: s.ca, headers: { Authorization: `Bearer ${s.token}`, Accept: accept } }, (r) => {
      const chunks: Buffer[] = [];
      const heads: Buffer[] = [];
      let headLength = 0;
      const counter = opts.count ? new StreamCounter(opts.count) : undefined;
      let bytes = 0;
      r.on('data', (d: Buffer) => {
        bytes += d.length;
        if (keep || r.statusCode !== 200) chunks.push(d);
        if (headLength < headBytes) {
          heads.push(d.subarray(0, headBytes - headLength));
          headLength += Math.min(d.length, headBytes - headLength);
        }
        counter?.push(d);
      });
      r.on('end', () => {
        const ms = performance.now() - t0;
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        if (r.statusCode !== 200) return rej(new Error(`GET ${path}: ${r.statusCode} ${body?.toString('utf8').slice(0, 300)}`));
        res({ status: r.statusCode, ms, bytes, body, count: counter?.count, head: headBytes ? Buffer.concat(heads).toString('utf8') : undefined });
      });
      r.on('error', rej);
    });
    req.on('error', (e) => rej(Object.assign(e, { reused: req.reusedSocket })));
    req.end();
  });
}

/** Counts a pattern's occurrences in a body that arrives in chunks, those across two chunks included. */
export class StreamCounter {
  count = 0;
  /** The stream's last pattern.length - 1 bytes: the start of an occurrence the next chunk may end. */
  private tail = Buffer.alloc(0);

  constructor(private readonly pattern: Buffer) {}

  push(chunk: Buffer): void {
    const keep = this.pattern.length - 1;
    if (this.tail.length) {
      // Occurrences that start in the tail end in this chunk: neither side counted them alone.
      const seam = Buffer.concat([this.tail, chunk.subarray(0, keep)]);
      for (let i = seam.indexOf(this.pattern); i >= 0 && i < this.tail.length; i = seam.indexOf(this.pattern, i + 1)) this.count++;
    }
    this.count += occurrences(chunk, this.pattern);
    const joined = chunk.length >= keep ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - keep)));
  }
}

/**
 * A list's metadata (continue token, remainingItemCount) read from the start of its body, where
 * both a list and a Table put it, without decoding the items after it.
 */
export function listMetadata(head: string): { continue?: string; remainingItemCount?: number; resourceVersion?: string } {
  const at = head.indexOf('"metadata":{');
  // A list's metadata holds no nested object: it ends at the first closing brace.
  const end = at < 0 ? -1 : head.indexOf('}', at);
  if (end < 0) throw new Error(`no list metadata in the body's first ${head.length} bytes: ${head.slice(0, 200)}`);
  return JSON.parse(head.slice(at + '"metadata":'.length, end + 1)) as { continue?: string };
}

/** What marks each item of a list in JSON: a pod's creationTimestamp, a Table row's cells. */
export const POD_MARKER = Buffer.from('"creationTimestamp":"');
export const ROW_MARKER = Buffer.from('"cells":[');

/**
 * Pages a LIST by `limit` to its last page, each page timed to its last byte: the client reads the
 * continue token at the head of each page and counts the items by `marker` as they arrive, but
 * decodes nothing (decoding is the client's own time, not the server's). Returns the time from
 * the first request to the last page's last byte, and how many items and pages came.
 */
export async function pagedList(
  s: BenchServer,
  path: string,
  limit: number,
  accept: string,
  marker: Buffer,
): Promise<{ ms: number; items: number; pages: number }> {
  const t0 = performance.now();
  let token = '';
  let items = 0;
  let pages = 0;
  do {
    const q = `${path}?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const r = await timedGet(s, q, { accept, count: marker, headBytes: 4096 });
    items += r.count!;
    pages++;
    token = listMetadata(r.head!).continue ?? '';
  } while (token);
  return { ms: performance.now() - t0, items, pages };
}

/** How many times `pattern` occurs in `buf`. */
export function occurrences(buf: Buffer, pattern: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(pattern); i >= 0; i = buf.indexOf(pattern, i + pattern.length)) n++;
  return n;
}

/** The real kubectl's `get pods -A`, run without blocking this process (its connections stay serviced meanwhile). */
async function kubectlGetAll(s: BenchServer): Promise<{ ms: number; lines: number } | undefined> {
  const bin = ['/usr/bin/kubectl', '/usr/lib/google-cloud-sdk/bin/kubectl.1.32'].find((p) => spawnSync(p, ['version', '--client']).status === 0);
  if (!bin) return undefined;
  const t0 = performance.now();
  const child = spawn(bin, ['--kubeconfig', s.kubeconfig, 'get', 'pods', '-A', '--no-headers'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  let lines = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`kubectl get pods -A: exit ${code}: ${stderr.slice(0, 300)}`);
  return { ms, lines };
}

/**
 * Measures the LISTs of a server already holding `pods` pods (`namespace`: one of their
 * namespaces, for the namespaced LIST). Checks that every list returned every pod.
 */
export async function measureList(s: BenchServer, pods: number, namespace: string, opts: { kubectl?: boolean } = {}): Promise<ListFigures> {
  const wholeMs: number[] = [];
  const wholeRv0: number[] = [];
  let wholeBytes = 0;
  // Each list's pods counted by their names as they arrive (not parsed: at 150 000 pods the body
  // is near V8's limit on a string's length, and parsing it would cost this process GBs).
  const mine = Buffer.from('"name":"list-');
  const counted = (what: string, r: TimedGet): TimedGet => {
    if (r.count! < pods) throw new Error(`${what} returned ${r.count} of the bench's pods, expected ${pods}`);
    return r;
  };
  for (let i = 0; i < REPS; i++) {
    const r = counted('whole LIST', await timedGet(s, '/api/v1/pods', { count: mine }));
    wholeMs.push(r.ms);
    wholeBytes = r.bytes;
    wholeRv0.push(counted('whole LIST at RV 0', await timedGet(s, '/api/v1/pods?resourceVersion=0', { count: mine })).ms);
  }
  const paged = await pagedList(s, '/api/v1/pods', 500, 'application/json', POD_MARKER);
  if (paged.items < pods) throw new Error(`paged LIST returned ${paged.items} pods, expected ${pods}`);
  const table = await pagedList(s, '/api/v1/pods', 500, TABLE_ACCEPT, ROW_MARKER);
  if (table.items < pods) throw new Error(`paged Table LIST returned ${table.items} rows, expected ${pods}`);
  let kubectlMs: number | undefined;
  if (opts.kubectl !== false) {
    const k = await kubectlGetAll(s);
    if (k && k.lines < pods) throw new Error(`kubectl get pods -A printed ${k.lines} lines, expected ${pods}`);
    kubectlMs = k?.ms;
  }
  const ns: number[] = [];
  let namespacedPods = 0;
  for (let i = 0; i < REPS * 3; i++) {
    const r = await timedGet(s, `/api/v1/namespaces/${namespace}/pods`, { keep: i === 0 });
    if (i === 0) namespacedPods = (JSON.parse(r.body!.toString('utf8')) as { items: unknown[] }).items.length;
    ns.push(r.ms);
  }
  return {
    pods,
    wholeMs: round(median(wholeMs)),
    wholeBytes,
    wholeRv0Ms: round(median(wholeRv0)),
    pagedMs: round(paged.ms),
    pages: paged.pages,
    pagedTableMs: round(table.ms),
    kubectlMs: kubectlMs === undefined ? undefined : round(kubectlMs),
    namespacedMs: round(median(ns), 2),
    namespacedPods,
    rssMb: rssMb(s.pid),
    peakRssMb: round(peakRssMb(s.pid)),
  };
}

async function runOnce(bin: string, pods: number, etcd: RunningEtcd | undefined): Promise<ListFigures> {
  const args = ['--disable-scheduler', '--disable-controller-manager'];
  if (etcd) args.push('--datastore', `etcd://${etcd.endpoints.join(',')}`);
  const server = await startBerth(args, bin);
  try {
    const t0 = performance.now();
    await fillPods(server, pods);
    process.stderr.write(`list: ${pods} pods created in ${round((performance.now() - t0) / 1000)} s\n`);
    // Listed as a cluster at rest is: its settled objects encoded in the watch cache, which
    // two sweeps take (cold-entries.ts).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return await measureList(server, pods, namespaceOf(0));
  } finally {
    await server.stop();
  }
}

export async function listSuite(opts: ListSuiteOptions): Promise<Result[]> {
  const pods = opts.pods ?? 20_000;
  const datastore = opts.datastore ?? 'sqlite';
  if (datastore !== 'sqlite' && datastore !== 'etcd') throw new Error(`--datastore: unknown datastore ${datastore} (sqlite, etcd)`);
  const builds: Array<[string, string]> = [['this build', THIS_BUILD]];
  if (opts.compare) builds.push([`compared: ${opts.compare}`, opts.compare]);
  const out: Result[] = [];
  for (const [name, bin] of builds) {
    // A fresh etcd per build: the second would otherwise find the first one's pods.
    const etcd = datastore === 'etcd' ? await startEtcd() : undefined;
    let f: ListFigures;
    try {
      process.stderr.write(`list: ${name}: ${pods} pods, ${datastore}\n`);
      f = await runOnce(bin, pods, etcd);
    } finally {
      await etcd?.stop();
    }
    const res = (metric: string, value: number, unit: string, target?: string, note?: string) =>
      out.push(emit({ suite: 'list', workload: name, datastore, metric, value, unit, target, note }));
    const what = `${pods} pods`;
    res(
      'list-whole',
      f.wholeMs,
      'ms',
      '5000',
      `${what}, GET /api/v1/pods (resourceVersion "", consistent), ${round(f.wholeBytes / 2 ** 20)} MiB JSON; median of ${REPS}`,
    );
    res('list-whole-rv0', f.wholeRv0Ms, 'ms', '5000', `${what}, resourceVersion=0; median of ${REPS}`);
    res('list-paged-500', f.pagedMs, 'ms', '10000', `${what}, limit=500 JSON, ${f.pages} pages to the last`);
    res('list-paged-500-table', f.pagedTableMs, 'ms', '10000', `${what}, limit=500 Tables as kubectl get pods -A asks`);
    if (f.kubectlMs !== undefined)
      res('kubectl-get-pods-A', f.kubectlMs, 'ms', undefined, `${what}, real kubectl wall time (its decoding and printing included)`);
    res('list-namespaced', f.namespacedMs, 'ms', '1000', `${f.namespacedPods} pods in one namespace; median of ${REPS * 3}`);
    res('rss', f.rssMb, 'MB', undefined, `berth server --no-agent, scheduler and controllers off, holding ${what}`);
    res('peak-rss', f.peakRssMb, 'MB', undefined, `VmHWM, fill and lists included`);
  }
  return out;
}
