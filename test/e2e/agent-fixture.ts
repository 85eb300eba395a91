// A Berth server with --no-agent and a node agent in a process of its own (agent-runner.ts) on a
// containerd it manages itself, with a CNI bridge, cgroup root and temp dir of its own; for the
// agent e2e tests and the startup benchmark. stop() removes everything: pods, containerd's
// state, mounts, the bridge, the cgroups, the temp dirs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  CriRuntime,
  ManagedContainerd,
  containerdLayout,
  removeCgroupTree,
  findRuntimeBinaries,
  findStaticBusybox,
  unmountUnder,
} from '../../src/runtime/index.js';
import { forgetBridge } from '../../src/cli/bridge-owner.js';
import { issueNodeClientCertificate, readCaFiles } from '../../src/apiserver/pki.js';
import { removeProxyTable } from '../../src/proxy/index.js';
import { ROOT, kubectl, startServer, type RunningServer } from './harness.js';

export const BUSYBOX = 'berth.local/busybox:host';
export const RUNNER = join(ROOT, 'test', 'e2e', 'agent-runner.ts');

export async function missingAgentPrerequisite(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'the node agent needs Linux';
  if (process.getuid?.() !== 0) return 'the node agent test needs root (containerd, mounts, network namespaces)';
  try {
    findRuntimeBinaries();
  } catch (e) {
    return (e as Error).message;
  }
  if (!(await findStaticBusybox())) return 'busybox-static is not installed (apt-get install busybox-static)';
  return undefined;
}

export interface AgentRunner {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  port: number;
}

export interface AgentEnv {
  server: RunningServer;
  runner: AgentRunner;
  rt: CriRuntime;
  dir: string;
  agentDir: string;
  nodeName: string;
  bridge: string;
  cidr: string;
  cgroupRoot: string;
  /** The cluster DNS servers the agent gives pods (the startup bench's floor gives the same). */
  clusterDns: string[];
  getPod(name: string): Pod;
  /** kubectl apply of one object or a list of them. */
  apply(...objects: unknown[]): void;
  podLog(name: string, container: string, extra?: string): string;
  stop(): Promise<void>;
}

export interface AgentEnvOptions {
  nodeName?: string;
  /** A runner command other than `node --import tsx agent-runner.ts` (e.g. a bundled runner for the benchmark). */
  runnerCommand?: string[];
  /** Extra environment for the runner. */
  env?: Record<string, string>;
  log?: (m: string) => void;
  /** Server flags instead of the node IPAM ones giving the node the reserved subnet. */
  serverArgs?: (cidr: string) => string[];
  /**
   * Runs while the agent starts (its runner says "agent ready" once the node has a podCIDR and
   * runs pods), with the agent's output so far; the start waits for both.
   */
  /** More options for the agent (startEmbeddedAgent's), over the fixture's. */
  agentOptions?: Record<string, unknown>;
  whileStarting?: (ctx: { server: RunningServer; cidr: string; agentOutput: () => string }) => Promise<void>;
}

