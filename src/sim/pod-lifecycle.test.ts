import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1';
import {
  DEADLINE_EXCEEDED_MESSAGE,
  EXIT_AFTER_ANNOTATION,
  EXIT_CODE_ANNOTATION,
  TimeMemo,
  nextPodStatus,
  stoppedPodStatus,
  type LifecycleOptions,
  type PodStep,
} from './pod-lifecycle.js';
import { restartBackoffMs } from '../kubelet/index.js';

const T0 = Date.parse('2026-01-02T03:04:05Z');
const HOST = '127.0.0.1';
const IP = '10.244.0.2';

function pod(
  spec: {
    containers?: Container[];
    initContainers?: Container[];
    restartPolicy?: string;
    readinessGates?: { conditionType: string }[];
    activeDeadlineSeconds?: number;
  } = {},
  annotations: Record<string, string> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', annotations },
    spec: { nodeName: 'sim-0', containers: [{ name: 'c', image: 'busybox' }], ...spec } as Pod['spec'],
    status: {
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-02T03:04:04Z' }],
    },
  };
}

/** Drives a pod through time as the pod worker does: each result is written back as the pod's status. */
class Driver {
  readonly memo = new TimeMemo();
  constructor(
    public pod: Pod,
    readonly opts: LifecycleOptions = { startDelayMs: 0, backoffScale: 1 },
    readonly podIP: string | null = IP,
  ) {}
  at(ms: number): PodStep {
    const step = nextPodStatus(this.pod, { now: T0 + ms, hostIP: HOST, podIP: this.podIP ?? undefined, memo: this.memo }, this.opts);
    this.pod = { ...this.pod, status: structuredClone(step.status) };
    return step;
  }
  get status(): PodStatus {
    return this.pod.status!;
  }
}

const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type);
const state = (s: PodStatus, i = 0) => s.containerStatuses![i]!.state!;
const initState = (s: PodStatus, i = 0) => s.initContainerStatuses![i]!.state!;

