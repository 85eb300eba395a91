// Container lifecycle hooks (postStart, preStop) as kubelet's handler runner
// (pkg/kubelet/lifecycle/handlers.go) runs them, and the grace-period arithmetic of its
// killContainer (pkg/kubelet/kuberuntime/kuberuntime_container.go).
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Container, HTTPGetAction, LifecycleHandler, Pod } from 'kubernetes-types/core/v1';
import type { Runtime } from '../runtime/index.js';

/** kubelet never stops a container with less than this (minimumGracePeriodInSeconds). */
export const MIN_GRACE_SECONDS = 2;

/** Upstream's format.Pod: how messages name a pod. */
export function formatPod(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name}_${m.namespace}(${m.uid})`;
}

/**
 * A port of the container: named ports first, then a number written as a string (upstream's
 * probe.ResolveContainerPort, which lifecycle hooks share with probes).
 */
export function resolveHookPort(port: number | string | undefined, c: Container): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = (c.ports ?? []).find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (port !== undefined && /^-?\d+$/.test(port)) n = Number(port);
    else throw new Error(`couldn't find port: ${port ?? ''} in container ${c.name}`);
  }
  if (!(n > 0 && n < 65536)) throw new Error(`invalid port number: ${n}`);
  return n;
}

export interface HttpHookRequest {
  scheme: 'http' | 'https';
  /** host:port as a URL has it (IPv6 bracketed). */
  hostPort: string;
  host: string;
  port: number;
  /** Path and query, always starting with '/'. */
  path: string;
  headers: Record<string, string>;
  url: string;
}

/**
 * Where an httpGet hook goes and with what headers (upstream's NewRequestForHTTPGetAction): host
 * defaults to the pod's IP; User-Agent and Accept are kubelet's unless the hook sets them (an
 * Accept set empty is dropped); a Host header becomes the request's host.
 */
export function httpHookRequest(g: HTTPGetAction, c: Container, podIP: string): HttpHookRequest {
  const scheme = (g.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const host = g.host || podIP;
  if (!host) throw new Error('failed to find networking container: the pod has no IP');
  const port = resolveHookPort(g.port, c);
  const hostPort = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const raw = g.path ?? '';
  const path = raw.startsWith('/') ? raw : `/${raw}`;
  const headers: Record<string, string> = {};
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());
  for (const h of g.httpHeaders ?? []) {
    const existing = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
    // Repeated headers are sent as one, comma-joined (what Go's Header.Add amounts to on the wire).
    if (existing) headers[existing] = `${headers[existing]}, ${h.value}`;
    else headers[h.name] = h.value;
  }
  if (!has('user-agent')) headers['User-Agent'] = 'kube-lifecycle/1.32';
  const accept = Object.keys(headers).find((k) => k.toLowerCase() === 'accept');
  if (accept === undefined) headers.Accept = '*/*';
  else if (headers[accept] === '') delete headers[accept];
  return { scheme, hostPort, host, port, path, headers, url: `${scheme}://${hostPort}${path}` };
}

/**
 * Seconds left for SIGTERM after a preStop hook (or a sidecar's wait for its turn) took hookMs
 * of grace seconds: whole seconds spent are subtracted (upstream truncates), and never less
 * than the minimum.
 */
export function graceAfterPreStop(graceSeconds: number, hookMs: number): number {
  return Math.max(MIN_GRACE_SECONDS, graceSeconds - Math.floor(hookMs / 1000));
}

/**
 * Why a container is killed, as data (upstream passes the reason along with the kill): it
 * decides the grace period (a failed probe's own) and the Killing event's message.
 */
export type KillReason =
  | { kind: 'probeFailed'; probe: 'liveness' | 'startup' }
  | { kind: 'definitionChanged' }
  | { kind: 'sandboxChanged' }
  | { kind: 'postStartHookFailed' }
  /** The pod is finishing or terminating: every container goes. */
  | { kind: 'podStopping' };

/** The Killing event's message, in upstream's words. */
export function killMessage(reason: KillReason, containerName: string): string {
  switch (reason.kind) {
    case 'probeFailed':
      return `Container ${containerName} failed ${reason.probe} probe, will be restarted`;
    case 'definitionChanged':
      return `Container ${containerName} definition changed, will be restarted`;
    case 'sandboxChanged':
      return 'sandbox changed';
    case 'postStartHookFailed':
      return 'FailedPostStartHook';
    case 'podStopping':
      return `Stopping container ${containerName}`;
  }
}

/**
 * The grace period a container is killed with (upstream's setTerminationGracePeriod): a
 * deleting pod's deletionGracePeriodSeconds; else a failed probe's own
 * terminationGracePeriodSeconds; else the pod's.
 */
export function killGracePeriod(pod: Pod, c: Container | undefined, reason: KillReason): number {
  const deletion = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion !== undefined && deletion !== null) return deletion;
  const probe = reason.kind !== 'probeFailed' ? undefined : reason.probe === 'liveness' ? c?.livenessProbe : c?.startupProbe;
  if (probe?.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds !== null) return probe.terminationGracePeriodSeconds;
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export interface HookContext {
  runtime: Runtime;
  pod: Pod;
  container: Container;
  containerId: string;
  /** The pod's first IP (httpGet's default host). */
  podIP: string;
  /** Ends the hook early: the container is going away, or the grace period ran out. */
  signal: AbortSignal;
  /** An HTTPS hook was answered in plain HTTP and retried that way (upstream's LifecycleHTTPFallback event). */
  onHttpFallback?(hostPort: string): void;
}

