// A pod's status from what its runtime shows, as kubelet's generateAPIPodStatus computes it:
// container statuses (state, lastState, ready, started, restartCount, image, imageID,
// containerID), the phase (upstream getPhase), the kubelet-owned conditions, IPs, start time.
// Whatever runs the containers: the agent builds the view from CRI, the simulator from its plan.
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodSpec, PodStatus } from 'kubernetes-types/core/v1';
import { rfc3339 } from '../client/index.js';
import type { ContainerStatus } from '../runtime/index.js';
import { containersReadyCondition, initializedCondition, mergeConditions, podReadyToStartContainersCondition, readyCondition } from './pod-conditions.js';
import { isRestartableInit, podPhase } from './pod-phase.js';

/** Upstream's ContainerReasonStatusUnknown, for a container a terminated pod never got to run. */
export const CONTAINER_STATUS_UNKNOWN_REASON = 'ContainerStatusUnknown';
export const CONTAINER_STATUS_UNKNOWN_MESSAGE = 'The container could not be located when the pod was terminated';
/** SIGKILL's exit code, which upstream reports for such a container. */
const UNKNOWN_EXIT_CODE = 137;

/** What the agent knows of one container of the pod. */
export interface ContainerView {
  /** The runtime's newest container of this name. */
  latest?: ContainerStatus;
  /** The one before it (lastState). */
  previous?: ContainerStatus;
  /** Why it isn't running, when the agent knows better than the runtime (back-off, pull errors...). */
  waiting?: { reason: string; message?: string };
  /** Readiness probe result (true without a readiness probe once running). */
  ready: boolean;
  /** Startup probe result (true without a startup probe once running). */
  started: boolean;
}

export interface PodView {
  sandboxReady: boolean;
  podIPs: string[];
  hostIPs: string[];
  containers: Map<string, ContainerView>;
  /**
   * The pod is done for good (deleted, or finished with nothing to restart): its phase is final,
   * and a container not seen exited is reported so with an unknown outcome (upstream's TerminatePod).
   */
  terminal: boolean;
  /** e.g. "containerd" for containerID "containerd://..." ("sim" for the simulator's). */
  runtimeName: string;
}

const time = (ms: number) => rfc3339(new Date(ms));

function terminated(s: ContainerStatus, runtimeName: string): ContainerState {
  const reason = s.reason || (s.exitCode === 0 ? 'Completed' : 'Error');
  return {
    terminated: {
      exitCode: s.exitCode,
      reason,
      ...(s.message ? { message: s.message } : {}),
      startedAt: s.startedAtMs ? time(s.startedAtMs) : undefined,
      finishedAt: s.finishedAtMs ? time(s.finishedAtMs) : undefined,
      containerID: `${runtimeName}://${s.id}`,
    },
  };
}

function containerStatus(c: Container, v: ContainerView | undefined, defaultWaiting: string, runtimeName: string, regularInit = false): ApiContainerStatus {
  const latest = v?.latest;
  const base = { name: c.name, image: c.image ?? '', imageID: '', restartCount: 0, ready: false, started: false };
  if (!latest) {
    return {
      ...base,
      state: { waiting: { reason: v?.waiting?.reason ?? defaultWaiting, ...(v?.waiting?.message ? { message: v.waiting.message } : {}) } },
      lastState: {},
    };
  }
  const out: ApiContainerStatus = {
    ...base,
    image: latest.image && !latest.image.startsWith('sha256:') ? latest.image : (c.image ?? ''),
    imageID: latest.imageRef,
    containerID: `${runtimeName}://${latest.id}`,
    restartCount: latest.metadata.attempt,
    lastState: v.previous && v.previous.state === 'CONTAINER_EXITED' ? terminated(v.previous, runtimeName) : {},
    state: {},
  };
  switch (latest.state) {
    case 'CONTAINER_RUNNING':
      out.state = { running: { startedAt: time(latest.startedAtMs || latest.createdAtMs) } };
      // Upstream's prober manager: a regular init container is ready only once it has succeeded.
      out.ready = !regularInit && v.ready;
      out.started = v.started;
      break;
    case 'CONTAINER_EXITED':
      if (v.waiting) {
        // It will run again: waiting (CrashLoopBackOff...), with the exit as its last state.
        out.state = { waiting: { reason: v.waiting.reason, ...(v.waiting.message ? { message: v.waiting.message } : {}) } };
        out.lastState = terminated(latest, runtimeName);
      } else {
        out.state = terminated(latest, runtimeName);
        // Upstream's prober manager: a regular init container that succeeded is ready.
        out.ready = regularInit && latest.exitCode === 0;
      }
      break;
    default:
      out.state = { waiting: { reason: v.waiting?.reason ?? 'ContainerCreating', ...(v.waiting?.message ? { message: v.waiting.message } : {}) } };
  }
  return out;
}

