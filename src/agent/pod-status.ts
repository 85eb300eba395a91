// A pod's status from what the runtime shows, as kubelet's generateAPIPodStatus computes it:
// container statuses (state, lastState, ready, started, restartCount, image, imageID,
// containerID), the phase (upstream getPhase), the kubelet-owned conditions, IPs, start time.
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import { rfc3339 } from '../client/index.js';
import type { ContainerStatus } from '../runtime/index.js';
import {
  KUBELET_CONDITIONS,
  containersReadyCondition,
  initializedCondition,
  isRestartableInit,
  podPhase,
  readyCondition,
  type Condition,
} from '../kubelet/index.js';

const KUBELET_CONDITION_TYPES = new Set<string>(KUBELET_CONDITIONS);

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
  /** The pod is done for good (deleted, or finished with nothing to restart): its phase is final. */
  terminal: boolean;
  /** e.g. "containerd" for containerID "containerd://...". */
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
      out.ready = v.ready;
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

const asPodCondition = (c: Condition): PodCondition => ({
  type: c.type,
  status: c.status,
  ...(c.reason ? { reason: c.reason } : {}),
  ...(c.message ? { message: c.message } : {}),
});

export function computePodStatus(pod: Pod, view: PodView, now = Date.now()): PodStatus {
  const spec = pod.spec!;
  const old = pod.status ?? {};
  const init = (spec.initContainers ?? []).map((c) =>
    containerStatus(c, view.containers.get(c.name), 'PodInitializing', view.runtimeName, !isRestartableInit(c)),
  );
  const initState = initialized(pod, init);
  const app = spec.containers.map((c) =>
    containerStatus(c, view.containers.get(c.name), initState.done ? 'ContainerCreating' : 'PodInitializing', view.runtimeName),
  );
  let phase = podPhase(pod, init, app, view.terminal);
  // A pod that reached a final phase never leaves it.
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;

  const containersReady = containersReadyCondition(spec, init, app, phase);
  const conditions: PodCondition[] = [
    asPodCondition({ type: 'PodReadyToStartContainers', status: view.sandboxReady ? 'True' : 'False' }),
    asPodCondition(initializedCondition(spec, init, app, phase)),
    asPodCondition(readyCondition(spec, containersReady, old.conditions ?? [])),
    asPodCondition(containersReady),
  ];

  // Conditions others own (PodScheduled, DisruptionTarget, readiness gates) stay as they are.
  const merged = [...(old.conditions ?? []).filter((c) => !KUBELET_CONDITION_TYPES.has(c.type)), ...conditions];
  for (const c of merged) {
    if (!KUBELET_CONDITION_TYPES.has(c.type)) continue;
    const prev = old.conditions?.find((o) => o.type === c.type);
    (c as { lastTransitionTime?: string }).lastTransitionTime =
      prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(new Date(now));
  }

  const status: PodStatus = {
    ...old,
    phase,
    conditions: merged,
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
