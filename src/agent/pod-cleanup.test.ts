import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../runtime/index.js';
import { LABEL_POD_UID } from './container-config.js';
import { removePodFromNode, stopPodNow } from './pod-cleanup.js';

/** Just enough of a runtime to hold containers and sandboxes by pod uid label, and record calls. */
function fakeRuntime(o: { failSandbox?: string } = {}) {
  const containers = [
    { id: 'c1', podSandboxId: 's1', state: 'CONTAINER_RUNNING', labels: { [LABEL_POD_UID]: 'u1' } },
    { id: 'c2', podSandboxId: 's1', state: 'CONTAINER_EXITED', labels: { [LABEL_POD_UID]: 'u1' } },
    { id: 'other', podSandboxId: 's9', state: 'CONTAINER_RUNNING', labels: { [LABEL_POD_UID]: 'u9' } },
  ];
  const sandboxes = [
    { id: 's1', state: 'SANDBOX_READY', labels: { [LABEL_POD_UID]: 'u1' } },
    { id: 's2', state: 'SANDBOX_NOTREADY', labels: { [LABEL_POD_UID]: 'u1' } },
    { id: 's9', state: 'SANDBOX_READY', labels: { [LABEL_POD_UID]: 'u9' } },
  ];
  const calls: string[] = [];
  const match = (labels: Record<string, string>, f?: { labelSelector?: Record<string, string> }) =>
    Object.entries(f?.labelSelector ?? {}).every(([k, v]) => labels[k] === v);
  const rt = {
    listContainers: async (f?: { labelSelector?: Record<string, string> }) => containers.filter((c) => match(c.labels, f)),
    listPodSandbox: async (f?: { labelSelector?: Record<string, string> }) => sandboxes.filter((s) => match(s.labels, f)),
    stopContainer: async (id: string, timeout: number) => void calls.push(`stopContainer ${id} ${timeout}`),
    removeContainer: async (id: string) => {
      calls.push(`removeContainer ${id}`);
      containers.splice(
        containers.findIndex((c) => c.id === id),
        1,
      );
    },
    stopPodSandbox: async (id: string) => void calls.push(`stopPodSandbox ${id}`),
    removePodSandbox: async (id: string) => {
      if (id === o.failSandbox) throw new Error(`network of ${id} not torn down`);
      calls.push(`removePodSandbox ${id}`);
      sandboxes.splice(
        sandboxes.findIndex((s) => s.id === id),
        1,
      );
    },
  };
  return { runtime: rt as unknown as Runtime, calls, containers, sandboxes };
}

function nodeDirs() {
  const root = mkdtempSync(join(tmpdir(), 'berth-cleanup-'));
  const logRoot = join(root, 'pod-logs');
  const podsRoot = join(root, 'pods');
  mkdirSync(join(logRoot, 'ns_web_u1'), { recursive: true });
  writeFileSync(join(logRoot, 'ns_web_u1', '0.log'), 'x');
  mkdirSync(join(logRoot, 'ns_db_u9'), { recursive: true });
  mkdirSync(join(podsRoot, 'u1', 'volumes'), { recursive: true });
  mkdirSync(join(podsRoot, 'u9', 'volumes'), { recursive: true });
  return { root, logRoot, podsRoot, cgroupRoot: `/berth-test-${process.pid}` };
}

test("pod clean-up: the pod's containers, sandboxes, logs and volume dir go; another pod's stay", async (t) => {
  const f = fakeRuntime();
  const dirs = nodeDirs();
  t.after(() => rmSync(dirs.root, { recursive: true, force: true }));
  const logs: string[] = [];
  await removePodFromNode({ runtime: f.runtime, ...dirs, log: (m) => logs.push(m) }, { uid: 'u1', namespace: 'ns', name: 'web' });
  assert.deepEqual(
    f.containers.map((c) => c.id),
    ['other'],
  );
  assert.deepEqual(
    f.sandboxes.map((s) => s.id),
    ['s9'],
  );
  assert.deepEqual(
    f.calls.filter((c) => c.startsWith('stopPodSandbox')),
    ['stopPodSandbox s1', 'stopPodSandbox s2'],
    'each sandbox stopped before its removal',
  );
  assert.equal(existsSync(join(dirs.logRoot, 'ns_web_u1')), false);
  assert.equal(existsSync(join(dirs.podsRoot, 'u1')), false);
  assert.equal(existsSync(join(dirs.logRoot, 'ns_db_u9')), true);
  assert.equal(existsSync(join(dirs.podsRoot, 'u9')), true);
  assert.deepEqual(logs, []);
});

test('pod clean-up: a sandbox that cannot be removed is thrown, after everything else was done', async (t) => {
  const f = fakeRuntime({ failSandbox: 's1' });
  const dirs = nodeDirs();
  t.after(() => rmSync(dirs.root, { recursive: true, force: true }));
  const logs: string[] = [];
  await assert.rejects(
    removePodFromNode({ runtime: f.runtime, ...dirs, log: (m) => logs.push(m) }, { uid: 'u1', namespace: 'ns', name: 'web' }),
    /network of s1 not torn down/,
  );
  assert.deepEqual(
    f.sandboxes.map((s) => s.id),
    ['s1', 's9'],
    's2 removed despite s1',
  );
  assert.equal(existsSync(join(dirs.logRoot, 'ns_web_u1')), false, 'logs removed anyway');
  assert.match(logs.join('\n'), /pod ns\/web: remove sandbox s1: network of s1 not torn down/);
});

test('stopping a pod without a worker: only its running containers, with the least grace', async () => {
  const f = fakeRuntime();
  await stopPodNow(f.runtime, 'u1');
  assert.deepEqual(f.calls, ['stopContainer c1 2']);
});
