// The node's share of kube-system/kube-dns: one EndpointSlice per node, `kube-dns-<node>`,
// whose single endpoint is this node's DNS server (the address pods reach it on, the port it
// really listens on). kube-dns has internalTrafficPolicy Local, so each node's service proxy
// sends the pods' DNS traffic to its own node's server. Kept by server-side apply, so a start
// both creates it and repairs whatever changed it; left in place when the agent stops (its
// address and port stay the same across restarts).
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { isIPv6 } from 'node:net';
import type { RestClient } from '../client/index.js';
import { SERVICE_NAME_LABEL } from './records.js';

export const ENDPOINTSLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;
export const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const DNS_MANAGED_BY = 'agent.berth.dev';
export const DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;
const FIELD_MANAGER = 'berth-agent-dns';

export function kubeDnsSlice(nodeName: string, address: string, port: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `kube-dns-${nodeName}`,
      namespace: DNS_SERVICE.namespace,
      labels: { [SERVICE_NAME_LABEL]: DNS_SERVICE.name, [MANAGED_BY_LABEL]: DNS_MANAGED_BY },
    },
    addressType: isIPv6(address) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], nodeName, conditions: { ready: true, serving: true, terminating: false } }],
    ports: [
      { name: 'dns', protocol: 'UDP', port },
      { name: 'dns-tcp', protocol: 'TCP', port },
    ],
  };
}

/** Creates or repairs the node's kube-dns slice. */
export async function publishKubeDnsSlice(client: RestClient, nodeName: string, address: string, port: number): Promise<EndpointSlice> {
  const slice = kubeDnsSlice(nodeName, address, port);
  return client.patch<EndpointSlice>({ ...ENDPOINTSLICES, namespace: DNS_SERVICE.namespace, name: slice.metadata!.name! }, slice, 'apply', {
    fieldManager: FIELD_MANAGER,
    force: true,
  });
}
