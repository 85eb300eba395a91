// What a pod's restartPolicy says about its containers: which exits are restarted, and when a
// pod is done for good (kubelet's ShouldContainerBeRestarted and the terminal-phase rule).
import type { Pod } from 'kubernetes-types/core/v1';
import type { ContainerStatus } from '../runtime/index.js';
import { isRestartableInit } from '../kubelet/index.js';

export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

/**
 * Whether nothing of the pod will run again: every app container exited and none restarts, or
 * an init container failed in a pod that never restarts. byName: the runtime's containers by
 * name, newest first.
 */
export function allDone(pod: Pod, byName: Map<string, ContainerStatus[]>): boolean {
  const spec = pod.spec!;
  for (const c of spec.initContainers ?? []) {
    if (isRestartableInit(c)) continue;
    const latest = byName.get(c.name)?.[0];
    if (latest?.state === 'CONTAINER_EXITED' && latest.exitCode !== 0 && spec.restartPolicy === 'Never') return true;
  }
  if (spec.restartPolicy === 'Always') return false;
  return spec.containers.every((c) => {
    const latest = byName.get(c.name)?.[0];
    return latest?.state === 'CONTAINER_EXITED' && !shouldRestart(spec.restartPolicy, latest.exitCode);
  });
}

/** Go's time.Duration formatting for whole seconds and minutes: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${s % 60}s`;
}
