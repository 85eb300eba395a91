// Liveness, readiness and startup probes (exec, httpGet, tcpSocket) with their timing fields, as
// kubelet's prober workers run them: one timer per (container, probe); readiness and liveness
// wait for the startup probe; results change only after successThreshold / failureThreshold
// consecutive outcomes.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import type { Runtime } from '../runtime/index.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeOutcome {
  ok: boolean;
  output: string;
}

/** One probe, once. podIP is where httpGet and tcpSocket go unless the probe names a host. */
export async function runProbe(runtime: Runtime, probe: Probe, c: Container, containerId: string, podIP: string): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    try {
      const r = await runtime.execSync(containerId, probe.exec.command ?? [], probe.timeoutSeconds ?? 1);
      const output = (r.stdout.toString() + r.stderr.toString()).trim();
      return { ok: r.exitCode === 0, output: r.exitCode === 0 ? output : output || `command exited with ${r.exitCode}` };
    } catch (e) {
      return { ok: false, output: (e as Error).message };
    }
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port, c);
    const host = g.host || podIP;
    const secure = g.scheme === 'HTTPS';
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const req = (secure ? https : http).request(
        { host, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false },
        (res) => {
          const code = res.statusCode ?? 0;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => body.length < 10_240 && (body += d));
          res.on('end', () =>
            resolve({ ok: code >= 200 && code < 400, output: code >= 200 && code < 400 ? body : `HTTP probe failed with statuscode: ${code}` }),
          );
          res.on('error', (e) => resolve({ ok: false, output: e.message }));
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new Error(
            `Get "${secure ? 'https' : 'http'}://${host}:${port}${g.path || '/'}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
          ),
        ),
      );
      req.on('error', (e) => resolve({ ok: false, output: e.message }));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, c);
    const host = probe.tcpSocket.host || podIP;
    return new Promise((resolve) => {
      const sock = net.connect({ host, port, timeout: timeoutMs });
      sock.once('connect', () => {
        sock.destroy();
        resolve({ ok: true, output: '' });
      });
      sock.once('timeout', () => {
        sock.destroy();
        resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
      });
      sock.once('error', (e) => resolve({ ok: false, output: `dial tcp ${host}:${port}: ${e.message}` }));
    });
  }
  return { ok: false, output: 'unsupported probe handler (exec, httpGet and tcpSocket are)' };
}

/** A port number, or a named port of the container. */
export function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = (c.ports ?? []).find((x) => x.name === port);
  if (!p) throw new Error(`port "${port}" is not a named port of container ${c.name}`);
  return p.containerPort;
}

interface Worker {
  kind: ProbeKind;
  timer?: NodeJS.Timeout;
  /** Current result: liveness starts true, readiness and startup false. */
  result: boolean;
  successes: number;
  failures: number;
  stopped: boolean;
}

interface Tracked {
  uid: string;
  containerName: string;
  workers: Worker[];
}

export interface ProbeManagerOptions {
  runtime: Runtime;
  /** A result changed: the pod's status should be recomputed. */
  onChange(uid: string): void;
  /** The liveness or startup probe failed failureThreshold times: the container must be restarted. */
  onFailure(uid: string, containerId: string, containerName: string, kind: Exclude<ProbeKind, 'readiness'>, message: string): void;
  /** Each failed probe (for the Unhealthy event). */
  onProbeFailed?(uid: string, containerName: string, kind: ProbeKind, output: string): void;
}

export class ProbeManager {
  private readonly containers = new Map<string, Tracked>();

  constructor(private readonly opts: ProbeManagerOptions) {}

  /** Starts the probes of a running container (once per container id). */
  track(pod: Pod, c: Container, containerId: string, startedAtMs: number, podIP: string): void {
    if (this.containers.has(containerId)) return;
    const uid = pod.metadata!.uid!;
    const t: Tracked = { uid, containerName: c.name, workers: [] };
    this.containers.set(containerId, t);
    const probes: Array<[ProbeKind, Probe | undefined]> = [
      ['startup', c.startupProbe],
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe) continue;
      const w: Worker = { kind, result: kind === 'liveness', successes: 0, failures: 0, stopped: false };
      t.workers.push(w);
      const initialDelay = Math.max(0, startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
      const tick = async () => {
        if (w.stopped) return;
        // Readiness and liveness wait for the startup probe to succeed.
        if (kind !== 'startup' && !this.started(containerId)) return schedule((probe.periodSeconds ?? 10) * 1000);
        // Once startup succeeded, its probe is done.
        if (kind === 'startup' && w.result) return;
        const outcome = await runProbe(this.opts.runtime, probe, c, containerId, podIP);
        if (w.stopped) return;
        this.record(t, containerId, w, probe, outcome);
        schedule((probe.periodSeconds ?? 10) * 1000);
      };
      const schedule = (ms: number) => {
        if (w.stopped) return;
        w.timer = setTimeout(() => void tick(), ms);
        w.timer.unref();
      };
      schedule(initialDelay);
    }
  }

  private record(t: Tracked, containerId: string, w: Worker, probe: Probe, outcome: ProbeOutcome): void {
    if (outcome.ok) {
      w.successes++;
      w.failures = 0;
    } else {
      w.failures++;
      w.successes = 0;
      this.opts.onProbeFailed?.(t.uid, t.containerName, w.kind, outcome.output);
    }
    const before = w.result;
    const successThreshold = w.kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    if (!w.result && w.successes >= successThreshold) w.result = true;
    if (w.result && w.failures >= failureThreshold) w.result = false;
    // Readiness before its first success stays false; a failing startup probe counts from the start.
    if (w.kind === 'startup' && !w.result && w.failures >= failureThreshold) {
      this.stopWorkers(t);
      this.opts.onFailure(t.uid, containerId, t.containerName, 'startup', outcome.output);
      return;
    }
    if (w.result !== before) {
      if (w.kind === 'liveness' && !w.result) {
        this.stopWorkers(t);
        this.opts.onFailure(t.uid, containerId, t.containerName, 'liveness', outcome.output);
        return;
      }
      this.opts.onChange(t.uid);
    }
  }

  /** Readiness: true without a readiness probe. */
  ready(containerId: string): boolean {
    const w = this.containers.get(containerId)?.workers.find((x) => x.kind === 'readiness');
    return w ? w.result && this.started(containerId) : true;
  }

  /** Whether the container's probes run (its startup result means something only then). */
  tracked(containerId: string): boolean {
    return this.containers.has(containerId);
  }

  /** Startup: true without a startup probe. */
  started(containerId: string): boolean {
    const w = this.containers.get(containerId)?.workers.find((x) => x.kind === 'startup');
    return w ? w.result : true;
  }

  private stopWorkers(t: Tracked): void {
    for (const w of t.workers) {
      w.stopped = true;
      clearTimeout(w.timer);
    }
  }

  untrack(containerId: string): void {
    const t = this.containers.get(containerId);
    if (!t) return;
    this.stopWorkers(t);
    this.containers.delete(containerId);
  }

  /** Stops every probe of the pod except those of the given containers. */
  retain(uid: string, keep: Set<string>): void {
    for (const [id, t] of this.containers) if (t.uid === uid && !keep.has(id)) this.untrack(id);
  }

  stopAll(): void {
    for (const id of [...this.containers.keys()]) this.untrack(id);
  }
}
