import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { isRestartableInit, podPhase } from './pod-phase.js';

const pod = (restartPolicy: string, initContainers: { name: string; restartPolicy?: string }[] = []): Pod => ({
  metadata: { name: 'p' },
  spec: { restartPolicy, initContainers: initContainers.map((c) => ({ image: 'i', ...c })), containers: [{ name: 'a', image: 'i' }] },
});
const base = (name: string) => ({ name, image: 'i', imageID: '', ready: false, restartCount: 0 });
const running = (name: string, started = true): ContainerStatus => ({ ...base(name), started, state: { running: { startedAt: 't' } } });
const exited = (name: string, exitCode: number): ContainerStatus => ({ ...base(name), state: { terminated: { exitCode } } });
const waiting = (name: string, lastExit?: number): ContainerStatus => ({
  ...base(name),
  state: { waiting: { reason: lastExit === undefined ? 'ContainerCreating' : 'CrashLoopBackOff' } },
  ...(lastExit === undefined ? {} : { lastState: { terminated: { exitCode: lastExit } } }),
});

test('a running container makes the pod Running; one not yet reported or still being created keeps it Pending', () => {
  assert.equal(podPhase(pod('Always'), [], [running('a')], false), 'Running');
  assert.equal(podPhase(pod('Always'), [], [], false), 'Pending');
  assert.equal(podPhase(pod('Always'), [], [waiting('a')], false), 'Pending');
});

test('finished containers: the restart policy decides, and a terminal pod is Succeeded or Failed by their exit codes', () => {
  assert.equal(podPhase(pod('Never'), [], [exited('a', 0)], false), 'Succeeded');
  assert.equal(podPhase(pod('Never'), [], [exited('a', 1)], false), 'Failed');
  assert.equal(podPhase(pod('OnFailure'), [], [exited('a', 1)], false), 'Running', 'it will run again');
  assert.equal(podPhase(pod('OnFailure'), [], [exited('a', 0)], false), 'Succeeded');
  assert.equal(podPhase(pod('Always'), [], [exited('a', 0)], false), 'Running');
  assert.equal(podPhase(pod('Always'), [], [waiting('a', 2)], false), 'Running', 'in back-off after an exit');
  assert.equal(podPhase(pod('Always'), [], [exited('a', 0)], true), 'Succeeded');
  assert.equal(podPhase(pod('Always'), [], [exited('a', 137)], true), 'Failed');
});

test('regular init containers hold the pod Pending; one that failed fails it only under restartPolicy Never', () => {
  const inits = [{ name: 'i1' }];
  assert.equal(podPhase(pod('Always', inits), [running('i1')], [waiting('a')], false), 'Pending');
  assert.equal(podPhase(pod('Never', inits), [exited('i1', 1)], [waiting('a')], false), 'Failed');
  assert.equal(podPhase(pod('OnFailure', inits), [exited('i1', 1)], [waiting('a')], false), 'Pending');
  assert.equal(podPhase(pod('Always', inits), [exited('i1', 0)], [running('a')], false), 'Running');
});

test('sidecars: counted as running (a Job-like pod stays Running until they stop), never deciding the outcome', () => {
  const inits = [{ name: 's', restartPolicy: 'Always' }];
  assert.equal(isRestartableInit(inits[0]!), true);
  assert.equal(isRestartableInit({ restartPolicy: undefined }), false);
  assert.equal(podPhase(pod('Never', inits), [running('s')], [exited('a', 0)], false), 'Running');
  assert.equal(podPhase(pod('Never', inits), [exited('s', 137)], [exited('a', 0)], false), 'Succeeded');
  // Not started yet: Pending until the pod has initialized, not after (a sidecar restarting later).
  assert.equal(podPhase(pod('Always', inits), [running('s', false)], [waiting('a')], false), 'Pending');
  assert.equal(podPhase(pod('Always', inits), [running('s', false)], [running('a')], false), 'Running');
});
