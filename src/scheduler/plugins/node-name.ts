// NodeName: a pod that names its node (spec.nodeName) fits only that node
// (upstream nodename/node_name.go).
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import {
  QueueingHint,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PluginArgs,
} from '../framework/types.js';
import { checkArgs } from './helpers.js';

export const ERR_REASON = "node(s) didn't match the requested node name";

/** Whether the pod may run on the node as far as spec.nodeName is concerned. */
export function fitsNodeName(pod: Pod, node: Node | undefined): boolean {
  const want = pod.spec?.nodeName;
  return !want || want === node?.metadata?.name;
}

export class NodeName implements FilterPlugin, EnqueueExtensions {
  static readonly NAME = 'NodeName';
  readonly name = NodeName.NAME;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    checkArgs(NodeName.NAME, args);
  }

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    return fitsNodeName(pod, nodeInfo.node) ? Status.success() : Status.unresolvable(ERR_REASON);
  }

  /** Only the named node appearing can help. */
  eventsToRegister(): ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actions: ['Add'] },
        hint: (pod, _old, newObj) => (fitsNodeName(pod, newObj as Node | undefined) ? QueueingHint.Queue : QueueingHint.Skip),
      },
    ];
  }
}
