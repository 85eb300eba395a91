// The simulated runtime. From a pod's spec, annotations, the status it last reported and the
// time, it works out what a container runtime would show now: the sandbox gets an address,
// init containers run one after another (sidecars start and stay), app containers start, turn
// Ready (unless their readiness probe is told to fail), exit when told to, restart with the
// kubelet's back-off, and the pod ends when nothing will run again. The kubelet core turns that
// view into the status (computePodStatus, as for the agent's pods: phase, conditions, container
// statuses). The status is the state: every transition time is derived from the timestamps in it
// (and from a memo of the exact times this process wrote, since timestamps keep only seconds), so
// computing at any moment gives the same answer however many steps were skipped in between.
import type { Container, ContainerStateTerminated, ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { rfc3339 } from '../client/index.js';
import { formatGoDuration, parseGoDuration } from './duration.js';
import { containerIdOf, imageIdOf, normalizeImage } from './images.js';
import type { ContainerStatus as CriContainerStatus } from '../runtime/index.js';
import {
  CONTAINER_STATUS_UNKNOWN_MESSAGE,
  CONTAINER_STATUS_UNKNOWN_REASON,
  computePodStatus,
  isRestartableInit,
  restartBackoffMs,
  type ContainerView,
} from '../kubelet/index.js';

/** A Go duration after which every app container exits (measured from each container's start). */
export const EXIT_AFTER_ANNOTATION = 'sim.berth.dev/exit-after';
/** The exit code of those exits (default 0). */
export const EXIT_CODE_ANNOTATION = 'sim.berth.dev/exit-code';
/** Containers (names, comma-separated) whose readiness probe fails: they run but never turn Ready. */
export const READINESS_FAILS_ANNOTATION = 'sim.berth.dev/readiness-fails';

export const DEADLINE_EXCEEDED_REASON = 'DeadlineExceeded';
export const DEADLINE_EXCEEDED_MESSAGE = 'Pod was active on the node longer than the specified deadline';
/** The runtime name in the simulated containers' IDs (sim://...), as "containerd" in the agent's. */
const SIM_RUNTIME = 'sim';

/** SIGKILL. */
const KILLED_EXIT_CODE = 137;
/** Transitions computed in one call at most (a crash loop long in the past is finite, but never spin). */
const MAX_STEPS = 1000;

export interface LifecycleOptions {
  /** How long a container takes to start, and how long an init container runs. */
  startDelayMs: number;
  /** Multiplies the CrashLoopBackOff waits (1: upstream's 10 s doubling to 5 min). */
  backoffScale: number;
}

export const DEFAULT_LIFECYCLE: LifecycleOptions = { startDelayMs: 0, backoffScale: 1 };

/**
 * Exact times behind the whole-second timestamps this process wrote, by where they were
 * written. A timestamp someone else wrote (or one from before a restart) reads as itself.
 */
export class TimeMemo {
  private readonly exact = new Map<string, number>();

  read(path: string, stamp: string | null | undefined): number | undefined {
    if (!stamp) return undefined;
    const t = Date.parse(stamp);
    if (Number.isNaN(t)) return undefined;
    // Ours when it is the whole second our exact time was written as (compared without formatting: hot).
    const ms = this.exact.get(path);
    return ms !== undefined && Math.floor(ms / 1000) * 1000 === t ? ms : t;
  }

  write(path: string, ms: number): string {
    this.remember(path, ms);
    return rfc3339(new Date(ms));
  }

  /** The exact time behind a timestamp written elsewhere (the kubelet core formats the status). */
  remember(path: string, ms: number): void {
    this.exact.set(path, ms);
  }
}

export interface PodEnv {
  now: number;
  /** The node's InternalIP. */
  hostIP: string;
  /** The sandbox's address; absent when none could be had (the pod then waits in ContainerCreating). */
  podIP?: string;
  memo: TimeMemo;
}

export interface PodStep {
  status: PodStatus;
  /** When the status next changes by itself (a container starts, exits, restarts, turns ready). */
  wakeAt?: number;
  /** Succeeded or Failed: nothing runs any more and the pod's address may be reused. */
  terminal: boolean;
}

interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: number;
  finishedAt?: number;
  containerID?: string;
}

type State = { kind: 'waiting'; reason: string; message?: string } | { kind: 'running'; startedAt: number } | ({ kind: 'terminated' } & Terminated);