export async function startAgentEnv(o: AgentEnvOptions = {}): Promise<AgentEnv> {
  const hex = randomBytes(3).toString('hex');
  const nodeName = o.nodeName ?? 'e2e-node';
  const bridge = `bt${hex}`;
  const subnet = reserveTestSubnet();
  const cidr = subnet.cidr;
  const cgroupRoot = `/berth-e2e-${hex}`;
  const host = recordHostState();
  // The control plane hands the node its range out of the subnet reserved for this test.
  // A Service range of its own too (a test's own --service-cidr, given after it, wins): the
  // agent's service proxy shares the host's netfilter hooks with other tests' proxies.
  const serviceCidr = cidr.replace(/^10\.244\./, '10.245.');
  const server = await startServer({ args: ['--service-cidr', serviceCidr, ...(o.serverArgs?.(cidr) ?? serverCidrArgs(cidr))] });
  // Short: containerd's socket path must stay under 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'berth-ag-'));
  const agentDir = join(dir, 'agent');
  const layout = containerdLayout(join(agentDir, 'containerd'));
  let runner: AgentRunner | undefined;
  let rt: CriRuntime | undefined;

  // The agent is the node it runs, as a joined one: its certificate (CN=system:node:NAME,
  // O=system:nodes) puts it under the Node authorizer and NodeRestriction, not the admin token.
  const identity = await issueNodeClientCertificate(readCaFiles(server.dataDir), nodeName);
  const opts = {
    url: server.url,
    caCert: server.caCert,
    clientCert: identity.cert,
    clientKey: identity.key,
    dataDir: agentDir,
    nodeName,
    nodeIP: '127.0.0.1',
    listen: { host: '127.0.0.1', port: 0 },
    bridge,
    ipMasq: false,
    cgroupRoot,
    // Its own nftables table (several agents run at once on this machine), removed in stop().
    proxy: { table: `berth-${bridge}`, clusterCidr: cidr, serviceCidr },
    // The server's default cluster DNS address for that range (its tenth address).
    clusterDns: [serviceCidr.replace(/\.0\/24$/, '.10')],
    ...o.agentOptions,
  };

  let startOutput = '';
  const log = (m: string) => {
    startOutput += m;
    o.log?.(m);
  };
  const giveUp = new AbortController();
  const startRunner = () => spawnAgentRunner(opts, { command: o.runnerCommand, env: o.env, log, signal: giveUp.signal });
  const stopRunner = stopAgentRunner;

  const stop = async () => {
    rt?.close();
    const code = await stopRunner(runner).catch(() => null);
    // The agent didn't clean up after itself: remove what it left.
    if (code !== 0) await removeLeftoverPods(join(agentDir, 'containerd'));
    await removeProxyTable(opts.proxy.table).catch(() => undefined);
    cleanUpHost(host, { dir, bridge, subnet, cgroupRoot });
    if (runner && process.env.BERTH_E2E_VERBOSE) process.stderr.write(runner.output());
    await server.stop();
    server.cleanup();
  };

  try {
    const starting = startRunner();
    const beside = o.whileStarting?.({ server, cidr, agentOutput: () => startOutput });
    try {
      [runner] = await Promise.all([starting, beside]);
    } catch (e) {
      // Whichever failed, the runner must have exited before the cleanup.
      giveUp.abort();
      runner = await starting.catch(() => undefined);
      throw e;
    }
    rt = new CriRuntime({ socket: layout.socket });
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    server,
    runner,
    rt,
    dir,
    agentDir,
    nodeName,
    bridge,
    cidr,
    cgroupRoot,
    clusterDns: opts.clusterDns,
    getPod: (name) => JSON.parse(kubectl(server, ['get', 'pod', name, '-o', 'json']).stdout) as Pod,
    apply(...objects) {
      const r = kubectl(server, ['apply', '-f', '-'], {
        input: JSON.stringify(objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects }),
      });
      if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
    },
    podLog: (name, container, extra) => kubectl(server, ['logs', name, '-c', container, ...(extra ? [extra] : [])]).stdout,
    stop,
  };
}

/**
 * Starts test/e2e/agent-runner.ts (or command) as its own process with the agent options, and
 * waits for its "agent ready port=N" line.
 */
export async function spawnAgentRunner(
  opts: object,
  o: { command?: string[]; env?: Record<string, string>; log?: (s: string) => void; signal?: AbortSignal } = {},
): Promise<AgentRunner> {
  const cmd = o.command ?? [process.execPath, '--import', 'tsx', RUNNER];
  const proc = spawn(cmd[0]!, [...cmd.slice(1), JSON.stringify(opts)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BERTH_REMOVE_PODS: '1', ...o.env },
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => {
    out += d;
    o.log?.(String(d));
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  // A start given up (the runner stops itself, even while it waits for its podCIDR).
  o.signal?.addEventListener('abort', () => proc.kill('SIGTERM'), { once: true });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`agent not ready in time:\n${out}`)), 60_000);
    proc.stdout!.on('data', () => {
      const m = /agent ready port=(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    void exited.then((c) => {
      clearTimeout(t);
      reject(new Error(`agent exited with ${c}:\n${out}`));
    });
  });
  return { proc, output: () => out, exited, port };
}

