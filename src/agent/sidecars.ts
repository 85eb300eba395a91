// Init containers and native sidecars (KEP-753) as upstream's kubelet drives them: which init
// containers to start in a sync (kuberuntime's computeInitContainerActions), and in which order
// a pod's containers stop (kuberuntime_termination_order.go). Pure: the pod worker runs them.
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import type { ContainerStatus } from '../runtime/index.js';
import { isRestartableInit } from '../kubelet/index.js';

export interface InitActions {
  /** Init containers to start (or restart, back-off permitting), in spec order. */
  start: string[];
  /** The pod has been initialized: its app containers may run. */
  initialized: boolean;
  /** A regular init container failed in a pod that never restarts: the pod is done. */
  failed: boolean;
}

/**
 * latest: the runtime's newest container of a name. started: whether a running sidecar passed
 * its startup probe (the next init container waits for that).
 *
 * Walked from the last init container back, as upstream does, because finished init containers
 * may have been garbage collected: the furthest one found tells how far initialization got. Once
 * an app container exists (created or running) the pod was initialized before: regular init
 * containers never run again, and a sidecar that exited is restarted beside the app containers
 * instead of holding them back.
 */
export function initContainerActions(
  spec: PodSpec,
  latest: (name: string) => ContainerStatus | undefined,
  started: (c: Container, s: ContainerStatus) => boolean,
): InitActions {
  const inits = spec.initContainers ?? [];
  let initialized = spec.containers.some((c) => {
    const s = latest(c.name);
    // Exited ones don't count: after a sandbox change every container has exited, and the new
    // sandbox must be initialized again.
    return s?.state === 'CONTAINER_CREATED' || s?.state === 'CONTAINER_RUNNING';
  });
  if (!inits.length) return { start: [], initialized: true, failed: false };
  let previouslyInitialized = initialized;
  const start: number[] = [];
  for (let i = inits.length - 1; i >= 0; i--) {
    const c = inits[i]!;
    const s = latest(c.name);
    const sidecar = isRestartableInit(c);
    if (!s) {
      if (previouslyInitialized && sidecar) start.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;
    switch (s.state) {
      case 'CONTAINER_CREATED':
        // Created but never started: a failed start, tried again.
        start.push(i);
        break;
      case 'CONTAINER_RUNNING':
        if (!sidecar || !started(c, s)) break;
        if (i === inits.length - 1) initialized = true;
        else if (!previouslyInitialized) start.push(i + 1);
        break;
      case 'CONTAINER_EXITED':
        if (sidecar) start.push(i);
        else if (s.exitCode !== 0) {
          if (spec.restartPolicy === 'Never') return { start: [], initialized: false, failed: true };
          start.push(i);
        } else if (i === inits.length - 1) initialized = true;
        else start.push(i + 1);
        break;
      default:
        if (!sidecar && spec.restartPolicy === 'Never') return { start: [], initialized: false, failed: true };
        start.push(i);
    }
    previouslyInitialized = true;
  }
  if (!previouslyInitialized) start.push(0);
  return { start: [...new Set(start)].sort((a, b) => a - b).map((i) => inits[i]!.name), initialized, failed: false };
}

/**
 * What each running container waits for before it is sent its stop signal: every sidecar waits
 * for all app containers and for the sidecar declared after it, so sidecars stop last, in
 * reverse order, while app containers (and regular init containers) stop at once. The wait is
 * bounded by the container's grace period; preStop hooks don't wait.
 */
export function terminationPrereqs(spec: PodSpec, running: string[]): Map<string, string[]> {
  const isRunning = new Set(running);
  const app = spec.containers.map((c) => c.name).filter((n) => isRunning.has(n));
  const out = new Map<string, string[]>();
  // Upstream chains each sidecar to the next one declared, running or not (one not running is
  // no wait at all).
  let next: string | undefined;
  for (const c of [...(spec.initContainers ?? [])].reverse()) {
    if (!isRestartableInit(c)) continue;
    if (isRunning.has(c.name)) out.set(c.name, [...app, ...(next && isRunning.has(next) ? [next] : [])]);
    next = c.name;
  }
  return out;
}
