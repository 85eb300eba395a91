// A pod's phase from its container statuses, as upstream's kubelet computes it (getPhase in
// pkg/kubelet/kubelet_pods.go), whatever runs the containers; and which init containers are
// sidecars (restartPolicy Always: they start in order and keep running beside the app).
import type { Container, ContainerStatus as ApiContainerStatus, Pod } from 'kubernetes-types/core/v1';

export function isRestartableInit(c: Pick<Container, 'restartPolicy'>): boolean {
  return c.restartPolicy === 'Always';
}

/**
 * Upstream's getPhase. Sidecars count as running containers (a Job-like pod whose app exited is
 * still Running until its sidecars are stopped), but a sidecar's exit never decides the phase;
 * one not started yet holds the pod Pending only until the pod has initialized (podHasInitialized:
 * a regular container has run).
 */
export function podPhase(
  pod: Pod,
  init: ApiContainerStatus[],
  app: ApiContainerStatus[],
  podIsTerminal: boolean,
  podHasInitialized = anyRegularStarted(app),
): string {
  const spec = pod.spec!;
  let pendingRegularInit = 0;
  let pendingSidecars = 0;
  let failedInitialization = 0;
  for (const c of spec.initContainers ?? []) {
    if (isRestartableInit(c)) continue;
    const s = init.find((x) => x.name === c.name);
    if (!s) {
      pendingRegularInit++;
      continue;
    }
    if (s.state?.running) pendingRegularInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
      } else pendingRegularInit++;
    } else pendingRegularInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    if (!isRestartableInit(c)) continue;
    const s = init.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) {
      if (!s.started) pendingSidecars++;
      running++;
    } else if (s.state?.terminated) {
      // a stopped sidecar says nothing about the pod's outcome
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingSidecars++;
        waiting++;
      }
    } else {
      pendingSidecars++;
      unknown++;
    }
  }
  for (const c of spec.containers) {
    const s = app.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInitialization > 0 && spec.restartPolicy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingSidecars > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (spec.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (spec.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Whether a regular container has run in the pod (it was initialized then, even if a sidecar restarts now). */
function anyRegularStarted(app: ApiContainerStatus[]): boolean {
  return app.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
}
