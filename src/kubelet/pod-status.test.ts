import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import type { ContainerStatus } from '../runtime/index.js';
import { computePodStatus, type ContainerView, type PodView } from './pod-status.js';
import { T0, criContainer } from './testing.js';

const crt = criContainer;

function pod(spec: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { restartPolicy: 'Always', containers: [{ name: 'a', image: 'busybox:1' }], ...spec },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
}

function view(containers: Record<string, ContainerView>, o: Partial<PodView> = {}): PodView {
  return {
    sandboxReady: true,
    podIPs: ['10.42.0.7'],
    hostIPs: ['192.168.0.2'],
    containers: new Map(Object.entries(containers)),
    terminal: false,
    runtimeName: 'containerd',
    ...o,
  };
}

test('a running, ready container: Running with every condition true and upstream container status fields', () => {
  const s = computePodStatus(pod(), view({ a: { latest: crt('a', 'CONTAINER_RUNNING'), ready: true, started: true } }), T0 + 5000);
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '10.42.0.7');
  assert.deepEqual(s.podIPs, [{ ip: '10.42.0.7' }]);
  assert.equal(s.hostIP, '192.168.0.2');
  assert.deepEqual(
    s.conditions!.map((c) => `${c.type}=${c.status}`),
    ['PodScheduled=True', 'PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True'],
  );
  const cs = s.containerStatuses![0]!;
  assert.equal(cs.containerID, 'containerd://a-0');
  assert.equal(cs.imageID, 'sha256:aaa');
  assert.deepEqual(cs.state, { running: { startedAt: '2026-01-01T00:00:01Z' } });
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.equal(cs.restartCount, 0);
});

test('a container in back-off: waiting CrashLoopBackOff, the exit as lastState, the pod still Running', () => {
  const latest = crt('a', 'CONTAINER_EXITED', { metadata: { name: 'a', attempt: 2 }, exitCode: 3, reason: 'Error' });
  const s = computePodStatus(
    pod(),
    view({ a: { latest, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' }, ready: false, started: false } }),
    T0,
  );
  const cs = s.containerStatuses![0]!;
  assert.equal(cs.restartCount, 2);
  assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } });
  assert.equal(cs.lastState!.terminated!.exitCode, 3);
  assert.equal(s.phase, 'Running');
  const ready = s.conditions!.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ContainersNotReady', 'containers with unready status: [a]']);
});

test('phases: Succeeded and Failed by restart policy; init containers hold the app containers', () => {
  const done = (code: number) => ({ latest: crt('a', 'CONTAINER_EXITED', { exitCode: code }), ready: false, started: false });
  assert.equal(computePodStatus(pod({ restartPolicy: 'Never' }), view({ a: done(0) })).phase, 'Succeeded');
  assert.equal(computePodStatus(pod({ restartPolicy: 'Never' }), view({ a: done(1) })).phase, 'Failed');
  assert.equal(computePodStatus(pod({ restartPolicy: 'OnFailure' }), view({ a: done(1) })).phase, 'Running');
  const p = pod({ initContainers: [{ name: 'i', image: 'busybox:1' }] });
  const s = computePodStatus(p, view({ i: { latest: crt('i', 'CONTAINER_RUNNING'), ready: false, started: true } }));
  assert.equal(s.phase, 'Pending');
  assert.equal(s.containerStatuses![0]!.state!.waiting!.reason, 'PodInitializing');
  const init = s.conditions!.find((c) => c.type === 'Initialized')!;
  assert.deepEqual([init.status, init.message], ['False', 'containers with incomplete status: [i]']);
  const failed = computePodStatus(
    pod({ restartPolicy: 'Never', initContainers: [{ name: 'i', image: 'busybox:1' }] }),
    view({ i: { latest: crt('i', 'CONTAINER_EXITED', { exitCode: 1 }), ready: false, started: false } }),
  );
  assert.equal(failed.phase, 'Failed');
});

test('a terminal pod keeps its final phase; transition times move only when a condition changes', () => {
  const p = pod();
  const first = computePodStatus(p, view({ a: { latest: crt('a', 'CONTAINER_RUNNING'), ready: false, started: true } }), T0);
  const p2 = { ...p, status: first };
  const second = computePodStatus(p2, view({ a: { latest: crt('a', 'CONTAINER_RUNNING'), ready: true, started: true } }), T0 + 60_000);
  const t = (s: typeof first, type: string) => s.conditions!.find((c) => c.type === type)!.lastTransitionTime;
  assert.equal(t(second, 'Initialized'), t(first, 'Initialized'));
  assert.notEqual(t(second, 'Ready'), t(first, 'Ready'));
  const final = computePodStatus(
    { ...p, status: { ...first, phase: 'Succeeded' } },
    view({ a: { latest: crt('a', 'CONTAINER_RUNNING'), ready: true, started: true } }),
  );
  assert.equal(final.phase, 'Succeeded');
});

test('a regular init container is ready only once it succeeded, whatever a probe says while it runs (upstream prober manager)', () => {
  const p = pod({ initContainers: [{ name: 'i', image: 'busybox:1' }] });
  const running = computePodStatus(p, view({ i: { latest: crt('i', 'CONTAINER_RUNNING'), ready: true, started: true } }));
  assert.equal(running.initContainerStatuses![0]!.ready, false);
  const done = computePodStatus(p, view({ i: { latest: crt('i', 'CONTAINER_EXITED', { exitCode: 0 }), ready: false, started: false } }));
  assert.equal(done.initContainerStatuses![0]!.ready, true);
});

test("others' conditions come first, then the kubelet's in its order (upstream's mergePodStatus)", () => {
  const s = computePodStatus(pod(), view({ a: { latest: crt('a', 'CONTAINER_RUNNING'), ready: true, started: true } }));
  assert.deepEqual(
    s.conditions!.map((c) => c.type),
    ['PodScheduled', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'],
  );
});

test('a terminal pod: containers not seen exited are reported exited with an unknown outcome, as upstream TerminatePod', () => {
  const unknown = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' };
  // Initialized (no init containers): the app container that never ran is unknown, and the pod Failed.
  const plain = computePodStatus(pod(), view({}, { terminal: true, sandboxReady: false }));
  assert.deepEqual(plain.containerStatuses![0]!.state, { terminated: unknown });
  assert.equal(plain.phase, 'Failed');
  // Never initialized: the app containers stay waiting; of the init containers, those up to the
  // last one that ever ran (at least the first) are unknown, the rest stay waiting.
  const p = pod({ initContainers: ['i1', 'i2', 'i3'].map((name) => ({ name, image: 'busybox:1' })) });
  const s = computePodStatus(
    p,
    view(
      {
        i1: { latest: crt('i1', 'CONTAINER_EXITED', { exitCode: 0 }), ready: false, started: false },
        i2: { latest: crt('i2', 'CONTAINER_RUNNING'), ready: false, started: true },
      },
      { terminal: true },
    ),
  );
  assert.deepEqual(
    s.initContainerStatuses!.map((c) => [c.name, c.state!.terminated?.reason ?? c.state!.terminated?.exitCode ?? `waiting:${c.state!.waiting?.reason}`]),
    [
      ['i1', 'Completed'],
      ['i2', 'ContainerStatusUnknown'],
      ['i3', 'waiting:PodInitializing'],
    ],
  );
  assert.equal(s.containerStatuses![0]!.state!.waiting?.reason, 'PodInitializing');
});