/** SIGTERM, then SIGKILL after 30 s; resolves with the exit code. */
export async function stopAgentRunner(r: AgentRunner | undefined): Promise<number | null> {
  if (!r || r.proc.exitCode !== null) return r?.proc.exitCode ?? null;
  r.proc.kill('SIGTERM');
  const t = setTimeout(() => r.proc.kill('SIGKILL'), 30_000);
  const code = await r.exited;
  clearTimeout(t);
  return code;
}

/** Server flags that make the node IPAM controller cut node ranges of maskSize out of cidr only. */
export function serverCidrArgs(cidr: string, maskSize = Number(cidr.split('/')[1])): string[] {
  return ['--cluster-cidr', cidr, '--node-cidr-mask-size', String(maskSize)];
}

/**
 * A pod /24 no other test process on this machine is using: agent test files run concurrently,
 * and two bridges with the same subnet would route a pod IP to the wrong pod. Reservations are
 * files naming the owning pid; a dead owner's reservation is free again.
 */
export function reserveTestSubnet(): { cidr: string; release(): void } {
  const dir = join(tmpdir(), 'berth-test-subnets');
  mkdirSync(dir, { recursive: true });
  const start = Math.floor(Math.random() * 100);
  for (let i = 0; i < 100; i++) {
    const octet = 100 + ((start + i) % 100);
    const file = join(dir, String(octet));
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) continue;
      writeFileSync(file, String(process.pid));
    }
    return { cidr: `10.244.${octet}.0/24`, release: () => rmSync(file, { force: true }) };
  }
  throw new Error('no free test subnet in 10.244.100.0/24–10.244.199.0/24');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a test's node changes on the host and puts back afterwards (see cleanUpHost). */
export interface HostState {
  ipForward: string;
  runDirExisted: boolean;
}

export function recordHostState(): HostState {
  return { ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), runDirExisted: existsSync('/run/containerd') };
}

/** Stops and removes the pod sandboxes a containerd (state under containerdDir) still holds, with a containerd of our own. */
export async function removeLeftoverPods(containerdDir: string): Promise<void> {
  const mc = new ManagedContainerd({ dir: containerdDir, importLocalImages: false, log: () => undefined });
  try {
    const c = await mc.start();
    for (const s of await c.listPodSandbox()) {
      await c.stopPodSandbox(s.id).catch(() => undefined);
      await c.removePodSandbox(s.id).catch(() => undefined);
    }
    c.close();
  } catch {
    // nothing to clean with
  } finally {
    await mc.stop().catch(() => undefined);
  }
}

/**
 * Removes what a node left on the host once its agent and containerd are stopped: the mounts and
 * files under dir, the bridge (which frees the test subnet), the cgroup root, the containerd run
 * dir if the test made it; and puts ip_forward back.
 */
export function cleanUpHost(host: HostState, o: { dir?: string; bridge: string; subnet: { release(): void }; cgroupRoot: string }): void {
  if (o.dir) {
    unmountUnder(o.dir);
    rmSync(o.dir, { recursive: true, force: true });
  }
  spawnSync('ip', ['link', 'del', o.bridge], { stdio: 'ignore' });
  forgetBridge(o.bridge);
  // The subnet is free again once its bridge is gone.
  o.subnet.release();
  writeFileSync('/proc/sys/net/ipv4/ip_forward', host.ipForward);
  removeCgroupTree(o.cgroupRoot);
  if (!host.runDirExisted) {
    for (const d of ['/run/containerd/s', '/run/containerd']) {
      try {
        rmdirSync(d);
      } catch {
        // not empty: something else uses it
      }
    }
  }
}
