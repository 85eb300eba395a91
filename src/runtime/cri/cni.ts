// The pod network: one CNI conflist (bridge + host-local + portmap) for the node's podCIDR, as
// k3s's flannel-less setups write it. The bridge gets the subnet's first address as gateway.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CniOptions {
  /** The node's pod CIDR, e.g. 10.42.0.0/24. */
  podCidr: string;
  /** Name of the Linux bridge (at most 15 characters). */
  bridge: string;
  /** host-local's allocation dir (default /var/lib/cni/networks). */
  dataDir: string;
  /** Masquerade traffic from pods leaving the pod network (default true). */
  ipMasq?: boolean;
  mtu?: number;
  /** Network name (default "berth"). */
  name?: string;
}

export const CNI_CONF_FILE = '10-berth.conflist';

export function cniConflist(o: CniOptions): Record<string, unknown> {
  if (o.bridge.length > 15) throw new Error(`bridge name "${o.bridge}" is longer than 15 characters`);
  const ipv6 = o.podCidr.includes(':');
  return {
    cniVersion: '1.0.0',
    name: o.name ?? 'berth',
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        // A bridge left by a stopped Berth may still hold the gateway of another range (a
        // node's range changed, or another data dir used it): the new range's gateway replaces
        // it rather than failing every pod's sandbox.
        forceAddress: true,
        ipMasq: o.ipMasq ?? true,
        hairpinMode: true,
        ...(o.mtu ? { mtu: o.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.podCidr }]],
          routes: [{ dst: ipv6 ? '::/0' : '0.0.0.0/0' }],
          dataDir: o.dataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/** Writes the conflist into confDir (atomically); returns whether it changed. */
export function writeCniConfig(confDir: string, o: CniOptions): boolean {
  mkdirSync(confDir, { recursive: true });
  const file = join(confDir, CNI_CONF_FILE);
  const text = `${JSON.stringify(cniConflist(o), null, 2)}\n`;
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  return true;
}

/** The IPs host-local still holds in dataDir for network `name` (one file per address). */
export function allocatedIps(dataDir: string, name = 'berth'): string[] {
  const dir = join(dataDir, name);
  if (!existsSync(dir)) return [];
  // Beside the addresses host-local keeps "last_reserved_ip.N" and a lock file.
  return readdirSync(dir).filter((f) => !f.startsWith('last_reserved_ip') && f !== 'lock');
}
