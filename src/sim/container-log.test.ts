import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { ByteBudget, SimLogError, exitLine, findContainer, followedRunEnd, formatLines, runLines, selectRun } from './container-log.js';

const T0 = '2026-01-02T03:04:05Z';
const T1 = '2026-01-02T03:04:07Z';
const T2 = '2026-01-02T03:04:20Z';

function pod(statuses: ContainerStatus[] = [], extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u' },
    spec: { nodeName: 'sim-0', containers: [{ name: 'app', image: 'nginx', command: ['sh', '-c', 'echo hi; sleep 1'], args: ['--x=1'] }], ...extra },
    status: { containerStatuses: statuses },
  };
}
const cs = (state: ContainerStatus['state'], lastState: ContainerStatus['lastState'] = {}, restartCount = 0): ContainerStatus => ({
  name: 'app',
  image: 'docker.io/library/nginx:latest',
  imageID: '',
  ready: false,
  restartCount,
  state,
  lastState,
});
const errorOf = (fn: () => unknown): SimLogError => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SimLogError, String(e));
    return e;
  }
  assert.fail('no error');
};

test('a running container printed one line: started, with its image and command, naming the simulated node', () => {
  const p = pod([cs({ running: { startedAt: T0 } })]);
  const c = findContainer(p, undefined);
  const run = selectRun(p, c, false);
  assert.deepEqual(run, { startedAt: T0 });
  assert.deepEqual(formatLines(runLines(c.spec, 'sim-0', run), {}), [
    '[berth sim] container app started on simulated node sim-0: image nginx, command sh -c "echo hi; sleep 1" --x=1 (nothing really runs)\n',
  ]);
});

test("a container without a command runs the image's entrypoint", () => {
  const p = pod([cs({ running: { startedAt: T0 } })], { containers: [{ name: 'app', image: 'busybox', args: ['sleep', '3600'] }] });
  const c = findContainer(p, 'app');
  assert.match(runLines(c.spec, 'sim-1', selectRun(p, c, false))[0]!.text, /image busybox, command \(image entrypoint\) sleep 3600 \(/);
});

test('a run that ended adds its exit line with code and reason; --previous shows the run before', () => {
  const ended = pod([cs({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1, reason: 'Error', startedAt: T0, finishedAt: T1 } }, 1)]);
  const c = findContainer(ended, 'app');
  // Waiting for a restart: the current log is the last run's, as upstream's kubelet shows it.
  for (const previous of [false, true]) {
    const run = selectRun(ended, c, previous);
    assert.deepEqual(run, { startedAt: T0, finishedAt: T1, exitCode: 1, reason: 'Error' });
    const lines = formatLines(runLines(c.spec, 'sim-0', run), { timestamps: true });
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^2026-01-02T03:04:05\.000000000Z \[berth sim\] container app started/);
    assert.equal(lines[1], '2026-01-02T03:04:07.000000000Z [berth sim] container app exited with code 1 (Error)\n');
  }
  const restarted = pod([cs({ running: { startedAt: T2 } }, { terminated: { exitCode: 0, reason: 'Completed', startedAt: T0, finishedAt: T1 } }, 1)]);
  assert.equal(selectRun(restarted, findContainer(restarted, 'app'), false).startedAt, T2);
  assert.equal(selectRun(restarted, findContainer(restarted, 'app'), true).startedAt, T0);
});