test('with no start delay a pod goes straight to Running and Ready, reported as a kubelet does', () => {
  const d = new Driver(pod());
  const step = d.at(0);
  const s = step.status;
  assert.equal(s.phase, 'Running');
  assert.equal(step.wakeAt, undefined, 'nothing more happens by itself');
  assert.equal(step.terminal, false);
  assert.equal(s.hostIP, HOST);
  assert.deepEqual(s.hostIPs, [{ ip: HOST }]);
  assert.equal(s.podIP, IP);
  assert.deepEqual(s.podIPs, [{ ip: IP }]);
  assert.equal(s.startTime, '2026-01-02T03:04:05Z');
  assert.equal(s.qosClass, 'BestEffort', 'qosClass stays as set');
  assert.deepEqual(
    s.conditions!.map((c) => [c.type, c.status]),
    // Others' conditions first, then the kubelet's in its order (upstream's mergePodStatus).
    [
      ['PodScheduled', 'True'],
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
    ],
  );
  assert.equal(cond(s, 'PodScheduled')!.lastTransitionTime, '2026-01-02T03:04:04Z', "the scheduler's condition is kept");
  const cs = s.containerStatuses![0]!;
  assert.equal(cs.name, 'c');
  assert.equal(cs.image, 'docker.io/library/busybox:latest');
  assert.match(cs.imageID!, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  assert.match(cs.containerID!, /^sim:\/\/[0-9a-f]{64}$/);
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.equal(cs.restartCount, 0);
  assert.deepEqual(cs.lastState, {});
  assert.deepEqual(cs.state, { running: { startedAt: '2026-01-02T03:04:05Z' } });
  // Computing again changes nothing: one write per state change.
  assert.deepEqual(d.at(5000).status, s);
});

test('with a start delay the pod waits in ContainerCreating, then runs; skipped steps give the same result', () => {
  const opts = { startDelayMs: 2000, backoffScale: 1 };
  const d = new Driver(pod(), opts);
  const first = d.at(0);
  assert.equal(first.status.phase, 'Pending');
  assert.equal(first.wakeAt, T0 + 2000);
  assert.deepEqual(state(first.status), { waiting: { reason: 'ContainerCreating' } });
  assert.equal(first.status.containerStatuses![0]!.imageID, '');
  assert.equal(first.status.containerStatuses![0]!.containerID, undefined);
  assert.equal(cond(first.status, 'PodReadyToStartContainers')!.status, 'True');
  assert.deepEqual([cond(first.status, 'Ready')!.reason, cond(first.status, 'Ready')!.message], ['ContainersNotReady', 'containers with unready status: [c]']);
  assert.equal(first.status.podIP, IP, 'the sandbox has its address before the containers start');
  const second = d.at(2500);
  assert.equal(second.status.phase, 'Running');
  assert.deepEqual(state(second.status), { running: { startedAt: '2026-01-02T03:04:07Z' } });
  assert.equal(cond(second.status, 'Ready')!.lastTransitionTime, '2026-01-02T03:04:07Z');
  // The same pod looked at only once, late, reaches the same containers' state.
  const late = new Driver(pod(), opts);
  late.at(0);
  assert.deepEqual(late.at(9000).status.containerStatuses, second.status.containerStatuses);
});

test('sub-second delays keep their precision through whole-second timestamps', () => {
  const d = new Driver(pod(), { startDelayMs: 300, backoffScale: 1 });
  assert.equal(d.at(700).wakeAt, T0 + 1000);
  assert.equal(d.at(900).status.phase, 'Pending', 'not started 200 ms in, though the stamp reads 03:04:05');
  assert.equal(d.at(1000).status.phase, 'Running');
});

test('init containers run in order, each for the start delay, then the app containers start', () => {
  const p = pod({
    initContainers: [
      { name: 'i1', image: 'busybox' },
      { name: 'i2', image: 'registry.k8s.io/pause:3.9' },
    ],
  });
  const d = new Driver(p, { startDelayMs: 1000, backoffScale: 1 });
  let s = d.at(0).status;
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(initState(s, 0), { waiting: { reason: 'PodInitializing' } });
  assert.deepEqual(state(s), { waiting: { reason: 'PodInitializing' } });
  assert.deepEqual(
    [cond(s, 'Initialized')!.status, cond(s, 'Initialized')!.reason, cond(s, 'Initialized')!.message],
    ['False', 'ContainersNotInitialized', 'containers with incomplete status: [i1 i2]'],
  );
  s = d.at(1000).status;
  assert.deepEqual(initState(s, 0), { running: { startedAt: '2026-01-02T03:04:06Z' } });
  assert.deepEqual(initState(s, 1), { waiting: { reason: 'PodInitializing' } });
  s = d.at(2000).status;
  const done = initState(s, 0).terminated!;
  assert.deepEqual([done.exitCode, done.reason, done.startedAt, done.finishedAt], [0, 'Completed', '2026-01-02T03:04:06Z', '2026-01-02T03:04:07Z']);
  assert.match(done.containerID!, /^sim:\/\//);
  assert.equal(s.initContainerStatuses![0]!.ready, true);
  assert.equal(s.phase, 'Pending');
  s = d.at(3000).status; // i2 started at 3s
  s = d.at(4000).status; // i2 done at 4s, app creating until 5s
  assert.equal(initState(s, 1).terminated?.reason, 'Completed');
  assert.equal(s.initContainerStatuses![1]!.image, 'registry.k8s.io/pause:3.9');
  assert.equal(cond(s, 'Initialized')!.status, 'True');
  assert.deepEqual(state(s), { waiting: { reason: 'ContainerCreating' } });
  s = d.at(5000).status;
  assert.equal(s.phase, 'Running');
  assert.deepEqual(state(s), { running: { startedAt: '2026-01-02T03:04:10Z' } });
  assert.equal(d.at(60_000).wakeAt, undefined);
});

test('a native sidecar starts, lets the next init container run, and stays running and counted for readiness', () => {
  const p = pod({
    initContainers: [
      { name: 'proxy', image: 'envoy', restartPolicy: 'Always', readinessProbe: { initialDelaySeconds: 3, exec: { command: ['true'] } } },
      { name: 'setup', image: 'busybox' },
    ],
  });
  const d = new Driver(p, { startDelayMs: 1000, backoffScale: 1 });
  d.at(0);
  let s = d.at(1000).status;
  assert.ok(initState(s, 0).running, 'sidecar running');
  assert.equal(s.initContainerStatuses![0]!.started, true);
  assert.deepEqual(initState(s, 1), { waiting: { reason: 'PodInitializing' } });
  s = d.at(2000).status;
  assert.ok(initState(s, 1).running, 'the next init container started once the sidecar had');
  s = d.at(3000).status;
  assert.equal(initState(s, 1).terminated?.reason, 'Completed');
  s = d.at(4000).status;
  assert.equal(s.phase, 'Running');
  assert.ok(initState(s, 0).running, 'sidecar still running');
  assert.equal(s.initContainerStatuses![0]!.ready, true, 'sidecar ready 3 s after it started');
  assert.equal(cond(s, 'ContainersReady')!.status, 'True');
  // Before its readiness delay the sidecar held the pod unready.
  const early = new Driver(p, { startDelayMs: 1000, backoffScale: 1 });
  early.at(0);
  const e = early.at(3500);
  assert.equal(e.status.initContainerStatuses![0]!.ready, false);
  assert.equal(e.wakeAt, T0 + 4000);
});

test('readiness gates: Ready only when every gate condition is True', () => {
  const d = new Driver(pod({ readinessGates: [{ conditionType: 'example.com/lb' }] }));
  let s = d.at(0).status;
  assert.equal(cond(s, 'ContainersReady')!.status, 'True');
  assert.deepEqual(
    [cond(s, 'Ready')!.status, cond(s, 'Ready')!.reason, cond(s, 'Ready')!.message],
    ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.'],
  );
  d.pod.status!.conditions!.push({ type: 'example.com/lb', status: 'False' });
  s = d.at(1000).status;
  assert.equal(cond(s, 'Ready')!.message, 'the status of pod readiness gate "example.com/lb" is not "True", but False');
  d.pod.status!.conditions!.find((c) => c.type === 'example.com/lb')!.status = 'True';
  s = d.at(2000).status;
  assert.equal(cond(s, 'Ready')!.status, 'True');
  assert.equal(cond(s, 'Ready')!.lastTransitionTime, '2026-01-02T03:04:07Z');
  assert.equal(cond(s, 'example.com/lb')!.status, 'True', 'the gate condition is kept');
});

test('exit-after with restartPolicy Never: the pod Succeeds (Completed), or Fails (Error) with a non-zero code', () => {
  const d = new Driver(pod({ restartPolicy: 'Never' }, { [EXIT_AFTER_ANNOTATION]: '5s' }));
  assert.equal(d.at(0).wakeAt, T0 + 5000);
  const step = d.at(6000);
  const s = step.status;
  assert.equal(step.terminal, true);
  assert.equal(s.phase, 'Succeeded');
  assert.deepEqual(
    { ...state(s).terminated, containerID: undefined },
    { exitCode: 0, reason: 'Completed', startedAt: '2026-01-02T03:04:05Z', finishedAt: '2026-01-02T03:04:10Z', containerID: undefined },
  );
  assert.equal(s.containerStatuses![0]!.ready, false);
  assert.equal(s.containerStatuses![0]!.started, false);
  assert.deepEqual(
    s.conditions!.map((c) => [c.type, c.status, c.reason ?? '']),
    [
      ['PodScheduled', 'True', ''],
      ['PodReadyToStartContainers', 'False', ''],
      ['Initialized', 'True', 'PodCompleted'],
      ['Ready', 'False', 'PodCompleted'],
      ['ContainersReady', 'False', 'PodCompleted'],
    ],
  );
  assert.equal(s.podIP, IP, 'the address stays in the status');
  const before = structuredClone(d.pod.status);
  const after = d.at(100_000);
  assert.deepEqual(after.status, before, 'a finished pod is left alone');
  assert.equal(after.terminal, true);

  const f = new Driver(pod({ restartPolicy: 'Never' }, { [EXIT_AFTER_ANNOTATION]: '1s', [EXIT_CODE_ANNOTATION]: '3' }));
  f.at(0);
  const fs = f.at(1000).status;
  assert.equal(fs.phase, 'Failed');
  assert.deepEqual([state(fs).terminated?.exitCode, state(fs).terminated?.reason], [3, 'Error']);
  // Upstream's generate.go: a Failed pod's containers may still be stopping, so the reason is the phase.
  assert.equal(cond(fs, 'Ready')!.reason, 'PodFailed');
});

test('OnFailure: exit 0 completes the pod, a failure restarts the container', () => {
  const ok = new Driver(pod({ restartPolicy: 'OnFailure' }, { [EXIT_AFTER_ANNOTATION]: '1s' }));
  ok.at(0);
  assert.equal(ok.at(1000).status.phase, 'Succeeded');
  const bad = new Driver(pod({ restartPolicy: 'OnFailure' }, { [EXIT_AFTER_ANNOTATION]: '1s', [EXIT_CODE_ANNOTATION]: '1' }));
  bad.at(0);
  const s = bad.at(1000).status;
  assert.equal(s.phase, 'Running');
  assert.equal(s.containerStatuses![0]!.restartCount, 1);
});

test('exit code 1 with restartPolicy Always: restart at once, then CrashLoopBackOff 10 s, 20 s...', () => {
  const d = new Driver(pod({}, { [EXIT_AFTER_ANNOTATION]: '2s', [EXIT_CODE_ANNOTATION]: '1' }));
  d.at(0);
  let step = d.at(2000);
  let cs = step.status.containerStatuses![0]!;
  assert.equal(step.status.phase, 'Running');
  assert.equal(cs.restartCount, 1, 'the first restart is immediate');
  assert.deepEqual(cs.state, { running: { startedAt: '2026-01-02T03:04:07Z' } });
  assert.deepEqual(
    [cs.lastState?.terminated?.exitCode, cs.lastState?.terminated?.reason, cs.lastState?.terminated?.finishedAt],
    [1, 'Error', '2026-01-02T03:04:07Z'],
  );
  const firstId = cs.lastState!.terminated!.containerID;
  assert.notEqual(firstId, cs.containerID, 'a new container');
  step = d.at(4000); // second exit: back-off 10 s
  cs = step.status.containerStatuses![0]!;
  assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c pod=p_ns(uid-1)' } });
  assert.equal(cs.restartCount, 1);
  assert.equal(cs.ready, false);
  assert.equal(step.status.phase, 'Running');
  assert.equal(cond(step.status, 'Ready')!.status, 'False');
  assert.equal(step.wakeAt, T0 + 14_000);
  step = d.at(14_000);
  cs = step.status.containerStatuses![0]!;
  assert.equal(cs.restartCount, 2);
  assert.ok(cs.state?.running);
  step = d.at(16_000);
  assert.equal(step.status.containerStatuses![0]!.state?.waiting?.message, 'back-off 20s restarting failed container=c pod=p_ns(uid-1)');
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartBackoffMs(n)),
    [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000],
  );
  assert.equal(restartBackoffMs(0), 0);
  // Scaled for tests.
  const fast = new Driver(pod({}, { [EXIT_AFTER_ANNOTATION]: '1s', [EXIT_CODE_ANNOTATION]: '1' }), { startDelayMs: 0, backoffScale: 0.1 });
  fast.at(0);
  fast.at(1000);
  const f = fast.at(2000);
  assert.equal(f.status.containerStatuses![0]!.state?.waiting?.message, 'back-off 1s restarting failed container=c pod=p_ns(uid-1)');
  assert.equal(f.wakeAt, T0 + 3000);
});

