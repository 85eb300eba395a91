// `berth killall` (k3s-killall.sh's job): a stopped Berth leaves its pods running (their shims
// outlive containerd, and the next start adopts them); this stops them for good and removes
// what the node holds on the host: every container and pod sandbox of the data dir's containerd
// (which gives back their addresses and the CNI plugins' iptables rules), leftover shims,
// mounts under the agent's dir, the pod cgroups, the bridge and host-local's reservations, and
// the service proxy's nftables table; then stops containerd. Images and the cluster's state stay.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CNI_CONF_FILE, ManagedContainerd, containerdLayout, removeCgroupTree, unmountUnder, type ContainerdLayout } from '../runtime/index.js';
import { bridgeExists, bridgeOwner, forgetBridge } from './bridge-owner.js';
import { NAT_TABLE, VXLAN_DEVICE, removeMasquerade, removeVtep } from '../network/index.js';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
import { defaultDataDir } from './flags.js';
import { PROXY_TABLE_FILE } from './proxy-flags.js';
import { removeProxyTable } from '../proxy/index.js';

export interface KillallFlags {
  dataDir?: string;
}

/** The node agent's dir under a server's data dir (DIR/agent), or DIR itself for `berth agent --data-dir DIR`. */
function agentDirOf(dir: string): string | undefined {
  for (const d of [join(dir, 'agent'), dir]) if (existsSync(join(d, 'containerd', 'config.toml'))) return d;
  return undefined;
}

/** The bridge the agent's CNI config names (berth0 unless --bridge said otherwise). */
function bridgeOf(layout: ContainerdLayout): string {
  try {
    const conf = JSON.parse(readFileSync(join(layout.cniConfDir, CNI_CONF_FILE), 'utf8')) as { plugins?: Array<{ bridge?: string }> };
    return conf.plugins?.[0]?.bridge ?? 'berth0';
  } catch {
    return 'berth0';
  }
}

/** Processes whose command line names path (containerd's shims name its socket). */
function processesNaming(path: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${e}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.includes(path))
      )
        out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The table the agent's proxy programmed (named in DIR/proxy-table), if any. */
async function removeProxyTableOf(agentDir: string, say: (m: string) => void): Promise<void> {
  let table: string;
  try {
    table = readFileSync(join(agentDir, PROXY_TABLE_FILE), 'utf8').trim();
  } catch {
    return;
  }
  try {
    if (await removeProxyTable(table)) say(`removed the service proxy's nftables table ip ${table}`);
    rmSync(join(agentDir, PROXY_TABLE_FILE), { force: true });
  } catch (e) {
    say(`could not remove the service proxy's nftables table ip ${table}: ${(e as Error).message}`);
  }
}

export async function runKillall(flags: KillallFlags, say: (m: string) => void = (m) => process.stdout.write(`berth killall: ${m}\n`)): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('killall needs root (it stops containers and removes mounts, cgroups and network links)');
  const dir = resolve(flags.dataDir ?? defaultDataDir());
  if (!existsSync(dir)) throw new Error(`no data dir ${dir}`);
  const agentDir = agentDirOf(dir);
  // Holding the locks keeps a server from starting on the dir while its node is torn down.
  const locks = [];
  try {
    for (const d of new Set([dir, ...(agentDir ? [agentDir] : [])])) locks.push(lockDataDir(d));
  } catch (e) {
    for (const l of locks) l.release();
    if (e instanceof DataDirInUseError) throw new Error(`berth is running on ${e.dir} (pid ${e.pid}): stop it first (SIGTERM), then run killall`);
    throw e;
  }
  try {
    if (!agentDir) {
      say(`no node agent state under ${dir}: nothing to stop`);
      return;
    }
    const layout = containerdLayout(join(agentDir, 'containerd'));
    const bridge = bridgeOf(layout);

    // containerd (started again if it is stopped) knows every container and sandbox, and runs
    // the CNI DEL that gives back each sandbox's address and rules.
    const containerd = new ManagedContainerd({ dir: layout.dir, importLocalImages: false, log: say });
    const rt = await containerd.start();
    try {
      const containers = await rt.listContainers();
      await Promise.all(
        containers
          .filter((c) => c.state === 'CONTAINER_RUNNING')
          .map((c) => rt.stopContainer(c.id, 0).catch((e) => say(`stop container ${c.id}: ${(e as Error).message}`))),
      );
      for (const c of containers) await rt.removeContainer(c.id).catch((e) => say(`remove container ${c.id}: ${(e as Error).message}`));
      const sandboxes = await rt.listPodSandbox();
      for (const s of sandboxes) {
        await rt.stopPodSandbox(s.id).catch((e) => say(`stop pod sandbox ${s.id}: ${(e as Error).message}`));
        await rt.removePodSandbox(s.id).catch((e) => say(`remove pod sandbox ${s.id}: ${(e as Error).message}`));
      }
      say(`stopped and removed ${containers.length} containers and ${sandboxes.length} pod sandboxes`);
    } finally {
      rt.close();
      await containerd.stop();
    }
    say(`stopped containerd (${layout.dir})`);

    // Shims whose containers are gone exit by themselves; any left (a task containerd lost) go.
    const shims = processesNaming(layout.dir);
    for (const pid of shims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (shims.length) say(`killed ${shims.length} leftover processes of ${layout.dir} (pids ${shims.join(', ')})`);

    const mounts = unmountUnder(agentDir);
    if (mounts.length) say(`unmounted ${mounts.length} mounts under ${agentDir}`);
    if (removeCgroupTree('/berth')) say('removed the pod cgroups (/berth)');
    else say('some pod cgroups under /berth still hold processes and stay');

    const owner = bridgeOwner(bridge);
    if (owner?.pid && owner.dataDir !== agentDir) {
      say(`bridge ${bridge} is in use by the berth running on ${owner.dataDir} (pid ${owner.pid}): left alone`);
    } else {
      if (bridgeExists(bridge)) {
        const r = spawnSync('ip', ['link', 'del', bridge], { encoding: 'utf8' });
        if (r.status === 0) say(`removed bridge ${bridge}`);
        else say(`could not remove bridge ${bridge}: ${r.stderr.trim() || `ip exited ${r.status}`}`);
      }
      forgetBridge(bridge);
      // The pod network across nodes (src/network): this machine's VXLAN end and masquerade table.
      if (removeVtep()) say(`removed the overlay device ${VXLAN_DEVICE}`);
      if (removeMasquerade()) say(`removed the pod masquerade table (nftables ${NAT_TABLE})`);
    }
    rmSync(layout.cniDataDir, { recursive: true, force: true });
    say(`removed the pod network's address reservations (${layout.cniDataDir})`);
    await removeProxyTableOf(agentDir, say);
  } finally {
    for (const l of locks) l.release();
  }
}