/** ok, or why not in upstream's words (the message kubelet logs and keeps in the container's status). */
export type HookResult = { ok: true } | { ok: false; message: string };

class Aborted extends Error {}

/** Resolves with p, or rejects with Aborted once signal fires (the work behind p isn't stopped). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Runs one handler; exec, httpGet and sleep are what upstream runs (tcpSocket is accepted by the API but fails here, as upstream). */
export async function runHook(h: LifecycleHandler, x: HookContext): Promise<HookResult> {
  const c = x.container;
  const who = `for Container ${JSON.stringify(c.name)} in Pod ${JSON.stringify(formatPod(x.pod))}`;
  if (h.exec) {
    const cmd = h.exec.command ?? [];
    try {
      // No timeout, as upstream: a postStart hook holds the container back until it ends.
      const r = await abortable(x.runtime.execSync(x.containerId, cmd, 0), x.signal);
      if (r.exitCode === 0) return { ok: true };
      const output = r.stdout.toString() + r.stderr.toString();
      const err = `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.stderr.toString()}`;
      return { ok: false, message: `Exec lifecycle hook ([${cmd.join(' ')}]) ${who} failed - error: ${err}, message: ${JSON.stringify(output)}` };
    } catch (e) {
      const err = e instanceof Aborted ? 'context canceled' : (e as Error).message;
      return { ok: false, message: `Exec lifecycle hook ([${cmd.join(' ')}]) ${who} failed - error: ${err}, message: ""` };
    }
  }
  if (h.httpGet) {
    try {
      const req = httpHookRequest(h.httpGet, c, x.podIP);
      await httpHook(req, x);
      return { ok: true };
    } catch (e) {
      const err = e instanceof Aborted ? 'context canceled' : (e as Error).message;
      return { ok: false, message: `HTTP lifecycle hook (${h.httpGet.path ?? ''}) ${who} failed - error: ${err}` };
    }
  }
  if (h.sleep) {
    const seconds = h.sleep.seconds;
    try {
      await abortable(new Promise<void>((r) => setTimeout(r, seconds * 1000).unref()), x.signal);
      return { ok: true };
    } catch {
      return { ok: false, message: `Sleep lifecycle hook (${seconds}) ${who} failed - error: container terminated before sleep hook finished` };
    }
  }
  return { ok: false, message: `Cannot run handler: invalid handler: ${JSON.stringify(h)}` };
}

/**
 * The GET: any answer counts as success (upstream looks at transport errors only, not the
 * status code); an HTTPS hook answered in plain HTTP is retried in HTTP without Authorization.
 */
async function httpHook(req: HttpHookRequest, x: HookContext): Promise<void> {
  try {
    await abortable(get(req, x.signal), x.signal);
  } catch (e) {
    if (req.scheme !== 'https' || !isHttpResponseToHttps(e)) throw e;
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    await abortable(get({ ...req, scheme: 'http', headers, url: `http://${req.hostPort}${req.path}` }, x.signal), x.signal);
    x.onHttpFallback?.(req.hostPort);
  }
}

/** Node's TLS client reading an HTTP answer (Go's "server gave HTTP response to HTTPS client"). */
function isHttpResponseToHttps(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  return (
    err?.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /wrong version number|packet length too long|http request/i.test(`${err?.message ?? ''} ${err?.reason ?? ''}`)
  );
}

function get(req: HttpHookRequest, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const mod = req.scheme === 'https' ? https : http;
    const hostHeader = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
    const r = mod.request(
      {
        host: req.host,
        port: req.port,
        path: req.path,
        method: 'GET',
        headers: req.headers,
        agent: false,
        signal,
        // kubelet's hook client doesn't verify serving certificates.
        rejectUnauthorized: false,
        // Go's client takes header lines ending in a bare LF (CGI scripts behind busybox httpd
        // answer so); Node's strict parser would fail the hook on them.
        insecureHTTPParser: true,
        ...(hostHeader && req.scheme === 'https' ? { servername: hostHeader.replace(/:\d+$/, '') } : {}),
      },
      (res) => {
        // Read (and drop) at most 10 KiB, as upstream; the answer itself doesn't matter.
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
          if (n > 10 * 1024) res.destroy();
        });
        res.on('end', () => resolve());
        res.on('close', () => resolve());
        res.on('error', () => resolve());
      },
    );
    r.on('error', (e) =>
      reject(
        Object.assign(new Error(`Get ${JSON.stringify(req.url)}: ${e.message}`), {
          code: (e as NodeJS.ErrnoException).code,
          reason: (e as { reason?: string }).reason,
        }),
      ),
    );
    r.end();
  });
}

/**
 * A preStop hook given at most graceSeconds (upstream's executePreStopHook): returns how long it
 * took, and whether it finished (ok or not) or was cut off by the grace period.
 */
export async function runPreStopHook(
  h: LifecycleHandler,
  x: Omit<HookContext, 'signal'>,
  graceSeconds: number,
): Promise<{ result?: HookResult; elapsedMs: number }> {
  const started = Date.now();
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), graceSeconds * 1000);
  });
  try {
    const result = await Promise.race([runHook(h, { ...x, signal: ac.signal }), cut]);
    return { result, elapsedMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
    // A hook still running when the grace period ends is given up: the container stops now.
    ac.abort();
  }
}
