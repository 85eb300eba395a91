import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import type { ContainerStatus } from '../runtime/index.js';
import { initContainerActions, terminationPrereqs } from './sidecars.js';
import { criContainer } from '../kubelet/testing.js';

const crt = (name: string, state: ContainerStatus['state'], exitCode = 0) => criContainer(name, state, { exitCode });

const sidecar = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox:1', restartPolicy: 'Always', ...extra });
const plain = (name: string): Container => ({ name, image: 'busybox:1' });

function spec(initContainers: Container[], o: Partial<PodSpec> = {}): PodSpec {
  return { restartPolicy: 'Always', initContainers, containers: [plain('app')], ...o };
}

function actions(s: PodSpec, present: ContainerStatus[], notStarted: string[] = []) {
  return initContainerActions(
    s,
    (n) => present.find((c) => c.metadata.name === n),
    (c) => !notStarted.includes(c.name),
  );
}

test('init containers start one after another; a sidecar must be running and started before the next', () => {
  const s = spec([sidecar('proxy'), plain('migrate')]);
  assert.deepEqual(actions(s, []), { start: ['proxy'], initialized: false, failed: false });
  // Its startup probe has not passed yet: nothing new starts.
  assert.deepEqual(actions(s, [crt('proxy', 'CONTAINER_RUNNING')], ['proxy']), { start: [], initialized: false, failed: false });
  assert.deepEqual(actions(s, [crt('proxy', 'CONTAINER_RUNNING')]), { start: ['migrate'], initialized: false, failed: false });
  // The regular one is running: wait for it.
  assert.deepEqual(actions(s, [crt('proxy', 'CONTAINER_RUNNING'), crt('migrate', 'CONTAINER_RUNNING')]).initialized, false);
  assert.deepEqual(actions(s, [crt('proxy', 'CONTAINER_RUNNING'), crt('migrate', 'CONTAINER_EXITED')]), { start: [], initialized: true, failed: false });
  // A sidecar last in the list: initialized once it started.
  assert.deepEqual(actions(spec([plain('setup'), sidecar('proxy')]), [crt('setup', 'CONTAINER_EXITED'), crt('proxy', 'CONTAINER_RUNNING')]).initialized, true);
});

test('a sidecar that exits is restarted; after initialization it no longer holds the app containers back', () => {
  const s = spec([sidecar('proxy'), plain('migrate')]);
  const app = crt('app', 'CONTAINER_RUNNING');
  // Before: the sidecar crashed while the next init container ran.
  assert.deepEqual(actions(s, [crt('proxy', 'CONTAINER_EXITED', 1), crt('migrate', 'CONTAINER_RUNNING')]), {
    start: ['proxy'],
    initialized: false,
    failed: false,
  });
  // After: the app runs; the sidecar is restarted beside it, the regular init container is not rerun.
  assert.deepEqual(actions(s, [crt('proxy', 'CONTAINER_EXITED', 1), crt('migrate', 'CONTAINER_EXITED'), app]), {
    start: ['proxy'],
    initialized: true,
    failed: false,
  });
  // Even when the finished init containers were garbage collected.
  assert.deepEqual(actions(s, [app]), { start: ['proxy'], initialized: true, failed: false });
});

test('a failed regular init container is retried unless the pod never restarts', () => {
  const failed = [crt('setup', 'CONTAINER_EXITED', 2)];
  assert.deepEqual(actions(spec([plain('setup')]), failed), { start: ['setup'], initialized: false, failed: false });
  assert.deepEqual(actions(spec([plain('setup')], { restartPolicy: 'OnFailure' }), failed).start, ['setup']);
  assert.deepEqual(actions(spec([plain('setup')], { restartPolicy: 'Never' }), failed), { start: [], initialized: false, failed: true });
  // A sidecar's exit never fails the pod, whatever its restartPolicy.
  assert.deepEqual(actions(spec([sidecar('proxy')], { restartPolicy: 'Never' }), [crt('proxy', 'CONTAINER_EXITED', 1)]).start, ['proxy']);
});

test('after a sandbox change (every container exited) the pod is initialized again from the start', () => {
  const s = spec([plain('setup')]);
  const r = actions(s, [crt('setup', 'CONTAINER_EXITED'), crt('app', 'CONTAINER_EXITED')]);
  assert.equal(r.initialized, true, 'the last init container completed');
  assert.deepEqual(actions(spec([sidecar('proxy')]), [crt('proxy', 'CONTAINER_EXITED'), crt('app', 'CONTAINER_EXITED')]), {
    start: ['proxy'],
    initialized: false,
    failed: false,
  });
});

test('termination order: sidecars wait for the app containers and for the sidecar declared after them', () => {
  const s: PodSpec = { initContainers: [sidecar('a'), plain('setup'), sidecar('b'), sidecar('c')], containers: [plain('app1'), plain('app2')] };
  const order = terminationPrereqs(s, ['a', 'b', 'c', 'app1', 'app2']);
  assert.deepEqual(Object.fromEntries(order), { c: ['app1', 'app2'], b: ['app1', 'app2', 'c'], a: ['app1', 'app2', 'b'] });
  // What no longer runs is no wait; the app containers wait for nothing.
  assert.deepEqual(Object.fromEntries(terminationPrereqs(s, ['a', 'c', 'app2'])), { c: ['app2'], a: ['app2'] });
  assert.deepEqual(Object.fromEntries(terminationPrereqs({ containers: [plain('x')] }, ['x'])), {});
});
