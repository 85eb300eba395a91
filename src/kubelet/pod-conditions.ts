// The pod conditions a kubelet owns, generated as upstream's pkg/kubelet/status/generate.go
// does from the spec and the container statuses, with its exact reasons and messages; and the
// merge that keeps everyone else's conditions (PodScheduled, readiness gates) as they are.
import type { ContainerStatus, PodCondition, PodSpec } from 'kubernetes-types/core/v1';
import { isRestartableInit } from './pod-phase.js';

export const UNKNOWN_CONTAINER_STATUSES = 'UnknownContainerStatuses';
export const POD_COMPLETED = 'PodCompleted';
export const POD_FAILED = 'PodFailed';
export const CONTAINERS_NOT_READY = 'ContainersNotReady';
export const CONTAINERS_NOT_INITIALIZED = 'ContainersNotInitialized';
export const READINESS_GATES_NOT_READY = 'ReadinessGatesNotReady';

export const POD_READY_TO_START_CONTAINERS = 'PodReadyToStartContainers';
export const POD_INITIALIZED = 'Initialized';
export const POD_READY = 'Ready';
export const CONTAINERS_READY = 'ContainersReady';

/** The kubelet's conditions, in the order a kubelet lists them. */
export const KUBELET_CONDITIONS = [POD_READY_TO_START_CONTAINERS, POD_INITIALIZED, POD_READY, CONTAINERS_READY] as const;

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

/** Go's %s of a []string: [a b c]. */
const goList = (names: string[]) => `[${names.join(' ')}]`;

export function podReadyToStartContainersCondition(sandboxReady: boolean): Condition {
  return { type: POD_READY_TO_START_CONTAINERS, status: sandboxReady ? 'True' : 'False' };
}

export function initializedCondition(spec: PodSpec, initStatuses: ContainerStatus[], statuses: ContainerStatus[], phase: string): Condition {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of spec.initContainers ?? []) {
    const cs = initStatuses.find((s) => s.name === c.name);
    if (!cs) unknown.push(c.name);
    else if (isRestartableInit(c) ? !cs.started : cs.state?.terminated?.exitCode !== 0) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: POD_INITIALIZED, status: 'True', reason: POD_COMPLETED };
  // A regular container that has started means the pod was initialized before (sidecars may be restarting).
  if (statuses.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated)) return { type: POD_INITIALIZED, status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length) return { type: POD_INITIALIZED, status: 'False', reason: CONTAINERS_NOT_INITIALIZED, message: messages.join(', ') };
  return { type: POD_INITIALIZED, status: 'True' };
}

export function containersReadyCondition(spec: PodSpec, initStatuses: ContainerStatus[], statuses: ContainerStatus[], phase: string): Condition {
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string, list: ContainerStatus[]) => {
    const cs = list.find((s) => s.name === name);
    if (!cs) unknown.push(name);
    else if (!cs.ready) unready.push(name);
  };
  for (const c of spec.initContainers ?? []) if (isRestartableInit(c)) check(c.name, initStatuses);
  for (const c of spec.containers ?? []) check(c.name, statuses);
  if (phase === 'Succeeded' && unknown.length === 0) return { type: CONTAINERS_READY, status: 'False', reason: POD_COMPLETED };
  // Its containers may still be stopping: not ready, whatever they say.
  if (phase === 'Failed') return { type: CONTAINERS_READY, status: 'False', reason: POD_FAILED };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length) return { type: CONTAINERS_READY, status: 'False', reason: CONTAINERS_NOT_READY, message: messages.join(', ') };
  return { type: CONTAINERS_READY, status: 'True' };
}

/** Ready: ContainersReady, and every readiness gate's condition True in the pod's status. */
export function readyCondition(spec: PodSpec, containersReady: Condition, conditions: PodCondition[]): Condition {
  if (containersReady.status !== 'True') return { ...containersReady, type: POD_READY };
  const messages: string[] = [];
  for (const gate of spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length) return { type: POD_READY, status: 'False', reason: READINESS_GATES_NOT_READY, message: messages.join(', ') };
  return { type: POD_READY, status: 'True' };
}

/**
 * Everyone else's conditions as they were (PodScheduled, DisruptionTarget, readiness gates), then
 * the kubelet's in its order, as upstream's status manager merges them (mergePodStatus). A
 * condition whose status did not change keeps its lastTransitionTime; one that changed gets now.
 */
export function mergeConditions(existing: PodCondition[], generated: Condition[], now: string | (() => string)): PodCondition[] {
  // Formatted only when a condition changed (the simulator computes 150 000 pods' statuses).
  let at: string | undefined;
  const transition = () => (at ??= typeof now === 'string' ? now : now());
  const ours = new Set(generated.map((g) => g.type));
  const out: PodCondition[] = existing.filter((c) => !ours.has(c.type));
  for (const g of generated) {
    const old = existing.find((c) => c.type === g.type);
    const c: PodCondition = {
      type: g.type,
      status: g.status,
      lastTransitionTime: old && old.status === g.status && old.lastTransitionTime ? old.lastTransitionTime : transition(),
    };
    if (g.reason) c.reason = g.reason;
    if (g.message) c.message = g.message;
    out.push(c);
  }
  return out;
}
