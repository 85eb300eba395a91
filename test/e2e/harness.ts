// Starting real Berth servers and running the real kubectl against them, for end-to-end tests.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BERTH = join(ROOT, 'dist', 'berth.js');
export const IN_CI = process.env.CI === 'true';

/**
 * The one rule for a component a test needs and does not find (missing: why, or undefined when
 * all is there): in CI that is a failure (CI installs everything); on a developer's machine the
 * test is skipped, saying why. Returns the reason to skip, or false.
 */
export function skipIfMissing(missing: string | undefined, what: string, t?: TestContext): string | false {
  if (!missing) return false;
  if (IN_CI) throw new Error(`${missing} (CI must install it)`);
  if (t) t.skip(missing);
  else process.stderr.write(`skipping ${what}: ${missing}\n`);
  return missing;
}

/** Whether a file a test needs is there (see skipIfMissing). */
export function requireFile(t: TestContext | undefined, path: string, what: string): boolean {
  return !skipIfMissing(existsSync(path) ? undefined : `${what} not found at ${path}`, what, t);
}

/** Whether a program is on PATH (see skipIfMissing). */
export function requireCommand(name: string, t?: TestContext): boolean {
  const found = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(`${d}/${name}`));
  return !skipIfMissing(found ? undefined : `${name} is not installed`, `the tests that need ${name}`, t);
}

