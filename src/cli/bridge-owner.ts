// Which Berth a pod-network bridge belongs to. A bridge outlives the agent that made it (pods
// keep running across a restart, k3s-style), so its existence says nothing about a live Berth:
// each agent records its data dir under /run/berth/bridges, and the data dir's lock tells a
// live owner from a stopped one whose bridge is a leftover to reuse.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder } from './data-dir-lock.js';

export const BRIDGE_RECORDS = '/run/berth/bridges';

export interface BridgeOwner {
  /** The agent data dir that last used the bridge. */
  dataDir: string;
  /** The live process holding that data dir, if any. */
  pid?: number;
}

export function bridgeExists(bridge: string): boolean {
  return existsSync(`/sys/class/net/${bridge}`);
}

/** Who last used the bridge (from its record), and whether that Berth still runs. */
export function bridgeOwner(bridge: string, records = BRIDGE_RECORDS): BridgeOwner | undefined {
  let dataDir: string;
  try {
    dataDir = readFileSync(join(records, bridge), 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!dataDir) return undefined;
  const pid = lockHolder(dataDir);
  return pid ? { dataDir, pid } : { dataDir };
}

/**
 * Records the bridge as dataDir's. Refuses a bridge a live Berth of another data dir uses (two
 * pod networks on one bridge would hand out clashing addresses); a leftover is reused.
 */
export function claimBridge(bridge: string, dataDir: string, log: (m: string) => void, records = BRIDGE_RECORDS): void {
  const owner = bridgeOwner(bridge, records);
  if (owner?.pid && owner.pid !== process.pid && owner.dataDir !== dataDir) {
    throw new Error(`bridge ${bridge} is in use by the berth running on ${owner.dataDir} (pid ${owner.pid}); give this one another --bridge`);
  }
  if (bridgeExists(bridge) && !owner?.pid) {
    const whose = owner ? (owner.dataDir === dataDir ? 'by an earlier run on this data dir' : `by a stopped berth on ${owner.dataDir}`) : 'by an earlier berth';
    log(`reusing bridge ${bridge}, left ${whose}`);
  }
  mkdirSync(records, { recursive: true, mode: 0o755 });
  writeFileSync(join(records, bridge), `${dataDir}\n`);
}

/** Forgets the bridge's record (the bridge is gone). */
export function forgetBridge(bridge: string, records = BRIDGE_RECORDS): void {
  rmSync(join(records, bridge), { force: true });
}
