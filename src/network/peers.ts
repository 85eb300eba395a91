// What one node needs to know of another to reach its pods, read from the other's Node (its
// podCIDR and the annotations its agent published), and the kernel entries that make it so:
// flannel's vxlan backend installs per peer one route, one neighbour and one FDB entry;
// host-gw one plain route via the peer's node IP.
import type { Node } from 'kubernetes-types/core/v1';
import { formatIp, parseCidr } from '../api/cidr.js';

export const ANNOTATION_PREFIX = 'network.berth.dev/';
export const ANNOTATION_BACKEND = `${ANNOTATION_PREFIX}backend-type`;
export const ANNOTATION_VTEP_MAC = `${ANNOTATION_PREFIX}vtep-mac`;
export const ANNOTATION_PUBLIC_IP = `${ANNOTATION_PREFIX}public-ip`;

export type OverlayBackend = 'vxlan' | 'host-gw';

/** The pod network modes of `--pod-network`: none leaves the pod network to the user's CNI. */
export const POD_NETWORK_MODES = ['vxlan', 'host-gw', 'none'] as const;
export type PodNetworkMode = (typeof POD_NETWORK_MODES)[number];

export function parsePodNetworkMode(v: string): PodNetworkMode {
  if ((POD_NETWORK_MODES as readonly string[]).includes(v)) return v as PodNetworkMode;
  throw new Error(`--pod-network ${v}: must be one of ${POD_NETWORK_MODES.join(', ')}`);
}

export interface Peer {
  name: string;
  podCidr: string;
  /** The peer's node IP: the VXLAN packets' destination, or host-gw's next hop. */
  publicIp: string;
  /** The peer's VTEP MAC (vxlan only). */
  vtepMac?: string;
}

/** The peer's VXLAN address: its podCIDR's network address (.0), flannel style. */
export function gatewayOf(podCidr: string): string {
  return formatIp(parseCidr(podCidr).base);
}

/**
 * The peer a Node describes, or why it is no peer yet (no podCIDR, nothing published, or a
 * backend other than ours: its agent would not decapsulate what we send).
 */
export function peerFromNode(node: Node, backend: OverlayBackend): Peer | { skip: string } {
  const name = node.metadata?.name ?? '';
  const a = node.metadata?.annotations ?? {};
  const podCidr = node.spec?.podCIDR;
  if (!podCidr) return { skip: `node ${name} has no podCIDR yet` };
  if (podCidr.includes(':')) return { skip: `node ${name}: IPv6 podCIDR ${podCidr} is not supported` };
  if (!a[ANNOTATION_BACKEND]) return { skip: `node ${name} has not published its pod network yet` };
  if (a[ANNOTATION_BACKEND] !== backend) return { skip: `node ${name} runs pod network ${a[ANNOTATION_BACKEND]}, this node ${backend}` };
  const publicIp = a[ANNOTATION_PUBLIC_IP] || node.status?.addresses?.find((x) => x.type === 'InternalIP')?.address;
  if (!publicIp) return { skip: `node ${name} has no node IP` };
  if (backend === 'host-gw') return { name, podCidr, publicIp };
  const vtepMac = a[ANNOTATION_VTEP_MAC];
  if (!vtepMac || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(vtepMac)) return { skip: `node ${name} has no valid VTEP MAC` };
  return { name, podCidr, publicIp, vtepMac: vtepMac.toLowerCase() };
}

export function samePeer(a: Peer | undefined, b: Peer | undefined): boolean {
  return !!a && !!b && a.name === b.name && a.podCidr === b.podCidr && a.publicIp === b.publicIp && a.vtepMac === b.vtepMac;
}

/** One kernel entry: what identifies it, and the commands that set and remove it. */
export interface KernelEntry {
  tool: 'ip' | 'bridge';
  key: string;
  set: string;
  del: string;
}

/** The entries that route a peer's pods: neighbour and FDB before the route, as flannel orders them. */
export function peerEntries(p: Peer, backend: OverlayBackend, device: string): KernelEntry[] {
  if (backend === 'host-gw') {
    return [{ tool: 'ip', key: `route ${p.podCidr}`, set: `route replace ${p.podCidr} via ${p.publicIp}`, del: `route del ${p.podCidr}` }];
  }
  const gw = gatewayOf(p.podCidr);
  const mac = p.vtepMac!;
  return [
    { tool: 'ip', key: `neigh ${gw}`, set: `neigh replace ${gw} lladdr ${mac} dev ${device} nud permanent`, del: `neigh del ${gw} dev ${device}` },
    {
      tool: 'bridge',
      key: `fdb ${mac} ${p.publicIp}`,
      set: `fdb replace ${mac} dev ${device} dst ${p.publicIp} self permanent`,
      del: `fdb del ${mac} dev ${device} dst ${p.publicIp} self`,
    },
    {
      tool: 'ip',
      key: `route ${p.podCidr}`,
      set: `route replace ${p.podCidr} via ${gw} dev ${device} onlink`,
      del: `route del ${p.podCidr} via ${gw} dev ${device}`,
    },
  ];
}

/**
 * The commands that take a node from peer `from` to peer `to` (either may be absent: a node
 * came or went): entries of `from` that `to` lacks are removed, `to`'s set (replace: idempotent).
 */
export function peerChange(from: Peer | undefined, to: Peer | undefined, backend: OverlayBackend, device: string): { del: KernelEntry[]; set: KernelEntry[] } {
  const next = to ? peerEntries(to, backend, device) : [];
  const keys = new Set(next.map((e) => e.key));
  const old = from ? peerEntries(from, backend, device) : [];
  // Routes first when removing: nothing is sent towards a neighbour that is going away.
  const del = old.filter((e) => !keys.has(e.key)).reverse();
  const unchanged = new Set(old.map((e) => e.set));
  return { del, set: next.filter((e) => !unchanged.has(e.set)) };
}
