// A containerd that Berth starts, supervises and stops itself (k3s-style): generated config,
// root/state/socket under the data dir, the local busybox and pause images imported at start.
// Containers outlive containerd (their shims are independent), so an agent restart adopts them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { CriRuntime } from './client.js';
import { containerdConfig, containerdLayout, type ContainerdLayout } from './containerd-config.js';
import { BUSYBOX_IMAGE, PAUSE_IMAGE, findOnPath, findStaticBusybox, importImageArchive, localImagesArchive } from './local-images.js';
import { componentLogger } from '../../log/logger.js';

export const DEFAULT_CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];

/** This machine can't run real containers (a caller may fall back to a simulated node, loudly). */
export class RuntimeUnavailableError extends Error {}

/** What a machine lacks to run real containers, and how to get it. */
export class RuntimeMissingError extends RuntimeUnavailableError {
  constructor(readonly missing: string[]) {
    super(
      `cannot run containers: ${missing.join(', ')} not found; on Debian/Ubuntu: apt-get install containerd runc containernetworking-plugins busybox-static`,
    );
  }
}

export interface HostRuntimeBinaries {
  containerd: string;
  runc: string;
  ctr: string;
  cniBinDir: string;
}

/** The binaries a managed containerd needs, or RuntimeMissingError naming those missing. */
export function findRuntimeBinaries(cniBinDir?: string): HostRuntimeBinaries {
  const sbin = ['/usr/sbin', '/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'];
  const containerd = findOnPath('containerd', sbin);
  const runc = findOnPath('runc', sbin);
  const ctr = findOnPath('ctr', sbin);
  const cni = cniBinDir ?? DEFAULT_CNI_BIN_DIRS.find((d) => existsSync(join(d, 'bridge')));
  const missing: string[] = [];
  if (!containerd) missing.push('containerd');
  if (!runc) missing.push('runc');
  if (!ctr) missing.push('ctr');
  if (!cni || !existsSync(join(cni, 'bridge')) || !existsSync(join(cni, 'host-local'))) missing.push('CNI plugins (bridge, host-local)');
  if (missing.length) throw new RuntimeMissingError(missing);
  return { containerd: containerd!, runc: runc!, ctr: ctr!, cniBinDir: cni! };
}

