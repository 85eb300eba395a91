// How any component tells a simulated node (`berth sim`, or the server's stand-in node) from a
// real one. A simulated node runs no containers: its pods' addresses are made up, and its
// kubelet endpoint is the simulator's own listener on loopback. A component that would send
// traffic to a node or to a pod (the API server's pod proxy, a service proxy, EndpointSlices
// for a proxy to use) must check this first and never route to a simulated node or its pods.
import { isIP } from 'node:net';

/** The label every simulated node carries, value "true" (kwok marks its nodes type=kwok). */
export const SIMULATED_NODE_LABEL = 'node.berth.dev/simulated';

export function isSimulatedNode(node: { metadata?: { labels?: Record<string, string> | null } | null } | undefined): boolean {
  return node?.metadata?.labels?.[SIMULATED_NODE_LABEL] === 'true';
}

/** An address this machine owns whatever its network: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) return address.startsWith('127.');
  if (v === 6) return /^(0*:)+0*1$/.test(address) || /^::ffff:127\./i.test(address);
  return false;
}
