// SchedulingGates keeps pods with spec.schedulingGates out of the active queue until every gate
// is removed (upstream schedulinggates/scheduling_gates.go).
import type { Pod } from 'kubernetes-types/core/v1';
import { Status } from '../framework/status.js';
import { QueueingHint, type ClusterEventWithHint, type EnqueueExtensions, type Handle, type PluginArgs, type PreEnqueuePlugin } from '../framework/types.js';
import { checkArgs, goStringSlice } from './helpers.js';

/** Prefix of the PreEnqueue message; the gate names follow as Go prints a []string. */
export const ERR_REASON_WAITING_FOR_GATES = 'waiting for scheduling gates';

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  static readonly NAME = 'SchedulingGates';
  readonly name = SchedulingGates.NAME;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    checkArgs(SchedulingGates.NAME, args);
  }

  preEnqueue(pod: Pod): Status {
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return Status.success();
    return Status.unresolvable(`${ERR_REASON_WAITING_FOR_GATES}: ${goStringSlice(gates.map((g) => g.name))}`);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'Pod', actions: ['UpdatePodSchedulingGatesEliminated'] }, hint: isSchedulableAfterPodChange }];
  }
}

/** Only an update of this very pod that leaves it without gates can let it in. */
function isSchedulableAfterPodChange(pod: Pod, _oldObj: unknown, newObj: unknown): QueueingHint {
  const modified = newObj as Pod | undefined;
  if (!modified || modified.metadata?.uid !== pod.metadata?.uid) return QueueingHint.Skip;
  return (modified.spec?.schedulingGates ?? []).length === 0 ? QueueingHint.Queue : QueueingHint.Skip;
}