test('errors as upstream: waiting to start, no previous run, unknown container, no container named', () => {
  const waiting = pod([cs({ waiting: { reason: 'ContainerCreating' } })]);
  let e = errorOf(() => selectRun(waiting, findContainer(waiting, 'app'), false));
  assert.deepEqual([e.code, e.message], [400, 'container "app" in pod "web" is waiting to start: ContainerCreating']);
  e = errorOf(() => selectRun(pod(), findContainer(pod(), 'app'), false));
  assert.equal(e.message, 'container "app" in pod "web" is waiting to start: ContainerCreating', 'no status yet');
  e = errorOf(() => selectRun(waiting, findContainer(waiting, 'app'), true));
  assert.deepEqual([e.code, e.message], [400, 'previous terminated container "app" in pod "web" not found']);
  e = errorOf(() => findContainer(waiting, 'nope'));
  assert.deepEqual([e.code, e.reason, e.message], [404, 'NotFound', 'container "nope" not found in pod "web"']);
  const two = pod([], { containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'i' }] });
  e = errorOf(() => findContainer(two, undefined));
  assert.deepEqual([e.code, e.message], [400, 'a container name must be specified for pod web, choose one of: [i a b]']);
  two.metadata!.annotations = { 'kubectl.kubernetes.io/default-container': 'b' };
  assert.equal(findContainer(two, undefined).spec.name, 'b');
  // A container stopped before it ever started (deleted while creating) has nothing to show.
  const never = pod([cs({ terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } })]);
  e = errorOf(() => selectRun(never, findContainer(never, 'app'), false));
  assert.equal(e.message, 'container "app" in pod "web" is terminated');
});

test('init containers have logs too', () => {
  const p = pod([], { initContainers: [{ name: 'setup', image: 'busybox', command: ['true'] }] });
  p.status!.initContainerStatuses = [{ ...cs({ terminated: { exitCode: 0, reason: 'Completed', startedAt: T0, finishedAt: T1 } }), name: 'setup' }];
  const c = findContainer(p, 'setup');
  assert.deepEqual(formatLines(runLines(c.spec, 'sim-0', selectRun(p, c, false)), {}), [
    '[berth sim] container setup started on simulated node sim-0: image busybox, command true (nothing really runs)\n',
    '[berth sim] container setup exited with code 0 (Completed)\n',
  ]);
});

test('tailLines keeps the last lines, sinceTime drops older ones, limitBytes cuts the bytes', () => {
  const c = findContainer(pod(), 'app').spec;
  const lines = runLines(c, 'sim-0', { startedAt: T0, finishedAt: T1, exitCode: 0, reason: 'Completed' });
  assert.equal(formatLines(lines, { tailLines: 1 }).length, 1);
  assert.match(formatLines(lines, { tailLines: 1 })[0]!, /exited with code 0 \(Completed\)/);
  assert.deepEqual(formatLines(lines, { tailLines: 0 }), []);
  assert.equal(formatLines(lines, { tailLines: 5 }).length, 2);
  assert.equal(formatLines(lines, { sinceTimeMs: Date.parse(T0) + 1000 }).length, 1);
  assert.equal(formatLines(lines, { sinceTimeMs: Date.parse(T1) + 1000 }).length, 0);
  const b = new ByteBudget(10);
  assert.equal(b.take('[berth sim] x').toString(), '[berth sim');
  assert.equal(b.spent, true);
  assert.equal(b.take('more').length, 0);
  const unlimited = new ByteBudget(undefined);
  assert.equal(unlimited.take('abc').toString(), 'abc');
  assert.equal(unlimited.spent, false);
});

test('a followed run ends when its status shows it ended, or when the pod is gone', () => {
  const run = { startedAt: T0 };
  assert.equal(followedRunEnd(pod([cs({ running: { startedAt: T0 } })]), 'app', run), undefined, 'still running');
  const ended = followedRunEnd(pod([cs({ terminated: { exitCode: 3, reason: 'Error', startedAt: T0, finishedAt: T1 } })]), 'app', run);
  assert.deepEqual(ended, { startedAt: T0, finishedAt: T1, exitCode: 3, reason: 'Error' });
  assert.equal(exitLine(findContainer(pod(), 'app').spec, ended as never)!.text, '[berth sim] container app exited with code 3 (Error)');
  // Already restarted when seen: the run's end is in lastState.
  const restarted = pod([cs({ running: { startedAt: T2 } }, { terminated: { exitCode: 1, reason: 'Error', startedAt: T0, finishedAt: T1 } }, 1)]);
  assert.deepEqual(followedRunEnd(restarted, 'app', run), { startedAt: T0, finishedAt: T1, exitCode: 1, reason: 'Error' });
  assert.equal(followedRunEnd(undefined, 'app', run), 'gone');
  assert.equal(followedRunEnd(pod([cs({ running: { startedAt: T2 } })]), 'app', run), 'gone', 'replaced without its end seen');
});
