// A simulated node as a kubelet registers it: labels, podCIDR, capacity, conditions, addresses,
// nodeInfo, from the plan. The Node's shape is the kubelet core's (src/kubelet/node-object.ts),
// as are its Lease (lease.ts) and its registration (node-registration.ts).
import { createHash } from 'node:crypto';
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import { SIMULATED_NODE_LABEL } from '../api/simulated-node.js';
import { KUBELET_READY, NO_PRESSURE, kubeletNodeObject, kubeletNodeStatus, nodeConditionBodies, wellKnownNodeLabels } from '../kubelet/index.js';
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
  return kubeletNodeStatus({
    capacity: { cpu: shape.cpu, memory: shape.memory, ephemeralStorage: shape.ephemeralStorage, pods: shape.pods },
    conditions: nodeConditions(n.readySince, heartbeat),
    internalIP: n.internalIP,
    hostname: n.name,
    kubeletPort: shape.kubeletPort,
    nodeInfo: {
      machineID: hex(`machine/${n.name}`).slice(0, 32),
      systemUUID: uuid(hex(`system/${n.name}`)),
      bootID: uuid(hex(`boot/${n.name}/${bootNonce}`)),
      kernelVersion: '6.1.0-berth-sim',
      osImage: 'Berth simulated node',
      containerRuntimeVersion: 'sim://1.0.0',
      kubeletVersion: shape.kubeletVersion,
      architecture: 'amd64',
    },
  });
}

export function nodeObject(n: SimNode, shape: NodeShape, heartbeat: string): Node {
  return kubeletNodeObject({ name: n.name, labels: nodeLabels(n), podCidr: n.podCIDR, status: nodeStatus(n, shape, heartbeat) });
}
