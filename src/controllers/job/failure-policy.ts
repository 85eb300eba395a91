// Which rule of a Job's podFailurePolicy a failed pod matches (upstream matchPodFailurePolicy):
// rules in order; onExitCodes looks at terminated containers with a non-zero code (one named
// container or all), onPodConditions at the pod's conditions. The message is upstream's.
import type { Job, PodFailurePolicyRule } from 'kubernetes-types/batch/v1';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';

export type FailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface FailureMatch {
  action: FailureAction;
  /** For FailJob: the FailureTarget/Failed condition message. */
  message: string;
}

function exitCodeMatch(rule: PodFailurePolicyRule, pod: Pod): ContainerStatus | undefined {
  const req = rule.onExitCodes!;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.find((cs) => {
    if (req.containerName && cs.name !== req.containerName) return false;
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    const listed = req.values.includes(code);
    return req.operator === 'In' ? listed : !listed;
  });
}

/** The matching rule's action and message, or undefined when no rule matches (counted as usual). */
export function matchPodFailurePolicy(job: Job, pod: Pod): FailureMatch | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  const podName = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const action = rule.action as FailureAction;
    if (rule.onExitCodes) {
      const cs = exitCodeMatch(rule, pod);
      if (cs)
        return {
          action,
          message: `Container ${cs.name} for pod ${podName} failed with exit code ${cs.state!.terminated!.exitCode} matching ${action} rule at index ${i}`,
        };
    } else {
      for (const pattern of rule.onPodConditions ?? []) {
        if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === (pattern.status ?? 'True'))) {
          return { action, message: `Pod ${podName} has condition ${pattern.type} matching ${action} rule at index ${i}` };
        }
      }
    }
  }
  return undefined;
}
