// Real etcd (Debian's etcd-server) for tests: one member or a cluster, on loopback ports, in temp
// dirs, stopped and removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc?: ChildProcess;
}

export interface RunningEtcd {
  members: EtcdMember[];
  endpoints: string[];
  /** kill -9 one member. */
  kill(i: number): Promise<void>;
  /** Start a killed member again with its data. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function healthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok && ((await r.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`etcd at ${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEtcd(opts: { members?: number } = {}): Promise<RunningEtcd> {
  const root = mkdtempSync(join(tmpdir(), 'berth-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < (opts.members ?? 1); i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(root, `m${i}`),
    });
  }
  const cluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const launch = (m: EtcdMember, state: 'new' | 'existing') => {
    m.proc = spawn(
      'etcd',
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        cluster,
        '--initial-cluster-state',
        state,
        '--initial-cluster-token',
        'berth-test',
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    m.proc.stderr?.resume();
  };
  for (const m of members) launch(m, 'new');
  await Promise.all(members.map((m) => healthy(m.clientUrl, 20_000)));
  const stopOne = (m: EtcdMember, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      // A member killed earlier has a signalCode and no exitCode: it is gone already.
      if (!m.proc || m.proc.exitCode !== null || m.proc.signalCode !== null) return resolve();
      const proc = m.proc;
      // etcd finishes a graceful stop in well under a second; never let a stuck one hang a run.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill(signal);
    });
  return {
    members,
    endpoints: members.map((m) => m.clientUrl.replace('http://', '')),
    kill: (i) => stopOne(members[i]!, 'SIGKILL'),
    async restart(i) {
      launch(members[i]!, 'existing');
      await healthy(members[i]!.clientUrl, 20_000);
    },
    async stop() {
      await Promise.all(members.map((m) => stopOne(m, 'SIGTERM')));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface CutProxy {
  /** host:port to give a client instead of etcd's. */
  endpoint: string;
  /** Drop every connection through the proxy and refuse new ones: the link is down. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy on loopback in front of an etcd member, whose link a test cuts and restores. */
export async function startCutProxy(target: string): Promise<CutProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const open = new Set<import('node:net').Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(port, host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(a);
      a.on('close', () => {
        open.delete(a);
        b.destroy();
      });
      a.on('error', () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${(server.address() as { port: number }).port}`,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
