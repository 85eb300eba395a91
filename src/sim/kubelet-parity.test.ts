// The simulator's pods go through the same states and conditions as the agent's: at each moment
// of a simulated pod's life, the status the simulator writes is compared with the one the kubelet
// core computes from what a CRI runtime would show the agent's worker at that moment (its
// containers, their attempts and exits, the readiness probes' verdicts, why a container waits).
// The states themselves are asserted too, so that both agreeing on something wrong fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { computePodStatus, type ContainerView } from '../kubelet/index.js';
import { criContainer } from '../kubelet/testing.js';
import type { ContainerStatus as CriContainerStatus } from '../runtime/index.js';
import {
  EXIT_AFTER_ANNOTATION,
  EXIT_CODE_ANNOTATION,
  READINESS_FAILS_ANNOTATION,
  TimeMemo,
  nextPodStatus,
  stoppedPodStatus,
  type LifecycleOptions,
} from './pod-lifecycle.js';

const T0 = Date.parse('2026-01-02T03:04:05Z');
const HOST = '127.0.0.1';
const IP = '10.244.0.2';
const probe = { exec: { command: ['true'] } };

function pod(spec: { containers: Container[]; initContainers?: Container[]; restartPolicy?: string }, annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', annotations },
    spec: { nodeName: 'sim-0', ...spec },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-02T03:04:04Z' }] },
  };
}

/** The simulator's pod, its statuses written back as its worker writes them. */
class SimPod {
  private readonly memo = new TimeMemo();
  constructor(
    public pod: Pod,
    private readonly opts: LifecycleOptions,
  ) {}
  at(ms: number): PodStatus {
    const step = nextPodStatus(this.pod, { now: T0 + ms, hostIP: HOST, podIP: IP, memo: this.memo }, this.opts);
    this.pod = { ...this.pod, status: structuredClone(step.status) };
    return step.status;
  }
  deletedAt(ms: number): PodStatus {
    return stoppedPodStatus(this.pod, { now: T0 + ms, hostIP: HOST, podIP: IP, memo: this.memo }, this.opts);
  }
}

type Cri = { state: 'running' | 'exited'; attempt: number; startedMs: number; finishedMs?: number; exitCode?: number };

/** A container as the CRI runtime lists it to the agent. */
function cri(name: string, c: Cri): CriContainerStatus {
  return criContainer(name, c.state === 'running' ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED', {
    id: `${name}-${c.attempt}`,
    metadata: { name, attempt: c.attempt },
    createdAtMs: T0 + c.startedMs,
    startedAtMs: T0 + c.startedMs,
    finishedAtMs: c.finishedMs === undefined ? 0 : T0 + c.finishedMs,
    exitCode: c.exitCode ?? 0,
  });
}

/** What the agent's worker hands the kubelet core for a container: runtime's newest two, probe verdicts, why it waits. */
function agentView(
  name: string,
  latest?: Cri,
  o: { previous?: Cri; ready?: boolean; waiting?: { reason: string; message?: string } } = {},
): [string, ContainerView] {
  const running = latest?.state === 'running';
  return [
    name,
    {
      latest: latest && cri(name, latest),
      previous: o.previous && cri(name, o.previous),
      waiting: o.waiting,
      ready: running && (o.ready ?? true),
      started: running,
    },
  ];
}

function agentStatus(p: Pod, ms: number, views: Array<[string, ContainerView]>, terminal = false): PodStatus {
  return computePodStatus(
    p,
    { sandboxReady: !terminal, podIPs: [IP], hostIPs: [HOST], containers: new Map(views), terminal, runtimeName: 'containerd' },
    T0 + ms,
  );
}

/** What both must agree on: phase, the kubelet's conditions, and each container's state as kubectl shows it. */
function summary(s: PodStatus) {
  const container = (c: NonNullable<PodStatus['containerStatuses']>[number]) => {
    const st = c.state ?? {};
    const kind = st.running ? 'running' : st.terminated ? `terminated:${st.terminated.exitCode}:${st.terminated.reason}` : `waiting:${st.waiting?.reason}`;
    return {
      name: c.name,
      kind,
      message: st.waiting?.message ?? st.terminated?.message,
      last: c.lastState?.terminated ? `${c.lastState.terminated.exitCode}:${c.lastState.terminated.reason}` : undefined,
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
    };
  };
  return {
    phase: s.phase,
    conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']),
    init: (s.initContainerStatuses ?? []).map(container),
    app: (s.containerStatuses ?? []).map(container),
  };
}

const conditions = (s: PodStatus) => Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.status]));

