// What a kubelet says about its Node whatever runs the containers: the four conditions in its
// words (pkg/kubelet/nodestatus/setters.go: reasons and messages), the well-known labels and the
// annotations it registers the Node with. Each runtime decides the values (the agent from the
// machine and the CRI runtime, the simulator always healthy); the words are these.
import type { NodeCondition } from 'kubernetes-types/core/v1';

/** A node condition without its times: the reporter adds heartbeat and transition times. */
export type NodeConditionBody = Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>;

export interface NodePressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

export const NO_PRESSURE: NodePressure = { memory: false, disk: false, pid: false };

export const KUBELET_READY: NodeConditionBody = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' };

export function kubeletNotReady(message: string): NodeConditionBody {
  return { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message };
}

/** MemoryPressure, DiskPressure, PIDPressure, Ready: the kubelet's conditions in its order. */
export function nodeConditionBodies(pressure: NodePressure, ready: NodeConditionBody): NodeConditionBody[] {
  return [
    pressure.memory
      ? { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    pressure.disk
      ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    pressure.pid
      ? { type: 'PIDPressure', status: 'True', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' }
      : { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    ready,
  ];
}

/** The well-known labels a kubelet sets on its Node (arch in Go's names: amd64, arm64). */
export function wellKnownNodeLabels(nodeName: string, arch: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': 'linux',
  };
}

/** The annotations a kubelet registers its Node with. */
export function nodeAnnotations(): Record<string, string> {
  return {
    'node.alpha.kubernetes.io/ttl': '0',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
  };
}
