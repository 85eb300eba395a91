// The Node object a kubelet registers and the shape of the status it posts (kubelet's
// initialNode and setNodeStatus): the same fields whoever fills them in, the agent from the
// machine and the runtime, the simulator from its plan.
import type { ContainerImage, Node, NodeAddress, NodeCondition, NodeStatus, NodeSystemInfo, Taint } from 'kubernetes-types/core/v1';
import { nodeAnnotations } from './node-conditions.js';

/** A node's resources as a kubelet counts them (quantities as the API writes them). */
export interface NodeResources {
  cpu: string;
  memory: string;
  ephemeralStorage: string;
  pods: string;
}

export interface NodeStatusFacts {
  capacity: NodeResources;
  /** Capacity minus what is held back (kubelet's eviction thresholds); capacity when nothing is. */
  allocatable?: Partial<NodeResources>;
  conditions: NodeCondition[];
  internalIP: string;
  /** An address others reach the node at (k3s's --node-external-ip), listed after the InternalIP. */
  externalIP?: string;
  hostname: string;
  /** The kubelet endpoint's port (the API server dials it for logs, exec, port-forward). */
  kubeletPort: number;
  nodeInfo: Omit<NodeSystemInfo, 'operatingSystem' | 'kubeProxyVersion'> & { operatingSystem?: string };
  images?: ContainerImage[];
}

function resourceList(r: NodeResources): Record<string, string> {
  // Huge pages are reported, as zero, whenever the machine has none configured.
  return { cpu: r.cpu, 'ephemeral-storage': r.ephemeralStorage, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: r.memory, pods: r.pods };
}

export function kubeletNodeStatus(f: NodeStatusFacts): NodeStatus {
  return {
    capacity: resourceList(f.capacity),
    allocatable: resourceList({ ...f.capacity, ...f.allocatable }),
    conditions: f.conditions,
    addresses: [
      { type: 'InternalIP', address: f.internalIP },
      ...(f.externalIP ? [{ type: 'ExternalIP', address: f.externalIP } satisfies NodeAddress] : []),
      { type: 'Hostname', address: f.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } },
    nodeInfo: { operatingSystem: 'linux', kubeProxyVersion: '', ...f.nodeInfo },
    ...(f.images ? { images: f.images } : {}),
  };
}

/**
 * The Node to register: its labels, kubelet's annotations, its status, and in its spec a podCIDR
 * when the kubelet brings one and the taints it registers with (kubelet's --register-with-taints).
 */
export function kubeletNodeObject(o: { name: string; labels: Record<string, string>; podCidr?: string; taints?: Taint[]; status: NodeStatus }): Node {
  const spec = {
    ...(o.podCidr ? { podCIDR: o.podCidr, podCIDRs: [o.podCidr] } : {}),
    ...(o.taints?.length ? { taints: o.taints } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: o.name, labels: o.labels, annotations: nodeAnnotations() },
    ...(Object.keys(spec).length ? { spec } : {}),
    status: o.status,
  };
}
