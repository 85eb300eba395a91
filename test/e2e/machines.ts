// "Machines" on one machine for multi-node tests: each a network namespace the test creates,
// entered with nsenter --net (not `ip netns exec`, whose fresh /sys lacks the cgroup mounts runc needs),
// joined to a test LAN (a bridge in the root namespace, 10.213.<k>.0/24 with k reserved per test
// process), running a real `berth agent` (its own data dir, containerd, CNI bridge and cgroup
// root) against a `berth server --no-agent` listening on the LAN. Names carry the test's pid
// (bm<pid>-<i>, bl<pid>), so that a start sweeps whatever a killed test run left behind.
// cleanUp() removes every namespace, link, process, data dir and cgroup the LAN made.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCgroupTree, unmountUnder } from '../../src/runtime/index.js';
import { forgetBridge } from '../../src/cli/bridge-owner.js';
import { BERTH, ROOT, startServer, type RunningServer } from './harness.js';

const NETNS_PREFIX = 'bm';
const RESERVATIONS = join(tmpdir(), 'berth-test-lans');

function sh(cmd: string, args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function must(cmd: string, ...args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.err.trim() || r.out.trim()}`);
  return r.out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A LAN octet k no live test process holds (files naming the owner's pid, as reserveTestSubnet). */
function reserveLan(): number {
  mkdirSync(RESERVATIONS, { recursive: true });
  const start = Math.floor(Math.random() * 200);
  for (let i = 0; i < 200; i++) {
    const k = 20 + ((start + i) % 200);
    const file = join(RESERVATIONS, String(k));
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return k;
    } catch {
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && alive(owner)) continue;
      writeFileSync(file, String(process.pid));
      return k;
    }
  }
  throw new Error('no free test LAN in 10.213.20.0/24–10.213.219.0/24');
}

/** Kills every process inside netns (agents, containerd, shims, containers), then the netns. */
function removeNetns(ns: string): void {
  for (let i = 0; i < 20; i++) {
    const pids = sh('ip', ['netns', 'pids', ns]).out.split('\n').map(Number).filter(Boolean);
    if (!pids.length) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('sleep', ['0.1']);
  }
  sh('ip', ['netns', 'del', ns]);
}

/** Removes what test runs that are no longer alive left: their namespaces, bridges and reservations. */
export function sweepLeftovers(): string[] {
  const swept: string[] = [];
  for (const line of sh('ip', ['netns', 'list']).out.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)-\\d+$`).exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    removeNetns(ns);
    swept.push(ns);
  }
  for (const link of readdirSync('/sys/class/net')) {
    const m = /^bl(\d+)$/.exec(link);
    if (!m || alive(Number(m[1]))) continue;
    sh('ip', ['link', 'del', link]);
    swept.push(link);
  }
  return swept;
}

export interface Machine {
  index: number;
  /** The network namespace, which is also the node's name. */
  netns: string;
  ip: string;
  dataDir: string;
  bridge: string;
  cgroupRoot: string;
  agent?: ChildProcess;
  agentOutput: () => string;
  /** A command inside the machine (its network namespace). */
  run(cmd: string, ...args: string[]): { code: number; out: string; err: string };
  startAgent(extraArgs?: string[]): Promise<void>;
  /** SIGKILL, as a crash: containerd and the pods stay. */
  killAgent(): Promise<void>;
  /** SIGTERM: the agent stops, pods and containerd's shims stay. */
  stopAgent(): Promise<void>;
}

export interface Lan {
  k: number;
  bridge: string;
  /** The root namespace's address on the LAN (the API server listens on it). */
  hostIp: string;
  /** The pod range the server's node IPAM cuts each machine's podCIDR from. */
  clusterCidr: string;
  server: RunningServer;
  machines: Machine[];
  cleanUp(): Promise<void>;
}

export interface LanOptions {
  machines: number;
  /** Extra `berth agent` flags (e.g. --pod-network host-gw). */
  agentArgs?: string[];
  /** More agent flags, from what the LAN chose (e.g. ['--cluster-cidr', l.clusterCidr]). */
  agentArgsOf?: (l: { hostIp: string; clusterCidr: string }) => string[];
  /** More `berth agent` flags for one machine, after agentArgs (e.g. --node-taint on one node). */
  machineArgs?: (index: number) => string[];
  /** false: the machines are made but no agent is started (the caller starts them, e.g. to time each). */
  startAgents?: boolean;
  log?: (m: string) => void;
}

/**
 * Builds the LAN, the server and one machine per index, and starts every agent. On a failure
 * everything made so far is removed before the error is thrown.
 */
