import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_CPU_SHARE,
  MAX_LATENCY_RATIO,
  cpuShareVerdict,
  criCallsPerPod,
  histogramMeanMs,
  ratioVerdict,
  summarize,
  verdictTable,
} from './startup-verdict.js';

test('a ratio passes at the limit and fails above it', () => {
  assert.deepEqual(ratioVerdict('p50', 125, 100), { metric: 'p50', berth: 125, floor: 100, value: 1.25, limit: MAX_LATENCY_RATIO, pass: true });
  const over = ratioVerdict('p99', 126, 100);
  assert.equal(over.value, 1.26);
  assert.equal(over.pass, false);
  // Berth faster than the floor (noise on a busy machine) passes.
  assert.equal(ratioVerdict('p50', 80, 100).pass, true);
});

test('a floor of 0 is nothing to compare with: the ratio fails', () => {
  const v = ratioVerdict('p50', 10, 0);
  assert.equal(v.value, Infinity);
  assert.equal(v.pass, false);
});

test("Berth's CPU share is agent + control plane over the machine's busy time, per pod the same", () => {
  const v = cpuShareVerdict({ machine: 15, agent: 1.5, controlPlane: 1.2 }, 50);
  assert.equal(v.value, 2.7 / 15);
  assert.equal(v.pass, true);
  assert.equal(v.berthPerPod, 2.7 / 50);
  assert.equal(v.machinePerPod, 15 / 50);
  const over = cpuShareVerdict({ machine: 10, agent: 1.5, controlPlane: 0.6 }, 50);
  assert.ok(over.value > MAX_CPU_SHARE);
  assert.equal(over.pass, false);
  assert.equal(cpuShareVerdict({ machine: 0, agent: 0, controlPlane: 0 }, 50).pass, false);
});

test("runs are summarized by the median of each run's ratio, not the ratio of the medians", () => {
  const cpu = (machine: number, agent: number) => ({ machine, agent, controlPlane: 0 });
  const ms = (base: number) => Array.from({ length: 100 }, (_, i) => base + i); // p50 = base+49, p99 = base+98
  const s = summarize(
    [
      { berth: ms(1000), floor: ms(1000), cpu: cpu(10, 1) }, // p50 ratio 1, share 10 %
      { berth: ms(3000), floor: ms(1000), cpu: cpu(10, 3) }, // p50 ratio 3049/1049, share 30 %
      { berth: ms(2000), floor: ms(2000), cpu: cpu(20, 3) }, // p50 ratio 1, share 15 %
    ],
    100,
  );
  const [p50, p99] = s.latency;
  assert.equal(p50!.metric, 'p50');
  assert.equal(p50!.value, 1);
  assert.equal(p50!.pass, true);
  // The sides' own figures are their medians.
  assert.equal(p50!.berth, 2049);
  assert.equal(p50!.floor, 1049);
  assert.equal(p99!.berth, 2098);
  assert.equal(s.cpu.value, 0.15);
  assert.equal(s.cpu.pass, true);
  assert.throws(() => summarize([], 10), /no runs/);
});

test('the table shows both sides, the ratio, the limit and the verdict', () => {
  const t = verdictTable([ratioVerdict('p50', 500, 400), ratioVerdict('p99', 1000, 500)], cpuShareVerdict({ machine: 10, agent: 1, controlPlane: 0.5 }, 50));
  const lines = t.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[2]!, /^\| p50 \| 500\.0 ms \| 400\.0 ms \| 1\.25 \| ≤ 1\.25 \| pass \|$/);
  assert.match(lines[3]!, /^\| p99 \| 1000\.0 ms \| 500\.0 ms \| 2\.00 \| ≤ 1\.25 \| FAIL \|$/);
  assert.match(lines[4]!, /30\.0 ms Berth of 200\.0 ms machine .* 15\.0 % \| ≤ 20 % \| pass/);
});

test("the agent's CRI calls over a burst: the difference of two reads, per pod, with their mean duration", () => {
  const s = (op: string, count: number, sum: number): Array<{ name: string; labels: Record<string, string>; value: number }> => [
    { name: 'kubelet_runtime_operations_duration_seconds_count', labels: { operation_type: op }, value: count },
    { name: 'kubelet_runtime_operations_duration_seconds_sum', labels: { operation_type: op }, value: sum },
    { name: 'kubelet_runtime_operations_duration_seconds_bucket', labels: { operation_type: op, le: '+Inf' }, value: count },
  ];
  const before = [...s('list_podsandbox', 10, 0.1), ...s('version', 1, 0.001)];
  const after = [...s('list_podsandbox', 40, 0.4), ...s('run_podsandbox', 10, 5), ...s('version', 1, 0.001)];
  const rows = criCallsPerPod(before, after, 10);
  // version made no call in between: left out.
  assert.deepEqual(
    rows.map((r) => [r.operation, r.perPod]),
    [
      ['list_podsandbox', 3],
      ['run_podsandbox', 1],
    ],
  );
  assert.ok(Math.abs(rows[0]!.meanMs - 10) < 1e-9, String(rows[0]!.meanMs));
  assert.ok(Math.abs(rows[1]!.meanMs - 500) < 1e-9, String(rows[1]!.meanMs));
});

test("a histogram's mean between two reads, in ms; NaN when nothing was observed", () => {
  const h = (count: number, sum: number): Array<{ name: string; labels: Record<string, string>; value: number }> => [
    { name: 'kubelet_pod_start_duration_seconds_count', labels: {}, value: count },
    { name: 'kubelet_pod_start_duration_seconds_sum', labels: {}, value: sum },
    { name: 'kubelet_pod_start_duration_seconds_bucket', labels: { le: '1' }, value: count },
  ];
  assert.equal(histogramMeanMs(h(1, 0.5), h(5, 8.5), 'kubelet_pod_start_duration_seconds'), 2000);
  assert.ok(Number.isNaN(histogramMeanMs(h(5, 8.5), h(5, 8.5), 'kubelet_pod_start_duration_seconds')));
});