/** Whether every regular init container has succeeded and every sidecar started. */
export function initialized(pod: Pod, statuses: ApiContainerStatus[]): { done: boolean; pending: string[] } {
  const pending: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    const ok = isRestartableInit(c) ? !!s?.started : s?.state?.terminated?.exitCode === 0;
    if (!ok) pending.push(c.name);
  }
  return { done: pending.length === 0, pending };
}

/** A container of a terminated pod not seen exited: its exit is unknown, reported as upstream does. */
function exitUnknown(s: ApiContainerStatus): ApiContainerStatus {
  if (s.state?.terminated) return s;
  return {
    ...s,
    ready: false,
    started: false,
    state: { terminated: { exitCode: UNKNOWN_EXIT_CODE, reason: CONTAINER_STATUS_UNKNOWN_REASON, message: CONTAINER_STATUS_UNKNOWN_MESSAGE } },
  };
}

const leftWaiting = (s: ApiContainerStatus) => !s.state?.waiting || !!s.lastState?.terminated;

/**
 * A terminal pod's containers, as upstream's status manager settles them (TerminatePod): once the
 * pod has initialized, every app container not exited is reported exited with an unknown outcome,
 * so a pod whose containers cannot be found is never called successful; of the init containers,
 * those up to the last one that ever left waiting (at least the first) are, the rest stay waiting.
 */
function settleTerminated(spec: PodSpec, init: ApiContainerStatus[], app: ApiContainerStatus[]): [ApiContainerStatus[], ApiContainerStatus[]] {
  const last = init[init.length - 1];
  const initializedOnce =
    !spec.initContainers?.length || app.some(leftWaiting) || last?.state?.terminated?.exitCode === 0 || last?.lastState?.terminated?.exitCode === 0;
  let tried = init.length ? 1 : 0;
  for (let i = init.length - 1; i >= 0; i--) {
    if (leftWaiting(init[i]!)) {
      tried = i + 1;
      break;
    }
  }
  return [init.map((s, i) => (i < tried ? exitUnknown(s) : s)), initializedOnce ? app.map(exitUnknown) : app];
}

export function computePodStatus(pod: Pod, view: PodView, now = Date.now()): PodStatus {
  const spec = pod.spec!;
  const old = pod.status ?? {};
  let init = (spec.initContainers ?? []).map((c) =>
    containerStatus(c, view.containers.get(c.name), 'PodInitializing', view.runtimeName, !isRestartableInit(c)),
  );
  const initState = initialized(pod, init);
  let app = spec.containers.map((c) =>
    containerStatus(c, view.containers.get(c.name), initState.done ? 'ContainerCreating' : 'PodInitializing', view.runtimeName),
  );
  if (view.terminal) [init, app] = settleTerminated(spec, init, app);
  let phase = podPhase(pod, init, app, view.terminal);
  // A pod that reached a final phase never leaves it.
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;

  const containersReady = containersReadyCondition(spec, init, app, phase);
  const generated = [
    podReadyToStartContainersCondition(view.sandboxReady),
    initializedCondition(spec, init, app, phase),
    readyCondition(spec, containersReady, old.conditions ?? []),
    containersReady,
  ];

  const status: PodStatus = {
    ...old,
    phase,
    conditions: mergeConditions(old.conditions ?? [], generated, () => rfc3339(new Date(now))),
    hostIP: view.hostIPs[0],
    hostIPs: view.hostIPs.map((ip) => ({ ip })),
    startTime: old.startTime ?? rfc3339(new Date(now)),
    containerStatuses: app,
  };
  if (init.length) status.initContainerStatuses = init;
  else delete (status as { initContainerStatuses?: unknown }).initContainerStatuses;
  if (view.podIPs.length) {
    status.podIP = view.podIPs[0];
    status.podIPs = view.podIPs.map((ip) => ({ ip }));
  }
  return status;
}
