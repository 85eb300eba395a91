// A simulated node as a kubelet registers it: labels, podCIDR, capacity, conditions, addresses,
// nodeInfo (its Lease is the kubelet core's: src/kubelet/lease.ts).
import { createHash } from 'node:crypto';
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import { SIMULATED_NODE_LABEL } from '../api/simulated-node.js';
import { KUBELET_READY, NO_PRESSURE, nodeAnnotations, nodeConditionBodies, wellKnownNodeLabels } from '../kubelet/index.js';
import type { SimNode } from './node-plan.js';

/** The label that marks a node as simulated (kwok marks its nodes type=kwok); see src/api/simulated-node.ts. */
export const SIMULATED_LABEL = SIMULATED_NODE_LABEL;

export interface NodeShape {
  cpu: string;
  memory: string;
  pods: string;
  ephemeralStorage: string;
  kubeletVersion: string;
  /** The port of the simulator's kubelet endpoint (every node's daemonEndpoints.kubeletEndpoint.Port). */
  kubeletPort: number;
}

export function nodeLabels(n: SimNode): Record<string, string> {
  return {
    ...wellKnownNodeLabels(n.name, 'amd64'),
    'topology.kubernetes.io/region': n.region,
    'topology.kubernetes.io/zone': n.zone,
    [SIMULATED_LABEL]: 'true',
  };
}

/** The four conditions a healthy kubelet reports, with its reasons and messages. */
export function nodeConditions(readySince: string, heartbeat: string): NodeCondition[] {
  return nodeConditionBodies(NO_PRESSURE, KUBELET_READY).map((c) => ({ ...c, lastHeartbeatTime: heartbeat, lastTransitionTime: readySince }));
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
/** A new boot ID per simulator process, as a real machine gets one per boot. */
const bootNonce = `${process.pid}-${Date.now()}`;

export function nodeStatus(n: SimNode, shape: NodeShape, heartbeat: string): NodeStatus {
  const resources = {
    cpu: shape.cpu,
    'ephemeral-storage': shape.ephemeralStorage,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: shape.memory,
    pods: shape.pods,
  };
  return {
    capacity: { ...resources },
    allocatable: { ...resources },
    conditions: nodeConditions(n.readySince, heartbeat),
    addresses: [
      { type: 'InternalIP', address: n.internalIP },
      { type: 'Hostname', address: n.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: shape.kubeletPort } },
    nodeInfo: {
      machineID: hex(`machine/${n.name}`).slice(0, 32),
      systemUUID: uuid(hex(`system/${n.name}`)),
      bootID: uuid(hex(`boot/${n.name}/${bootNonce}`)),
      kernelVersion: '6.1.0-berth-sim',
      osImage: 'Berth simulated node',
      containerRuntimeVersion: 'sim://1.0.0',
      kubeletVersion: shape.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

export function nodeObject(n: SimNode, shape: NodeShape, heartbeat: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: nodeLabels(n),
      annotations: nodeAnnotations(),
    },
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    status: nodeStatus(n, shape, heartbeat),
  };
}