export function kubectlPath(version = '1.32'): string {
  const versioned = `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
  if (existsSync(versioned)) return versioned;
  if (version === '1.32' && existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  return versioned;
}

export interface RunningServer {
  url: string;
  dataDir: string;
  kubeconfig: string;
  token: string;
  caCert: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
  cleanup(): void;
}

/**
 * agent: run the embedded node agent (by default the server starts with --no-agent).
 * uid: the server runs as that user (and group), owning its data dir; the test runs as root.
 * wrap: a command that execs the server (e.g. prlimit with its options), so the pid stays the server's.
 */
export async function startServer(
  opts: { dataDir?: string; args?: string[]; timeoutMs?: number; agent?: boolean; uid?: number; wrap?: string[] } = {},
): Promise<RunningServer> {
  if (!existsSync(BERTH)) throw new Error(`${BERTH} is missing: run npm run build first`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  if (opts.uid !== undefined) chownSync(dataDir, opts.uid, opts.uid);
  const [cmd, ...pre] = [...(opts.wrap ?? []), process.execPath];
  const proc = spawn(
    cmd!,
    [...pre, BERTH, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...(opts.agent ? [] : ['--no-agent']), ...(opts.args ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server not ready in time:\n${out}`)), opts.timeoutMs ?? 20_000);
    const check = () => {
      const m = /API server ready at (https:\/\/\S+) \(kubeconfig: (\S+)\)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code} before ready:\n${out}`));
    });
  });
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  return {
    url,
    dataDir,
    kubeconfig,
    token: readFileSync(join(dataDir, 'pki', 'admin.token'), 'utf8').trim(),
    caCert: readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8'),
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      // A server that does not finish its shutdown would hang the whole test run: kill it and
      // say so (the exit code then tells the caller it was not clean).
      const timer = setTimeout(() => {
        process.stderr.write(`harness: server ${dataDir} did not exit 20 s after SIGTERM; killing it. Its output:\n${out.slice(-2000)}\n`);
        proc.kill('SIGKILL');
      }, 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      // `berth server` is a supervisor and its server process: kill -9 both at once, as a
      // machine losing power would, so the supervisor restarts nothing.
      const server = childPids(proc.pid!);
      proc.kill('SIGKILL');
      for (const pid of server) killQuietly(pid, 'SIGKILL');
      await exited;
      await eventually(() => server.every((pid) => !alive(pid)), `server process ${server.join(',')} gone`, 10_000);
    },
    cleanup() {
      if (proc.exitCode === null) {
        for (const pid of childPids(proc.pid!)) killQuietly(pid, 'SIGKILL');
        proc.kill('SIGKILL');
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const cacheDir = mkdtempSync(join(tmpdir(), 'berth-kubecache-'));

/** Runs the real kubectl against a server (its own discovery cache, no user config). */
export function kubectl(server: RunningServer, args: string[], opts: { version?: string; input?: string; timeoutMs?: number } = {}): KubectlResult {
  const r = spawnSync(kubectlPath(opts.version), args, {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, KUBECONFIG: server.kubeconfig, KUBECACHEDIR: join(cacheDir, opts.version ?? 'default'), HOME: cacheDir },
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * kubectl without blocking this process: for a test that serves something kubectl's command
 * needs (a resolver, an HTTP server) from this very process.
 */
export function kubectlAsync(server: RunningServer, args: string[], opts: { version?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(
      kubectlPath(opts.version),
      args,
      {
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 60_000,
        env: { ...process.env, KUBECONFIG: server.kubeconfig, KUBECACHEDIR: join(cacheDir, opts.version ?? 'default'), HOME: cacheDir },
      },
      (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout: stdout ?? '', stderr: stderr ?? '' }),
    );
  });
}

/** kubectl that must succeed: its standard output, or the test fails naming the command and what kubectl said. */
export function kubectlOk(server: RunningServer, args: string[], opts: { version?: string; input?: string; timeoutMs?: number } = {}): string {
  const r = kubectl(server, args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * An exec over WebSocket (v5.channel.k8s.io) through the API server, as clients other than
 * kubectl speak it: the socket, what each channel (1 stdout, 2 stderr, 3 status) received, and
 * the close code once it closes.
 */
export function execOverWebSocket(server: RunningServer, pod: string, q: URLSearchParams, namespace = 'default') {
  const ws = new WebSocket(`${server.url.replace(/^https/, 'wss')}/api/v1/namespaces/${namespace}/pods/${pod}/exec?${q}`, ['v5.channel.k8s.io'], {
    headers: { Authorization: `Bearer ${server.token}` },
    ca: server.caCert,
  });
  const got: Record<number, string> = {};
  const closed = new Promise<number>((resolve, reject) => {
    ws.on('message', (d: Buffer) => (got[d[0]!] = (got[d[0]!] ?? '') + d.subarray(1).toString()));
    ws.on('close', (code) => resolve(code));
    ws.on('error', reject);
  });
  return { ws, got, closed };
}

/** Starts kubectl in the background (for -w and --wait), collecting its output. */
export function kubectlBackground(server: RunningServer, args: string[], version?: string) {
  const proc = spawn(kubectlPath(version), args, {
    env: { ...process.env, KUBECONFIG: server.kubeconfig, KUBECACHEDIR: join(cacheDir, version ?? 'default'), HOME: cacheDir },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number | null>((res) => proc.on('exit', (c) => res(c)));
  return { proc, done, stdout: () => stdout, stderr: () => stderr };
}

/**
 * A raw HTTPS request to the server, as a client library would send it: over Node's global
 * (keep-alive) agent unless `agent` is given. `reused`: whether it went on a kept-alive connection.
 */
export async function api(
  server: RunningServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  opts: { agent?: HttpsAgent } = {},
): Promise<{ status: number; headers: Headers; text: string; json: any; reused: boolean }> {
  const { request } = await import('node:https');
  const u = new URL(path, server.url);
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      u,
      {
        method,
        ca: server.caCert,
        ...(opts.agent ? { agent: opts.agent } : {}),
        headers: {
          Authorization: `Bearer ${server.token}`,
          // Node sends DELETE bodies unframed unless the length is given.
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
          ...headers,
        },
      },
      (resp) => {
        let text = '';
        resp.setEncoding('utf8');
        resp.on('data', (d) => (text += d));
        resp.on('end', () => {
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(resp.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          res({ status: resp.statusCode ?? 0, headers: h, text, json, reused: req.reusedSocket });
        });
      },
    );
    req.on('error', rej);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A raw watch stream: collects the JSON events as they arrive; `ended` once the server closes it. */
export function watchEvents(s: RunningServer, path: string): { events: any[]; ended: () => boolean; close(): void } {
  const events: any[] = [];
  let buf = '';
  let ended = false;
  const req = httpsRequest(new URL(path, s.url), { ca: s.caCert, headers: { Authorization: `Bearer ${s.token}` } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) events.push(JSON.parse(line));
      }
    });
    res.on('end', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  req.end();
  return { events, ended: () => ended, close: () => req.destroy() };
}

/** The processes whose parent is pid (from /proc): the server process under `berth server`'s supervisor. */
export function childPids(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