export async function startLan(o: LanOptions): Promise<Lan> {
  sweepLeftovers();
  const k = reserveLan();
  const id = process.pid;
  const bridge = `bl${id}`;
  const hostIp = `10.213.${k}.1`;
  const clusterCidr = `10.214.${k}.0/24`;
  const dirs: string[] = [];
  const machines: Machine[] = [];
  let server: RunningServer | undefined;
  const cleanUp = async () => {
    await Promise.all(machines.map((m) => m.stopAgent().catch(() => undefined)));
    // berth killall in each machine: pod sandboxes go through CNI DEL (their network namespaces
    // and veths with them), containers stop, the machine's containerd stops.
    await Promise.all(machines.filter((m) => existsSync(m.dataDir)).map((m) => killall(m)));
    for (const m of machines) {
      // Pods and containerd outlive a stopped agent: everything in the namespace goes.
      removeNetns(m.netns);
      unmountUnder(m.dataDir);
      removeCgroupTree(m.cgroupRoot);
      forgetBridge(m.bridge);
    }
    sh('ip', ['link', 'del', bridge]);
    if (server) {
      await server.stop();
      server.cleanup();
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    rmSync(join(RESERVATIONS, String(k)), { force: true });
  };
  try {
    must('ip', 'link', 'add', bridge, 'type', 'bridge');
    must('ip', 'addr', 'add', `${hostIp}/24`, 'dev', bridge);
    must('ip', 'link', 'set', bridge, 'up');
    for (let i = 0; i < o.machines; i++) {
      const netns = `${NETNS_PREFIX}${id}-${i}`;
      const dir = mkdtempSync(join(tmpdir(), 'berth-m-'));
      dirs.push(dir);
      const m = makeMachine({
        index: i,
        netns,
        ip: `10.213.${k}.${10 + i}`,
        dataDir: join(dir, 'agent'),
        bridge: `bp${id}-${i}`,
        cgroupRoot: `/berth-m${id}-${i}`,
      });
      machines.push(m);
      must('ip', 'netns', 'add', netns);
      const veth = `bv${id}-${i}`;
      must('ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      must('ip', 'link', 'set', veth, 'master', bridge, 'up');
      m.run('ip', 'link', 'set', 'lo', 'up');
      for (const args of [
        ['addr', 'add', `${m.ip}/24`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['route', 'add', 'default', 'via', hostIp],
      ]) {
        const r = m.run('ip', ...args);
        if (r.code !== 0) throw new Error(`ip ${args.join(' ')} in ${netns}: ${r.err}`);
      }
    }
    // The server is the root namespace's, on the LAN address; its node IPAM hands each node a /26.
    server = await startServer({ args: ['--listen', `${hostIp}:0`, '--cluster-cidr', clusterCidr, '--node-cidr-mask-size', '26'] });
    const s = server;
    for (const m of machines) (m as MachineImpl).server = s;
    const agentArgs = [...(o.agentArgs ?? []), ...(o.agentArgsOf?.({ hostIp, clusterCidr }) ?? [])];
    if (o.startAgents !== false) await Promise.all(machines.map((m) => m.startAgent([...agentArgs, ...(o.machineArgs?.(m.index) ?? [])])));
    return { k, bridge, hostIp, clusterCidr, server: s, machines, cleanUp };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

function killall(m: Machine): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--net=/run/netns/${m.netns}`, '--', process.execPath, BERTH, 'killall', '--data-dir', m.dataDir], { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.on('error', () => resolve());
  });
}

interface MachineImpl extends Machine {
  server?: RunningServer;
}

function makeMachine(base: { index: number; netns: string; ip: string; dataDir: string; bridge: string; cgroupRoot: string }): MachineImpl {
  let out = '';
  let exited: Promise<number | null> = Promise.resolve(null);
  const m: MachineImpl = {
    ...base,
    agentOutput: () => out,
    run: (cmd, ...args) => sh('nsenter', [`--net=/run/netns/${base.netns}`, '--', cmd, ...args]),
    async startAgent(extraArgs = []) {
      const s = m.server!;
      const caFile = join(s.dataDir, 'pki', 'ca.crt');
      const args = [`--net=/run/netns/${base.netns}`, '--', process.execPath, BERTH, 'agent', '--server', s.url, '--token', s.token, '--ca-file', caFile];
      args.push(
        '--data-dir',
        base.dataDir,
        '--node-name',
        base.netns,
        '--node-ip',
        base.ip,
        '--bridge',
        base.bridge,
        '--cgroup-root',
        base.cgroupRoot,
        ...extraArgs,
      );
      // A restart's readiness is in what this process prints, not in the earlier one's lines.
      const from = out.length;
      const proc = spawn('nsenter', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      m.agent = proc;
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      exited = new Promise((r) => proc.on('exit', (c) => r(c)));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`agent ${base.netns} not running in time:\n${out}`)), 90_000);
        const check = () => {
          if (/agent for node \S+ running/.test(out.slice(from))) {
            clearTimeout(t);
            resolve();
          }
        };
        proc.stdout!.on('data', check);
        proc.stderr!.on('data', check);
        check();
        void exited.then((c) => {
          clearTimeout(t);
          reject(new Error(`agent ${base.netns} exited with ${c}:\n${out}`));
        });
      });
    },
    async killAgent() {
      const p = m.agent;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGKILL');
      await exited;
    },
    async stopAgent() {
      const p = m.agent;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
  return m;
}

export function lanPrerequisiteMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!existsSync(BERTH)) return `${BERTH} is missing: run node scripts/bundle.mjs`;
  // A VNI and port of this probe's own: a node agent on this machine (another test's embedded
  // one) may hold VNI 1 on 8472 in this namespace, and the kernel refuses a second such device.
  const vni = 100_000 + (process.pid % 1_000_000);
  const r = sh('ip', ['link', 'add', `bx${process.pid}`, 'type', 'vxlan', 'id', String(vni), 'dstport', String(20_000 + (process.pid % 20_000)), 'nolearning']);
  if (r.code !== 0) return `no VXLAN support in this kernel: ${r.err.trim()}`;
  sh('ip', ['link', 'del', `bx${process.pid}`]);
  if (sh('nft', ['--version']).code !== 0) return 'nft (nftables) is not installed';
  return undefined;
}
