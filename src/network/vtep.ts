// This node's VXLAN tunnel endpoint, as flannel's vxlan backend makes it: one device, VNI 1,
// UDP 8472, bound to the node IP's interface, no learning (every peer's FDB entry is written by
// the agent), MTU 50 below the interface's (the VXLAN, UDP, IP and Ethernet headers). A device
// already right is kept as it is, MAC included: an agent restart changes nothing for the peers.
import { writeFileSync } from 'node:fs';
import { gatewayOf } from './peers.js';
import { ip, ipJson } from './ip.js';

export const VXLAN_DEVICE = 'berth.1';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;

export interface NodeInterface {
  name: string;
  mtu: number;
}

/** The interface holding the node IP (the VXLAN packets leave through it). */
export function interfaceOf(nodeIP: string): NodeInterface {
  const links = ipJson<Array<{ ifname: string; mtu: number; addr_info?: Array<{ local?: string }> }>>('addr', 'show');
  const link = links.find((l) => l.addr_info?.some((a) => a.local === nodeIP));
  if (!link) throw new Error(`no interface of this machine has the node IP ${nodeIP} (--node-ip)`);
  return { name: link.ifname, mtu: link.mtu };
}

export interface Vtep {
  device: string;
  mac: string;
  mtu: number;
}

interface LinkDetail {
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean; link?: string } };
}

/** Creates (or keeps, or fixes) the VXLAN device for nodeIP, addressed with podCidr's .0/32, up. */
export function ensureVtep(nodeIP: string, podCidr: string, device = VXLAN_DEVICE): Vtep {
  const iface = interfaceOf(nodeIP);
  const mtu = iface.mtu - VXLAN_OVERHEAD;
  const existing = ipJson<LinkDetail[]>('-d', 'link', 'show').find((l) => (l as { ifname?: string }).ifname === device);
  const d = existing?.linkinfo?.info_data;
  const right = existing?.linkinfo?.info_kind === 'vxlan' && d?.id === VXLAN_VNI && d.local === nodeIP && d.port === VXLAN_PORT && d.learning === false;
  if (existing && !right) ip('link', 'del', device);
  if (!right)
    ip('link', 'add', device, 'type', 'vxlan', 'id', String(VXLAN_VNI), 'local', nodeIP, 'dev', iface.name, 'dstport', String(VXLAN_PORT), 'nolearning');
  ip('link', 'set', device, 'mtu', String(mtu), 'up');
  // The node's own address on the overlay: replies to peers' pods leave from it.
  const want = `${gatewayOf(podCidr)}`;
  const addrs =
    ipJson<Array<{ addr_info?: Array<{ local?: string; prefixlen?: number; family?: string }> }>>('addr', 'show', 'dev', device)[0]?.addr_info ?? [];
  for (const a of addrs) if (a.family === 'inet' && a.local !== want) ip('addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', device);
  if (!addrs.some((a) => a.local === want)) ip('addr', 'add', `${want}/32`, 'dev', device);
  enableForwarding();
  const mac = ipJson<LinkDetail[]>('link', 'show', 'dev', device)[0]?.address ?? '';
  return { device, mac, mtu };
}

/** Pods' packets to other nodes are forwarded by this one. */
export function enableForwarding(): void {
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
}

/** Removes the VXLAN device (its routes, neighbours and FDB entries go with it). */
export function removeVtep(device = VXLAN_DEVICE): boolean {
  try {
    ip('link', 'del', device);
    return true;
  } catch {
    return false;
  }
}
