// NodeUnschedulable filters out cordoned nodes (spec.unschedulable) unless the pod tolerates the
// node.kubernetes.io/unschedulable:NoSchedule taint (upstream nodeunschedulable/node_unschedulable.go).
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
import { checkArgs, TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from './helpers.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

export function toleratesUnschedulable(pod: Pod): boolean {
  return tolerationsTolerateTaint(pod.spec?.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
}

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  static readonly NAME = 'NodeUnschedulable';
  readonly name = NodeUnschedulable.NAME;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    checkArgs(NodeUnschedulable.NAME, args);
  }

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    if (!nodeInfo.unschedulable) return Status.success();
    return toleratesUnschedulable(pod) ? Status.success() : Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // An uncordon is reported as a taint update, as upstream does.
      { event: { resource: 'Node', actions: ['Add', 'UpdateNodeTaint'] }, hint: isSchedulableAfterNodeChange },
      { event: { resource: 'Pod', actions: ['UpdatePodTolerations'] }, hint: isSchedulableAfterPodTolerationChange },
    ];
  }
}

function isSchedulableAfterNodeChange(_pod: Pod, oldObj: unknown, newObj: unknown): QueueingHint {
  const original = oldObj as Node | undefined;
  const modified = newObj as Node | undefined;
  const wasSchedulable = original ? !original.spec?.unschedulable : false;
  const isSchedulable = modified ? !modified.spec?.unschedulable : false;
  return !wasSchedulable && isSchedulable ? QueueingHint.Queue : QueueingHint.Skip;
}

function isSchedulableAfterPodTolerationChange(pod: Pod, _oldObj: unknown, newObj: unknown): QueueingHint {
  const modified = newObj as Pod | undefined;
  if (!modified || modified.metadata?.uid !== pod.metadata?.uid) return QueueingHint.Skip;
  return toleratesUnschedulable(modified) ? QueueingHint.Queue : QueueingHint.Skip;
}