/** One container as the runtime knows it: its current state, its last exit, how often it restarted. */
interface Run {
  state: State;
  last?: Terminated;
  restartCount: number;
}

interface Simulation {
  start: number;
  /** The moment the containers were looked at: now, or the deadline when that came first. */
  at: number;
  sandboxReady: boolean;
  init: Run[];
  apps: Run[];
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  reason?: string;
  message?: string;
  wake?: number;
}

const waiting = (reason: string, message?: string): State => ({ kind: 'waiting', reason, message });
const isTerminalPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed';

/** The status a kubelet would report for the pod now. A pod already Succeeded or Failed stays as it is. */
export function nextPodStatus(pod: Pod, env: PodEnv, opts: LifecycleOptions = DEFAULT_LIFECYCLE): PodStep {
  const old = pod.status ?? {};
  if (isTerminalPhase(old.phase)) return { status: old, terminal: true };
  const sim = simulate(pod, env, opts);
  return { status: render(pod, env, sim), wakeAt: sim.wake, terminal: isTerminalPhase(sim.phase) };
}

/**
 * The status of a pod being deleted once its containers are stopped (they exit cleanly, as
 * processes handling SIGTERM do): terminal, with every container terminated.
 */
export function stoppedPodStatus(pod: Pod, env: PodEnv, opts: LifecycleOptions = DEFAULT_LIFECYCLE): PodStatus {
  const old = pod.status ?? {};
  if (isTerminalPhase(old.phase)) return old;
  const sim = simulate(pod, env, opts);
  if (!isTerminalPhase(sim.phase)) {
    stopAll(sim, env.now, 0);
    sim.phase = sim.apps.every((r) => r.state.kind === 'terminated' && r.state.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  sim.wake = undefined;
  return render(pod, env, sim);
}

function simulate(pod: Pod, env: PodEnv, opts: LifecycleOptions): Simulation {
  const spec = pod.spec!;
  const old = pod.status ?? {};
  const { memo } = env;
  const start = memo.read('start', old.startTime) ?? env.now;
  const ads = spec.activeDeadlineSeconds;
  const deadline = ads !== undefined && ads > 0 ? start + ads * 1000 : undefined;
  // Containers are followed up to the deadline; past it the pod is killed as it stood then.
  const at = deadline !== undefined ? Math.min(env.now, deadline) : env.now;
  const sim: Simulation = { start, at, sandboxReady: env.podIP !== undefined, init: [], apps: [], phase: 'Pending' };
  const wakeAt = (t: number | undefined) => {
    if (t !== undefined && t > at && (sim.wake === undefined || t < sim.wake)) sim.wake = t;
  };
  const d = Math.max(0, opts.startDelayMs);

  // Init containers, in order: each begins when the one before completed (a sidecar: started).
  const initContainers = spec.initContainers ?? [];
  let cursor = start;
  let initDone = sim.sandboxReady;
  for (const c of initContainers) {
    const prev = readRun(find(old.initContainerStatuses, c.name), `i/${c.name}`, memo, at);
    if (!initDone) {
      sim.init.push(prev ?? { state: waiting('PodInitializing'), restartCount: 0 });
      continue;
    }
    let run = prev ?? { state: waiting('PodInitializing'), restartCount: 0 };
    if (run.state.kind === 'waiting') {
      const startAt = cursor + d;
      if (at < startAt) {
        sim.init.push({ ...run, state: waiting('PodInitializing') });
        wakeAt(startAt);
        initDone = false;
        continue;
      }
      run = { ...run, state: { kind: 'running', startedAt: startAt } };
    }
    if (isRestartableInit(c)) {
      if (run.state.kind === 'running') {
        cursor = run.state.startedAt;
        wakeAt(run.state.startedAt + readinessDelay(c));
      }
      sim.init.push(run);
      continue;
    }
    if (run.state.kind === 'running') {
      const finishAt = run.state.startedAt + d;
      if (at < finishAt) {
        sim.init.push(run);
        wakeAt(finishAt);
        initDone = false;
        continue;
      }
      run = {
        ...run,
        state: {
          kind: 'terminated',
          exitCode: 0,
          reason: 'Completed',
          startedAt: run.state.startedAt,
          finishedAt: finishAt,
          containerID: containerIdOf(pod.metadata?.uid ?? '', c.name, run.restartCount),
        },
      };
    }
    sim.init.push(run);
    if (run.state.kind === 'terminated' && run.state.exitCode === 0) cursor = run.state.finishedAt ?? cursor;
    else initDone = false; // an init container that failed (not something this simulator does): stuck, as Init:Error
  }

  // App containers: all begin once initialization is done.
  const exit = exitPlan(pod);
  const policy = spec.restartPolicy ?? 'Always';
  for (const c of spec.containers ?? []) {
    const prev = readRun(find(old.containerStatuses, c.name), `c/${c.name}`, memo, at);
    if (!initDone) {
      sim.apps.push(prev ?? { state: waiting(initContainers.length ? 'PodInitializing' : 'ContainerCreating'), restartCount: 0 });
      continue;
    }
    const run = advanceApp(pod, c, prev, cursor, at, d, policy, exit, opts.backoffScale, wakeAt);
    sim.apps.push(run);
  }

  const allStopped = initDone && sim.apps.every((r) => r.state.kind === 'terminated');
  if (allStopped && policy !== 'Always') {
    // Every app container finished for good: the pod is done; its sidecars are stopped then.
    const end = Math.max(...sim.apps.map((r) => (r.state.kind === 'terminated' ? (r.state.finishedAt ?? at) : at)));
    stopAll(sim, end, 0, true);
    sim.phase = sim.apps.every((r) => r.state.kind === 'terminated' && r.state.exitCode === 0) ? 'Succeeded' : 'Failed';
    sim.wake = undefined;
  } else if (deadline !== undefined && env.now >= deadline) {
    stopAll(sim, deadline, KILLED_EXIT_CODE);
    sim.phase = 'Failed';
    sim.reason = DEADLINE_EXCEEDED_REASON;
    sim.message = DEADLINE_EXCEEDED_MESSAGE;
    sim.wake = undefined;
  } else {
    wakeAt(deadline);
    if (!initDone) sim.phase = 'Pending';
    else if (sim.apps.some((r) => r.state.kind === 'running')) sim.phase = 'Running';
    else if (sim.apps.every((r) => r.state.kind === 'waiting' && !r.last)) sim.phase = 'Pending';
    else sim.phase = 'Running';
  }
  return sim;
}

interface ExitPlan {
  afterMs?: number;
  code: number;
}

function exitPlan(pod: Pod): ExitPlan {
  const ann = pod.metadata?.annotations ?? {};
  const after = ann[EXIT_AFTER_ANNOTATION] !== undefined ? parseGoDuration(ann[EXIT_AFTER_ANNOTATION]) : undefined;
  const code = Number(ann[EXIT_CODE_ANNOTATION] ?? 0);
  return { afterMs: after !== undefined && after >= 0 ? after : undefined, code: Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1 };
}

function advanceApp(
  pod: Pod,
  c: Container,
  prev: Run | undefined,
  beginAt: number,
  at: number,
  d: number,
  policy: string,
  exit: ExitPlan,
  backoffScale: number,
  wakeAt: (t: number | undefined) => void,
): Run {
  const uid = pod.metadata?.uid ?? '';
  let run: Run = prev ?? { state: waiting('ContainerCreating'), restartCount: 0 };
  for (let step = 0; step < MAX_STEPS; step++) {
    const s = run.state;
    if (s.kind === 'waiting') {
      if (run.last) {
        const delay = restartBackoffMs(run.restartCount, backoffScale);
        const restartAt = (run.last.finishedAt ?? at) + delay;
        if (at < restartAt) {
          wakeAt(restartAt);
          const message = `back-off ${formatGoDuration(delay)} restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`;
          return { ...run, state: waiting('CrashLoopBackOff', message) };
        }
        run = { ...run, state: { kind: 'running', startedAt: restartAt }, restartCount: run.restartCount + 1 };
      } else {
        const startAt = beginAt + d;
        if (at < startAt) {
          wakeAt(startAt);
          return { ...run, state: waiting('ContainerCreating') };
        }
        run = { ...run, state: { kind: 'running', startedAt: startAt } };
      }
      continue;
    }
    if (s.kind === 'running') {
      wakeAt(s.startedAt + readinessDelay(c));
      if (exit.afterMs === undefined) return run;
      const exitAt = s.startedAt + exit.afterMs;
      if (at < exitAt) {
        wakeAt(exitAt);
        return run;
      }
      const containerID = containerIdOf(uid, c.name, run.restartCount);
      run = {
        ...run,
        state: {
          kind: 'terminated',
          exitCode: exit.code,
          reason: exit.code === 0 ? 'Completed' : 'Error',
          startedAt: s.startedAt,
          finishedAt: exitAt,
          containerID,
        },
      };
      continue;
    }
    const restart = policy === 'Always' || (policy === 'OnFailure' && s.exitCode !== 0);
    if (!restart) return run;
    const { kind: _, ...last } = s;
    // Into back-off: the next loop restarts it at once the first time, later after the wait.
    run = { ...run, state: waiting('CrashLoopBackOff'), last };
  }
  wakeAt(at + 1000);
  return run;
}

/**
 * Stops every container still alive at time t: running ones exit with exitCode (0: Completed,
 * else Error); one never started is reported as upstream does for containers it cannot find;
 * one in back-off keeps its last exit as its state. onlySidecars: the pod's end stops sidecars.
 */
function stopAll(sim: Simulation, t: number, exitCode: number, onlySidecars = false): void {
  const stop = (run: Run, sidecar: boolean): Run => {
    if (onlySidecars && !sidecar) return run;
    const s = run.state;
    if (s.kind === 'running') {
      return {
        ...run,
        state: { kind: 'terminated', exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: s.startedAt, finishedAt: Math.max(t, s.startedAt) },
      };
    }
    if (s.kind === 'waiting') {
      if (run.last) return { ...run, state: { kind: 'terminated', ...run.last }, last: undefined };
      return {
        ...run,
        state: { kind: 'terminated', exitCode: KILLED_EXIT_CODE, reason: CONTAINER_STATUS_UNKNOWN_REASON, message: CONTAINER_STATUS_UNKNOWN_MESSAGE },
      };
    }
    return run;
  };
  sim.init = sim.init.map((r) => (r.state.kind === 'running' ? stop(r, true) : onlySidecars ? r : stop(r, false)));
  sim.apps = sim.apps.map((r) => stop(r, false));
}

/**
 * The status, computed by the kubelet core from what this simulated runtime shows (the same
 * computation as the agent's over CRI): the containers as a runtime would list them.
 */
function render(pod: Pod, env: PodEnv, sim: Simulation): PodStatus {
  const spec = pod.spec!;
  const uid = pod.metadata?.uid ?? '';
  const terminal = isTerminalPhase(sim.phase);
  const containers = new Map<string, ContainerView>();
  const failing = failingReadiness(pod);
  const add = (c: Container, run: Run, path: string, init: boolean) => {
    rememberTimes(run, path, env.memo);
    containers.set(c.name, containerView(c, run, uid, isReady(c, run, sim.at, init, failing)));
  };
  (spec.initContainers ?? []).forEach((c, i) => add(c, sim.init[i]!, `i/${c.name}`, true));
  (spec.containers ?? []).forEach((c, i) => add(c, sim.apps[i]!, `c/${c.name}`, false));
  const status = computePodStatus(
    pod,
    {
      sandboxReady: sim.sandboxReady && !terminal,
      podIPs: env.podIP !== undefined ? [env.podIP] : [],
      hostIPs: [env.hostIP],
      containers,
      terminal,
      runtimeName: SIM_RUNTIME,
    },
    env.now,
  );
  // The core wrote startTime as the pod's first status did (or now, the start): its exact time is kept.
  env.memo.remember('start', sim.start);
  if (sim.reason) {
    status.reason = sim.reason;
    status.message = sim.message;
  }
  return status;
}

/**
 * What a runtime would list for the container: its newest run (running, exited, or the exit a
 * back-off waits after) and the run before it, IDs and image as a runtime gives them. A container
 * that never ran has none; why it waits is the simulator's, as the agent's worker says its own.
 */
function containerView(c: Container, run: Run, uid: string, ready: boolean): ContainerView {
  const image = normalizeImage(c.image ?? '');
  const exited = (t: Terminated, attempt: number) => criContainer(c.name, 'CONTAINER_EXITED', attempt, uid, image, t);
  const s = run.state;
  if (s.kind === 'running') {
    const latest = criContainer(c.name, 'CONTAINER_RUNNING', run.restartCount, uid, image, { startedAt: s.startedAt });
    return { latest, previous: run.last && exited(run.last, run.restartCount - 1), ready, started: true };
  }
  if (s.kind === 'terminated') {
    // Never ran: a terminated pod's container it did not get to (the status says it).
    if (s.reason === CONTAINER_STATUS_UNKNOWN_REASON && !s.containerID) return { ready: false, started: false };
    return { latest: exited(s, run.restartCount), previous: run.last && exited(run.last, run.restartCount - 1), ready, started: false };
  }
  const waiting = { reason: s.reason, ...(s.message ? { message: s.message } : {}) };
  return { latest: run.last && exited(run.last, run.restartCount), waiting, ready: false, started: false };
}

function criContainer(
  name: string,
  state: 'CONTAINER_RUNNING' | 'CONTAINER_EXITED',
  attempt: number,
  uid: string,
  image: string,
  t: Partial<Terminated>,
): CriContainerStatus {
  const id = (t.containerID ?? containerIdOf(uid, name, attempt)).replace(/^sim:\/\//, '');
  return {
    id,
    metadata: { name, attempt },
    state,
    createdAtMs: t.startedAt ?? 0,
    startedAtMs: t.startedAt ?? 0,
    finishedAtMs: t.finishedAt ?? 0,
    exitCode: t.exitCode ?? 0,
    image,
    imageRef: imageIdOf(image),
    reason: t.reason ?? '',
    message: t.message ?? '',
    labels: {},
    annotations: {},
    logPath: '',
  };
}

/** The exact times behind the whole-second timestamps the status is about to carry. */
function rememberTimes(run: Run, path: string, memo: TimeMemo): void {
  const s = run.state;
  if (s.kind === 'running') memo.remember(`${path}/started`, s.startedAt);
  else if (s.kind === 'terminated') rememberTerminated(s, path, memo);
  // A back-off's exit is shown as lastState.
  if (run.last) rememberTerminated(run.last, `${path}/last`, memo);
}

function rememberTerminated(t: Terminated, path: string, memo: TimeMemo): void {
  if (t.startedAt !== undefined) memo.remember(`${path}/s`, t.startedAt);
  if (t.finishedAt !== undefined) memo.remember(`${path}/f`, t.finishedAt);
}

function isReady(c: Container, run: Run, at: number, init: boolean, failing: ReadonlySet<string>): boolean {
  const s = run.state;
  if (init && !isRestartableInit(c)) return s.kind === 'terminated' && s.exitCode === 0;
  if (c.readinessProbe && failing.has(c.name)) return false;
  return s.kind === 'running' && at >= s.startedAt + readinessDelay(c);
}

/** The containers whose readiness probe the pod's annotation says fails (one without a probe has none to fail). */
function failingReadiness(pod: Pod): ReadonlySet<string> {
  const v = pod.metadata?.annotations?.[READINESS_FAILS_ANNOTATION];
  return new Set(v ? v.split(',').map((n) => n.trim()) : []);
}

/** A readiness probe passes first after its initial delay (probes are not run: they pass unless told to fail). */
function readinessDelay(c: Container): number {
  return (c.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
}

function find(list: ContainerStatus[] | undefined, name: string): ContainerStatus | undefined {
  return list?.find((s) => s.name === name);
}

function readRun(cs: ContainerStatus | undefined, path: string, memo: TimeMemo, now: number): Run | undefined {
  if (!cs?.state) return undefined;
  const last = readTerminated(cs.lastState?.terminated, `${path}/last`, memo);
  const restartCount = cs.restartCount ?? 0;
  const s = cs.state;
  if (s.running) return { state: { kind: 'running', startedAt: memo.read(`${path}/started`, s.running.startedAt) ?? now }, last, restartCount };
  if (s.terminated) return { state: { kind: 'terminated', ...readTerminated(s.terminated, path, memo)! }, last, restartCount };
  return { state: waiting(s.waiting?.reason ?? '', s.waiting?.message), last, restartCount };
}

function readTerminated(t: ContainerStateTerminated | undefined, path: string, memo: TimeMemo): Terminated | undefined {
  if (!t) return undefined;
  return {
    exitCode: t.exitCode,
    reason: t.reason ?? '',
    message: t.message,
    startedAt: memo.read(`${path}/s`, t.startedAt),
    finishedAt: memo.read(`${path}/f`, t.finishedAt),
    containerID: t.containerID,
  };
}
