// The Node object a kubelet registers and the shape of the status it posts (kubelet's
// initialNode and setNodeStatus): the same fields whoever fills them in, the agent from the
// machine and the runtime, the simulator from its plan.
import type { ContainerImage, Node, NodeCondition, NodeStatus, NodeSystemInfo } from 'kubernetes-types/core/v1';
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
      { type: 'Hostname', address: f.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } },
    nodeInfo: { operatingSystem: 'linux', kubeProxyVersion: '', ...f.nodeInfo },
    ...(f.images ? { images: f.images } : {}),
  };
}

/** The Node to register: its labels, kubelet's annotations, a podCIDR when the kubelet brings one, its status. */
export function kubeletNodeObject(o: { name: string; labels: Record<string, string>; podCidr?: string; status: NodeStatus }): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: o.name, labels: o.labels, annotations: nodeAnnotations() },
    ...(o.podCidr ? { spec: { podCIDR: o.podCidr, podCIDRs: [o.podCidr] } } : {}),
    status: o.status,
  };
}
