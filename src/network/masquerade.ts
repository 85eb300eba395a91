// Pods' traffic leaving the cluster's pod network is masqueraded behind the node IP; traffic
// to any node's pods is not (the peer sees the real pod IP, as flannel keeps it). The CNI
// bridge's own ipMasq would masquerade everything outside this node's range, cross-node pod
// traffic too, so it is off, and this table of our own decides: a set of every known podCIDR,
// grown and shrunk with the nodes.
import { nft, nftCommand } from './ip.js';

export const NAT_TABLE = 'berth-pod-nat';
const SET = 'pod-cidrs';

/** The whole table, atomically replaced: this node's range masqueraded unless bound for a pod range. */
export function masqueradeScript(ownPodCidr: string, podCidrs: string[]): string {
  const elements = [...new Set([ownPodCidr, ...podCidrs])];
  return [
    `add table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    `table ip ${NAT_TABLE} {`,
    `  set ${SET} {`,
    '    type ipv4_addr',
    '    flags interval',
    `    elements = { ${elements.join(', ')} }`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${ownPodCidr} ip daddr != @${SET} masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function installMasquerade(ownPodCidr: string, podCidrs: string[]): void {
  nft(masqueradeScript(ownPodCidr, podCidrs));
}

/** Adds and removes pod ranges of other nodes (one atomic nft run). */
export function updatePodCidrs(add: string[], remove: string[]): void {
  const lines = [...remove.map((c) => `delete element ip ${NAT_TABLE} ${SET} { ${c} }`), ...add.map((c) => `add element ip ${NAT_TABLE} ${SET} { ${c} }`)];
  if (lines.length) nft(`${lines.join('\n')}\n`);
}

/** The ranges in the set now (for the periodic repair). */
export function listedPodCidrs(): string[] {
  const out = JSON.parse(nftCommand('-j', 'list', 'set', 'ip', NAT_TABLE, SET)) as {
    nftables: Array<{ set?: { elem?: Array<{ prefix?: { addr: string; len: number } } | string> } }>;
  };
  const elems = out.nftables.find((x) => x.set)?.set?.elem ?? [];
  return elems.map((e) => (typeof e === 'string' ? `${e}/32` : `${e.prefix!.addr}/${e.prefix!.len}`));
}

export function removeMasquerade(): boolean {
  try {
    nft(`delete table ip ${NAT_TABLE}\n`);
    return true;
  } catch {
    return false;
  }
}
