// What the scheduler writes back about pods, as upstream does: the PodScheduled=False condition
// and FailedScheduling event for a pod that does not fit, the Scheduled event after binding,
// status.nominatedNodeName after a preemption, and the victims' DisruptionTarget + deletion.
// Writes are fire-and-forget from the scheduling loop's point of view; failures are logged.
import type { Pod } from 'kubernetes-types/core/v1';
import { isNotFound, resources, rfc3339, type RestClient } from '../client/index.js';

export interface EventSink {
  /** Records an Event about the pod (type Normal or Warning). */
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, action?: string): void;
}

const now = () => rfc3339();
const ref = (pod: Pod) => ({ ...resources.pods, namespace: pod.metadata!.namespace!, name: pod.metadata!.name! });

export class PodStatusWriter {
  /** The last condition message written per pod, so a repeated failure writes nothing. */
  private readonly lastMessage = new Map<string, string>();

  constructor(
    private readonly client: RestClient,
    private readonly events: EventSink,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  recordFailure(pod: Pod, message: string, reason: 'Unschedulable' | 'SchedulerError', nominatedNodeName?: string): void {
    this.events.event(pod, 'Warning', 'FailedScheduling', message, 'Scheduling');
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const unchanged = current?.status === 'False' && current.reason === reason && current.message === message;
    const nominationUnchanged = (nominatedNodeName ?? '') === (pod.status?.nominatedNodeName ?? '') || nominatedNodeName === undefined;
    if ((unchanged || this.lastMessage.get(key) === `${reason}\0${message}`) && nominationUnchanged) return;
    this.lastMessage.set(key, `${reason}\0${message}`);
    const status: Record<string, unknown> = {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason,
          message,
          lastProbeTime: null,
          lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : now(),
        },
      ],
    };
    if (nominatedNodeName !== undefined) status.nominatedNodeName = nominatedNodeName;
    this.patchStatus(pod, { status });
  }

  recordScheduled(pod: Pod, node: string): void {
    this.lastMessage.delete(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
    this.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata?.namespace}/${pod.metadata?.name} to ${node}`, 'Binding');
  }

  async setNominatedNode(pod: Pod, node: string | undefined): Promise<void> {
    await this.patchStatusNow(pod, { status: { nominatedNodeName: node ?? null } });
  }

  /** Upstream's victim handling: DisruptionTarget condition first, then a graceful delete. */
  async evictVictim(victim: Pod, preemptor: Pod, node: string, profile: string): Promise<void> {
    await this.patchStatusNow(victim, {
      status: {
        conditions: [
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'PreemptionByScheduler',
            message: `${profile}: preempting to accommodate a higher priority pod`,
            lastTransitionTime: now(),
          },
        ],
      },
    });
    try {
      await this.client.delete(ref(victim), { preconditions: { uid: victim.metadata?.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.events.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid} on node ${node}`, 'Preempting');
  }

  private patchStatus(pod: Pod, patch: unknown): void {
    this.patchStatusNow(pod, patch).catch((e) => this.log(`updating status of pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(e as Error).message}`));
  }

  private async patchStatusNow(pod: Pod, patch: unknown): Promise<void> {
    try {
      await this.client.patch({ ...ref(pod), subresource: 'status' }, patch, 'strategic');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