/** overlayfs when a test mount works in dir (not on every filesystem, e.g. overlay on overlay), native otherwise. */
export function pickSnapshotter(dir: string): string {
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'native';
  const t = join(dir, '.overlay-check');
  rmSync(t, { recursive: true, force: true });
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(t, d), { recursive: true });
  try {
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${t}/lower,upperdir=${t}/upper,workdir=${t}/work`, `${t}/merged`], {
      stdio: 'ignore',
    });
    if (r.status !== 0) return 'native';
    spawnSync('umount', [`${t}/merged`], { stdio: 'ignore' });
    return 'overlayfs';
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

/**
 * Whether processes here may lower their oom_score_adj. Where they may not (sandboxed VMs,
 * user namespaces), containerd must be told to keep containers' scores at or above its own.
 */
export function needsRestrictOomScoreAdj(): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'v=$(cat /proc/self/oom_score_adj); echo $((v - 1)) > /proc/self/oom_score_adj'], { stdio: 'ignore' });
  return r.status !== 0;
}

export interface ManagedContainerdOptions {
  /** containerd's own dir, e.g. DATA/agent/containerd. */
  dir: string;
  binaries?: HostRuntimeBinaries;
  snapshotter?: string;
  restrictOomScoreAdj?: boolean;
  /** Import the busybox and pause images built from the host's busybox (default true). */
  importLocalImages?: boolean;
  startTimeoutMs?: number;
  log?: (msg: string) => void;
}

export class ManagedContainerd {
  readonly layout: ContainerdLayout;
  readonly binaries: HostRuntimeBinaries;
  snapshotter = 'overlayfs';
  private proc?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: ManagedContainerdOptions) {
    this.layout = containerdLayout(opts.dir);
    this.binaries = opts.binaries ?? findRuntimeBinaries();
    this.log = opts.log ?? componentLogger('containerd');
  }

  get socket(): string {
    return this.layout.socket;
  }

  get sandboxImage(): string {
    return PAUSE_IMAGE;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts containerd (stopping one a crashed agent left behind) and waits until CRI answers. */
  async start(): Promise<CriRuntime> {
    if (process.getuid?.() !== 0) {
      throw new RuntimeUnavailableError(`cannot run containers: containerd needs root, and berth runs as uid ${process.getuid?.()}`);
    }
    const l = this.layout;
    for (const d of [l.dir, l.root, l.state, l.cniConfDir, l.cniDataDir]) mkdirSync(d, { recursive: true, mode: 0o711 });
    await this.stopStale();
    this.snapshotter = this.opts.snapshotter ?? pickSnapshotter(l.dir);
    const restrict = this.opts.restrictOomScoreAdj ?? needsRestrictOomScoreAdj();
    writeFileSync(
      l.config,
      containerdConfig({
        layout: l,
        sandboxImage: PAUSE_IMAGE,
        cniBinDir: this.binaries.cniBinDir,
        runcPath: this.binaries.runc,
        snapshotter: this.snapshotter,
        restrictOomScoreAdj: restrict,
      }),
    );
    const logFd = openSync(l.log, 'a');
    const proc = spawn(this.binaries.containerd, ['--config', l.config], {
      // Its own process group: a terminal's Ctrl-C reaches the agent, which stops containerd last.
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    this.proc = proc;
    this.exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', (code, signal) => {
      if (!this.stopping) this.log(`containerd exited unexpectedly (${signal ?? `code ${code}`}); see ${l.log}`);
    });
    writeFileSync(l.pidFile, `${proc.pid}\n`);
    const runtime = new CriRuntime({ socket: l.socket });
    try {
      const died = this.exited.then(() => {
        throw new Error(`containerd exited during start:\n${tail(l.log, 20)}`);
      });
      const v = await Promise.race([runtime.waitReady(this.opts.startTimeoutMs ?? 20_000), died]);
      this.log(`containerd ${v.runtimeVersion} running (pid ${proc.pid}, snapshotter ${this.snapshotter}, socket ${l.socket})`);
      if (this.opts.importLocalImages ?? true) await Promise.race([this.importLocalImages(), died]);
    } catch (e) {
      runtime.close();
      await this.stop();
      throw e;
    }
    return runtime;
  }

  /** Builds the busybox and pause images from the host's busybox-static and imports them. */
  async importLocalImages(): Promise<string[]> {
    const busybox = await findStaticBusybox();
    if (!busybox) {
      this.log(`no static busybox on this machine: ${PAUSE_IMAGE} and ${BUSYBOX_IMAGE} are unavailable (apt-get install busybox-static)`);
      return [];
    }
    const file = join(this.layout.dir, 'local-images.tar');
    writeFileSync(file, await localImagesArchive(busybox));
    try {
      return await this.importArchive(file);
    } finally {
      rmSync(file, { force: true });
    }
  }

  importArchive(file: string): Promise<string[]> {
    return importImageArchive(file, { socket: this.layout.socket, ctr: this.binaries.ctr, snapshotter: this.snapshotter });
  }

  /** SIGTERM, then SIGKILL after timeoutMs; running containers are left to their shims. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      rmSync(this.layout.pidFile, { force: true });
      return;
    }
    this.stopping = true;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    rmSync(this.layout.pidFile, { force: true });
  }

  /** A containerd an agent killed with -9 left running on our config: stop it so we own the socket. */
  private async stopStale(): Promise<void> {
    let pid: number;
    try {
      pid = Number(readFileSync(this.layout.pidFile, 'utf8').trim());
    } catch {
      return;
    }
    if (!pid || !isOurs(pid, this.layout.config)) return;
    this.log(`stopping containerd left running by a previous agent (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  }
}

function isOurs(pid: number, config: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(config);
  } catch {
    return false;
  }
}

/** The last lines of a file (a log), for error messages. */
export function tail(file: string, lines: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, 16 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Unmounts whatever is still mounted under dir (deepest first); for tests and teardown. */
export function unmountUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(prefix)))
    .map((p) => p.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
  return points;
}
