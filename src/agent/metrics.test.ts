import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registry } from '../metrics/registry.js';
import type { Runtime } from '../runtime/index.js';
import { PodStartTracker, instrumentRuntime, runtimeCounts } from './metrics.js';

async function sample(name: string, labels: Record<string, string> = {}, series = name): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values
    .filter((v) => ((v as { metricName?: string }).metricName ?? name) === series && Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((s, v) => s + v.value, 0);
}

test('instrumentRuntime: CRI calls counted and timed by upstream operation_type, errors too; other members pass through', async () => {
  const fake = {
    calls: 0,
    async startContainer(id: string) {
      this.calls++;
      if (id === 'bad') throw new Error('no such container');
    },
    async runPodSandbox() {
      return 'sandbox-1';
    },
    close() {
      this.calls = -1;
    },
  };
  const rt = instrumentRuntime(fake as unknown as Runtime & typeof fake);
  const before = {
    start: await sample('kubelet_runtime_operations_total', { operation_type: 'start_container' }),
    startErrors: await sample('kubelet_runtime_operations_errors_total', { operation_type: 'start_container' }),
    run: await sample('kubelet_runtime_operations_duration_seconds', { operation_type: 'run_podsandbox' }, 'kubelet_runtime_operations_duration_seconds_count'),
  };
  await rt.startContainer('good');
  await assert.rejects(rt.startContainer('bad'), /no such container/);
  assert.equal(await rt.runPodSandbox({} as never), 'sandbox-1');
  assert.equal(fake.calls, 2, 'the calls reached the runtime, with its this');
  rt.close();
  assert.equal(fake.calls, -1);
  assert.equal((await sample('kubelet_runtime_operations_total', { operation_type: 'start_container' })) - before.start, 2);
  assert.equal((await sample('kubelet_runtime_operations_errors_total', { operation_type: 'start_container' })) - before.startErrors, 1);
  assert.equal(
    (await sample('kubelet_runtime_operations_duration_seconds', { operation_type: 'run_podsandbox' }, 'kubelet_runtime_operations_duration_seconds_count')) -
      before.run,
    1,
  );
});

test('runtimeCounts: running pods are ready sandboxes; containers by CRI state', () => {
  assert.deepEqual(
    runtimeCounts(
      [{ state: 'SANDBOX_READY' }, { state: 'SANDBOX_NOTREADY' }, { state: 'SANDBOX_READY' }],
      [
        { state: 'CONTAINER_RUNNING' },
        { state: 'CONTAINER_EXITED' },
        { state: 'CONTAINER_RUNNING' },
        { state: 'CONTAINER_CREATED' },
        { state: 'CONTAINER_UNKNOWN' },
      ],
    ),
    { runningPods: 2, containers: { created: 1, running: 2, exited: 1, unknown: 1 } },
  );
});

test('PodStartTracker: one observation per pod, from first sight while pending to the first Running status; adopted running pods are not counted', async () => {
  const count = () => sample('kubelet_pod_start_duration_seconds', {}, 'kubelet_pod_start_duration_seconds_count');
  const before = await count();
  const t = new PodStartTracker();
  t.seen('new', undefined);
  t.seen('adopted', { phase: 'Running' });
  t.statusWritten('new', { phase: 'Pending' });
  assert.equal(await count(), before, 'not running yet');
  t.statusWritten('new', { phase: 'Running' });
  t.statusWritten('new', { phase: 'Running' });
  t.statusWritten('adopted', { phase: 'Running' });
  assert.equal((await count()) - before, 1);
  t.seen('gone', { phase: 'Pending' });
  t.forget('gone');
  t.statusWritten('gone', { phase: 'Running' });
  assert.equal((await count()) - before, 1);
});