test('an init container, then a sidecar, then the app: the simulator goes through the agent’s states and conditions', () => {
  const p = pod({
    initContainers: [
      { name: 'setup', image: 'busybox' },
      { name: 'proxy', image: 'envoy', restartPolicy: 'Always', readinessProbe: probe },
    ],
    containers: [{ name: 'app', image: 'nginx', readinessProbe: probe }],
  });
  const sim = new SimPod(p, { startDelayMs: 1000, backoffScale: 1 });
  const setupRun: Cri = { state: 'running', attempt: 0, startedMs: 1000 };
  const setupDone: Cri = { state: 'exited', attempt: 0, startedMs: 1000, finishedMs: 2000, exitCode: 0 };
  const proxy: Cri = { state: 'running', attempt: 0, startedMs: 3000 };
  const app: Cri = { state: 'running', attempt: 0, startedMs: 4000 };
  const moments: Array<[number, Array<[string, ContainerView]>]> = [
    [0, [agentView('setup'), agentView('proxy'), agentView('app')]],
    [1000, [agentView('setup', setupRun), agentView('proxy'), agentView('app')]],
    [2000, [agentView('setup', setupDone), agentView('proxy'), agentView('app')]],
    [3000, [agentView('setup', setupDone), agentView('proxy', proxy), agentView('app')]],
    [4000, [agentView('setup', setupDone), agentView('proxy', proxy), agentView('app', app)]],
  ];
  const seen: string[] = [];
  for (const [ms, views] of moments) {
    const before = sim.pod;
    const simulated = sim.at(ms);
    assert.deepEqual(summary(simulated), summary(agentStatus(before, ms, views)), `at ${ms} ms`);
    const c = conditions(simulated);
    seen.push(`${simulated.phase} Initialized=${c.Initialized} Ready=${c.Ready}`);
  }
  assert.deepEqual(seen, [
    'Pending Initialized=False Ready=False',
    'Pending Initialized=False Ready=False',
    'Pending Initialized=False Ready=False',
    'Pending Initialized=True Ready=False',
    'Running Initialized=True Ready=True',
  ]);
  // The sidecar runs beside the app and counts for readiness; the regular init container is done.
  const last = sim.pod.status!;
  assert.deepEqual(
    last.initContainerStatuses!.map((s) => [s.name, Object.keys(s.state!)[0], s.ready]),
    [
      ['setup', 'terminated', true],
      ['proxy', 'running', true],
    ],
  );
});

test('a failing readiness probe (by annotation): running, never Ready, with the message the agent’s code gives', () => {
  const p = pod(
    {
      initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always', readinessProbe: probe }],
      containers: [{ name: 'app', image: 'nginx', readinessProbe: probe }],
    },
    { [READINESS_FAILS_ANNOTATION]: 'app' },
  );
  const sim = new SimPod(p, { startDelayMs: 0, backoffScale: 1 });
  const before = sim.pod;
  const simulated = sim.at(0);
  const running: Cri = { state: 'running', attempt: 0, startedMs: 0 };
  assert.deepEqual(summary(simulated), summary(agentStatus(before, 0, [agentView('proxy', running), agentView('app', running, { ready: false })])));
  assert.equal(simulated.phase, 'Running');
  const ready = simulated.conditions!.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ContainersNotReady', 'containers with unready status: [app]']);
  assert.deepEqual(
    simulated.containerStatuses!.map((s) => [s.name, s.ready, s.started]),
    [['app', false, true]],
  );
  // Much later it is still not ready: the probe keeps failing.
  assert.equal(conditions(sim.at(600_000)).Ready, 'False');
  // A container with no readiness probe has none to fail: the annotation leaves it ready.
  const noProbe = new SimPod(pod({ containers: [{ name: 'app', image: 'nginx' }] }, { [READINESS_FAILS_ANNOTATION]: 'app' }), {
    startDelayMs: 0,
    backoffScale: 1,
  });
  assert.equal(conditions(noProbe.at(0)).Ready, 'True');
});

test('a container that keeps failing restarts with back-off: the same restarts, CrashLoopBackOff and last state as the agent’s', () => {
  const p = pod({ containers: [{ name: 'app', image: 'busybox' }] }, { [EXIT_AFTER_ANNOTATION]: '2s', [EXIT_CODE_ANNOTATION]: '1' });
  const sim = new SimPod(p, { startDelayMs: 0, backoffScale: 1 });
  const run0: Cri = { state: 'running', attempt: 0, startedMs: 0 };
  const exit0: Cri = { state: 'exited', attempt: 0, startedMs: 0, finishedMs: 2000, exitCode: 1 };
  const run1: Cri = { state: 'running', attempt: 1, startedMs: 2000 };
  const exit1: Cri = { state: 'exited', attempt: 1, startedMs: 2000, finishedMs: 4000, exitCode: 1 };
  const backoff = { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=p_ns(uid-1)' };
  const run2: Cri = { state: 'running', attempt: 2, startedMs: 14_000 };
  const moments: Array<[number, Array<[string, ContainerView]>]> = [
    [0, [agentView('app', run0)]],
    // The first exit is restarted at once (no back-off yet), as kubelet does.
    [2000, [agentView('app', run1, { previous: exit0 })]],
    [4000, [agentView('app', exit1, { previous: exit0, waiting: backoff })]],
    [14_000, [agentView('app', run2, { previous: exit1 })]],
  ];
  const seen: string[] = [];
  for (const [ms, views] of moments) {
    const before = sim.pod;
    const simulated = sim.at(ms);
    assert.deepEqual(summary(simulated), summary(agentStatus(before, ms, views)), `at ${ms} ms`);
    const cs = simulated.containerStatuses![0]!;
    seen.push(
      `${simulated.phase} ${Object.keys(cs.state!)[0]}${cs.state!.waiting ? `:${cs.state!.waiting.reason}` : ''} restarts=${cs.restartCount} Ready=${conditions(simulated).Ready}`,
    );
  }
  assert.deepEqual(seen, [
    'Running running restarts=0 Ready=True',
    'Running running restarts=1 Ready=True',
    'Running waiting:CrashLoopBackOff restarts=1 Ready=False',
    'Running running restarts=2 Ready=True',
  ]);
});

test('deleted while an app container never started: both report it terminated with an unknown outcome, and the pod Failed', () => {
  const p = pod({ containers: [{ name: 'app', image: 'busybox' }] });
  const sim = new SimPod(p, { startDelayMs: 5000, backoffScale: 1 });
  sim.at(0);
  const before = sim.pod;
  const simulated = sim.deletedAt(1000);
  assert.deepEqual(summary(simulated), summary(agentStatus(before, 1000, [agentView('app')], true)));
  assert.equal(simulated.phase, 'Failed');
  assert.deepEqual(simulated.containerStatuses![0]!.state, {
    terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' },
  });
});
