// Names of the per-service objects in the proxy's nftables table, as kube-proxy's nftables mode
// names them: a prefix, a short hash (so names stay unique when truncated) and the readable
// ns/name/protocol/port. nft identifiers allow letters, digits and / - _ . so these need no quoting.
import { createHash } from 'node:crypto';

/** nft's limit on a chain or set name is 256 bytes; stay well under it. */
const MAX_NAME = 200;

/** "ns/name/tcp/portname": the identity of one Service port (portname may be ''). */
export function servicePortId(namespace: string, name: string, protocol: string, port: string): string {
  return `${namespace}/${name}/${protocol.toLowerCase()}/${port}`;
}

function hashed(prefix: string, base: string): string {
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8).toUpperCase();
  return `${prefix}-${hash}-${base}`.slice(0, MAX_NAME);
}

/** The chain choosing among all usable endpoints (cluster traffic policy). */
export const clusterChain = (spId: string) => hashed('service', spId);
/** The chain choosing among this node's endpoints (Local traffic policy). */
export const localChain = (spId: string) => hashed('local', spId);
/** The chain traffic to NodePorts, external and load-balancer IPs enters through. */
export const externalChain = (spId: string) => hashed('external', spId);
/** The chain dropping load-balancer traffic from outside the Service's loadBalancerSourceRanges. */
export const firewallChain = (spId: string) => hashed('firewall', spId);
/** One endpoint's chain: masquerade for hairpin, affinity update, DNAT. */
export const endpointChain = (spId: string, ip: string, port: number) => hashed('endpoint', `${spId}__${ip}/${port}`);
/** The dynamic set of recent clients of one endpoint (sessionAffinity ClientIP). */
export const affinitySet = (spId: string, ip: string, port: number) => hashed('affinity', `${spId}__${ip}/${port}`);
