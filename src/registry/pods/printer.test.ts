import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '../../api/object.js';
import { podSummary } from './printer.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const running = (name: string, o: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: true,
  started: true,
  restartCount: 0,
  state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
  ...o,
});
const crashing = (name: string, restartCount: number): ContainerStatus => ({
  ...running(name, { ready: false, started: false, restartCount }),
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:59:00Z' } },
});

function pod(status: Pod['status'], o: { deleting?: boolean } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:59:59Z' } : {}) },
    spec: {
      initContainers: [
        { name: 'setup', image: 'busybox' },
        { name: 'proxy', image: 'busybox', restartPolicy: 'Always' },
      ],
      containers: [{ name: 'app', image: 'busybox' }],
    },
    status,
  } as unknown as KObject;
}

const done = (name: string, restartCount = 0): ContainerStatus => ({
  ...running(name, { restartCount }),
  state: { terminated: { exitCode: 0, reason: 'Completed' } },
});

test('a started, ready sidecar counts in READY; a running pod shows Running', () => {
  const s = podSummary(
    pod({
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [done('setup'), running('proxy')],
      containerStatuses: [running('app')],
    }),
    NOW,
  );
  assert.deepEqual(s, { ready: '2/2', status: 'Running', restarts: '0' });
});

test('a sidecar restarting beside the app: Init:CrashLoopBackOff, the app still counted, only sidecar and app restarts', () => {
  const s = podSummary(
    pod({
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [done('setup', 4), crashing('proxy', 2)],
      containerStatuses: [running('app')],
    }),
    NOW,
  );
  assert.deepEqual(s, { ready: '1/2', status: 'Init:CrashLoopBackOff', restarts: '2 (60s ago)' });
});

test('before initialization: Init:N/M and the init containers restarts only', () => {
  const s = podSummary(
    pod({
      phase: 'Pending',
      conditions: [{ type: 'Initialized', status: 'False' }],
      initContainerStatuses: [running('setup', { restartCount: 1 }), running('proxy', { started: false, state: { waiting: { reason: 'PodInitializing' } } })],
      containerStatuses: [],
    }),
    NOW,
  );
  assert.deepEqual(s, { ready: '0/2', status: 'Init:0/2', restarts: '1' });
});

test('a finished pod being deleted keeps its Completed status; a running one shows Terminating', () => {
  const finished = {
    phase: 'Succeeded',
    conditions: [{ type: 'Initialized', status: 'True', reason: 'PodCompleted' }],
    initContainerStatuses: [done('setup'), done('proxy')],
    containerStatuses: [done('app')],
  };
  assert.equal(podSummary(pod(finished, { deleting: true }), NOW).status, 'Completed');
  const live = {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [done('setup'), running('proxy')],
    containerStatuses: [running('app')],
  };
  assert.equal(podSummary(pod(live, { deleting: true }), NOW).status, 'Terminating');
});