test('a crash loop long in the past is caught up in one step', () => {
  const d = new Driver(pod({}, { [EXIT_AFTER_ANNOTATION]: '1s', [EXIT_CODE_ANNOTATION]: '1' }));
  d.at(0);
  // Exits at 1, 2 (+10 wait), 13 (+20), 34 (+40), 75 (+80), 156 (+160), 317 (+300)...
  const s = d.at(320_000).status.containerStatuses![0]!;
  assert.equal(s.restartCount, 6);
  assert.equal(s.state?.waiting?.reason, 'CrashLoopBackOff');
});

test('activeDeadlineSeconds: past it the pod is Failed with DeadlineExceeded', () => {
  const d = new Driver(pod({ activeDeadlineSeconds: 30 }));
  assert.equal(d.at(0).wakeAt, T0 + 30_000);
  const step = d.at(31_000);
  const s = step.status;
  assert.equal(step.terminal, true);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.reason, 'DeadlineExceeded');
  assert.equal(s.message, DEADLINE_EXCEEDED_MESSAGE);
  assert.deepEqual([state(s).terminated?.exitCode, state(s).terminated?.finishedAt], [137, '2026-01-02T03:04:35Z']);
});

test('a deleted pod is stopped: its containers exit, the pod ends terminal', () => {
  const d = new Driver(pod());
  d.at(0);
  const memo = d.memo;
  const s = stoppedPodStatus(d.pod, { now: T0 + 4000, hostIP: HOST, podIP: IP, memo });
  assert.equal(s.phase, 'Succeeded');
  assert.deepEqual([state(s).terminated?.exitCode, state(s).terminated?.reason, state(s).terminated?.finishedAt], [0, 'Completed', '2026-01-02T03:04:09Z']);
  assert.equal(cond(s, 'Ready')!.status, 'False');
  // One that never started: its container is reported as upstream reports a container it can't find.
  const slow = new Driver(pod(), { startDelayMs: 10_000, backoffScale: 1 });
  slow.at(0);
  const p = stoppedPodStatus(slow.pod, { now: T0 + 1000, hostIP: HOST, podIP: IP, memo: slow.memo }, slow.opts);
  assert.equal(p.phase, 'Failed');
  assert.deepEqual([state(p).terminated?.exitCode, state(p).terminated?.reason], [137, 'ContainerStatusUnknown']);
});

test('without an address the sandbox is not ready and nothing starts', () => {
  const d = new Driver(pod(), undefined, null);
  const step = d.at(0);
  assert.equal(step.status.phase, 'Pending');
  assert.equal(step.status.podIP, undefined);
  assert.equal(cond(step.status, 'PodReadyToStartContainers')!.status, 'False');
  assert.deepEqual(state(step.status), { waiting: { reason: 'ContainerCreating' } });
  assert.equal(step.wakeAt, undefined);
});

test('when the app containers of a Never pod finish, its sidecars are stopped with them', () => {
  const p = pod({ restartPolicy: 'Never', initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] }, { [EXIT_AFTER_ANNOTATION]: '3s' });
  const d = new Driver(p);
  const running = d.at(0).status;
  assert.ok(initState(running).running);
  assert.equal(running.phase, 'Running');
  const done = d.at(3000);
  assert.equal(done.status.phase, 'Succeeded');
  assert.deepEqual(
    [initState(done.status).terminated?.exitCode, initState(done.status).terminated?.reason, initState(done.status).terminated?.finishedAt],
    [0, 'Completed', '2026-01-02T03:04:08Z'],
  );
  assert.equal(done.wakeAt, undefined);
});
