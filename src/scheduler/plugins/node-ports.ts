// NodePorts: the host ports a pod asks for must be free on the node, where 0.0.0.0 conflicts with
// every address (upstream nodeports/node_ports.go).
import type { Pod } from 'kubernetes-types/core/v1';
import { HostPorts, podHostPorts, type NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import {
  QueueingHint,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PluginArgs,
  type PreFilterPlugin,
  type PreFilterResult,
} from '../framework/types.js';
import { checkArgs } from './helpers.js';

export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

const PRE_FILTER_STATE_KEY = 'PreFilterNodePorts';

type HostPort = ReturnType<typeof podHostPorts>[number];

/** Whether none of the wanted ports conflicts with the ports in use. */
export function fitsPorts(want: HostPort[], inUse: HostPorts): boolean {
  return !want.some((p) => inUse.conflicts(p.ip, p.protocol, p.port));
}

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  static readonly NAME = 'NodePorts';
  readonly name = NodePorts.NAME;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    checkArgs(NodePorts.NAME, args);
  }

  preFilter(state: CycleState, pod: Pod, _nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const ports = podHostPorts(pod);
    if (ports.length === 0) return { status: Status.skip() };
    state.write(PRE_FILTER_STATE_KEY, ports);
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const want = state.read<HostPort[]>(PRE_FILTER_STATE_KEY);
    if (!want) return Status.error(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    return fitsPorts(want, nodeInfo.usedPorts) ? Status.success() : Status.unschedulable(ERR_REASON);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // Container ports are immutable, so only deletions free ports.
      { event: { resource: 'Pod', actions: ['Delete'] }, hint: isSchedulableAfterPodDeleted },
      { event: { resource: 'Node', actions: ['Add'] } },
    ];
  }
}

/** A deleted pod helps only if it was placed (or nominated) and held a port this pod wants. */
function isSchedulableAfterPodDeleted(pod: Pod, oldObj: unknown): QueueingHint {
  const deleted = oldObj as Pod | undefined;
  if (!deleted) return QueueingHint.Queue;
  if (!deleted.spec?.nodeName && !deleted.status?.nominatedNodeName) return QueueingHint.Skip;
  const ports = podHostPorts(deleted);
  if (ports.length === 0) return QueueingHint.Skip;
  const freed = new HostPorts();
  for (const p of ports) freed.add(p.ip, p.protocol, p.port);
  return fitsPorts(podHostPorts(pod), freed) ? QueueingHint.Skip : QueueingHint.Queue;
}
