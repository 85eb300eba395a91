import { processTreeMemoryMb } from './proc-tree.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcFlags } from '../src/cli/gc-flags.js';

export interface Result {
  suite: string;
  workload?: string;
  metric: string;
  value: number;
  unit: string;
  target?: string;
  note?: string;
  /** The store behind the API server, where a suite compares them. */
  datastore?: string;
}

export function emit(r: Result): Result {
  const { target: _t, note: _n, ...line } = r;
  process.stdout.write(JSON.stringify(line) + '\n');
  process.stderr.write(
    `${r.suite}${r.workload ? '/' + r.workload : ''}${r.datastore ? ` [${r.datastore}]` : ''} ${r.metric}: ${r.value} ${r.unit}${r.target ? ` (target ${r.target})` : ''}\n`,
  );
  return r;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
export const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

export interface BenchServer {
  url: URL;
  pid: number;
  token: string;
  ca: string;
  startMs: number;
  agent: Agent;
  kubeconfig: string;
  /** The server's data dir (its pki/ and the component kubeconfigs it writes). */
  dir: string;
  stop(): Promise<void>;
}

/** bin: the build to run (another commit's dist/berth.js, to compare in one run). */
export async function startBerth(extraArgs: string[] = [], bin = join(import.meta.dirname, '..', 'dist', 'berth.js')): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const t0 = performance.now();
  // BERTH_BENCH_PROF=DIR writes CPU profiles of the processes a bench starts there.
  const prof = process.env.BERTH_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BERTH_BENCH_PROF] : [];
  // BERTH_BENCH_SERVER_FLAGS: more `berth server` flags (after the bench's own: a repeated flag
  // wins), to compare variants of one build, e.g. with some admission plugins off.
  const more = (process.env.BERTH_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  // BERTH_BENCH_NODE_FLAGS: Node/V8 flags for the server (its child processes inherit them).
  // Run without its supervisor, the server gets the collector flags the supervisor would give it.
  const asked = (process.env.BERTH_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const nodeFlags = [...gcFlags(asked), ...asked];
  const proc = spawn(
    process.execPath,
    [...prof, ...nodeFlags, bin, 'server', '--data-dir', dir, '--listen', '127.0.0.1:0', '--no-agent', '--no-supervisor', ...extraArgs, ...more],
    {
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    // The ready line is a log line, on stderr with the rest of the server's log (passed on).
    proc.stderr!.on('data', (d) => {
      process.stderr.write(d);
      out += d;
      const m = /ready at (\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    proc.on('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
  const startMs = performance.now() - t0;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return {
    url: new URL(url),
    pid: proc.pid!,
    token: readFileSync(join(dir, 'pki', 'admin.token'), 'utf8').trim(),
    ca: readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'),
    startMs,
    agent,
    kubeconfig: join(dir, 'kubeconfig.yaml'),
    dir,
    async stop() {
      agent.destroy();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function call(
  s: BenchServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  try {
    return await callOnce(s, method, path, body, headers);
  } catch (e) {
    // A kept-alive connection the server closed while it was idle (it evicts the oldest idle one
    // past its connection limit: 5 000 simulated nodes reach it): the request never reached the
    // server, so it is sent once more on a new connection, as Node's documentation advises.
    if (!(e as { reused?: boolean }).reused) throw e;
    return callOnce(s, method, path, body, headers);
  }
}

function callOnce(s: BenchServer, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      new URL(path, s.url),
      {
        method,
        agent: s.agent,
        ca: s.ca,
        headers: { Authorization: `Bearer ${s.token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (d) => chunks.push(d));
        r.on('end', () => res({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => rej(Object.assign(e, { reused: req.reusedSocket && e.code === 'ECONNRESET' })));
    if (payload) req.write(payload);
    req.end();
  });
}

// A process's memory includes its children's: `berth server` runs the scheduler and the
// controller manager as child processes, and its memory is theirs too.

export function rssMb(pid: number): number {
  return round(processTreeMemoryMb(pid, 'VmRSS'));
}

/**
 * A process's private resident memory (RssAnon), in MB: RSS without the pages of the node
 * binary and shared libraries, which every Node process on the machine shares (≈ 45 MB each).
 */
export function privateRssMb(pid: number): number {
  return round(processTreeMemoryMb(pid, 'RssAnon'));
}

/** Peak resident set (VmHWM) of a process, plus its children's each at its own peak, in MB. */
export function peakRssMb(pid: number): number {
  return processTreeMemoryMb(pid, 'VmHWM');
}

/**
 * CPU time (user + system, ms) a process has used so far. Per-unit CPU cost is steadier than
 * throughput on a shared 2-core machine: it does not count the time a process waited for a core.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in USER_HZ ticks (100/s)
}
