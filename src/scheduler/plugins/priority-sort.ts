// PrioritySort orders the scheduling queue: higher spec.priority first, and among equal
// priorities the pod queued earlier (upstream queuesort/priority_sort.go).
import type { Pod } from 'kubernetes-types/core/v1';
import type { ClusterEventWithHint, EnqueueExtensions, Handle, PluginArgs, QueuedPodInfo, QueueSortPlugin } from '../framework/types.js';
import { checkArgs } from './helpers.js';

/** A pod without a resolved priority counts as 0, as upstream's corev1.PodPriority. */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export class PrioritySort implements QueueSortPlugin, EnqueueExtensions {
  static readonly NAME = 'PrioritySort';
  readonly name = PrioritySort.NAME;

  constructor(args: PluginArgs | undefined, _handle?: Handle) {
    checkArgs(PrioritySort.NAME, args);
  }

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = podPriority(a.podInfo.pod);
    const pb = podPriority(b.podInfo.pod);
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }

  /** Sorting rejects nothing, so no event needs to requeue a pod on its account. */
  eventsToRegister(): ClusterEventWithHint[] {
    return [];
  }
}
