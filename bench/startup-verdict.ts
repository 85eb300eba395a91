// The startup suite's verdicts: Berth's pod start-up latency against the floor measured in the
// same run (the same pods started by direct CRI calls, no Berth), and Berth's own share of the
// machine's CPU. Ratios rather than absolute targets: on a small or busy machine both sides slow
// down together, and what is left is the cost Berth adds.
import { median, percentile } from './common.js';

/** Berth's p50 and p99 may be at most this many times the floor's. */
export const MAX_LATENCY_RATIO = 1.25;
/** Berth's own CPU (agent + control plane) may be at most this share of the machine's busy CPU. */
export const MAX_CPU_SHARE = 0.2;

/** How the CPU verdict is defined, for the bench's output and the docs. */
export const CPU_SHARE_DEFINITION =
  "Berth's CPU share: (agent + control plane CPU time, user + system from /proc/PID/stat) / (the machine's busy CPU time from /proc/stat: all cores, user + nice + system + irq + softirq + steal), both over the same burst (first create → last pod Running); per pod both are divided by the pod count, so the share is the same";

/** CPU seconds over one burst (first request → last pod running). */
export interface BurstCpu {
  /** Busy time of all the machine's cores (/proc/stat). */
  machine: number;
  /** The agent process. */
  agent: number;
  /** The control plane: `berth server` and every process under it. */
  controlPlane: number;
}

export interface Verdict {
  metric: string;
  berth: number;
  floor: number;
  /** berth / floor. */
  value: number;
  limit: number;
  pass: boolean;
}

/** berth / floor against a limit; a floor of 0 (nothing to compare with) fails rather than divide by it. */
export function ratioVerdict(metric: string, berth: number, floor: number, limit = MAX_LATENCY_RATIO): Verdict {
  const value = floor > 0 ? berth / floor : Infinity;
  return { metric, berth, floor, value, limit, pass: value <= limit };
}

export interface CpuShareVerdict {
  /** Berth's CPU seconds (agent + control plane) and the machine's busy seconds in the burst. */
  berth: number;
  machine: number;
  berthPerPod: number;
  machinePerPod: number;
  /** berth / machine. */
  value: number;
  limit: number;
  pass: boolean;
}

/**
 * Berth's CPU per pod as a share of the machine's busy CPU per pod over the same interval; both
 * are divided by the same pod count, so this is Berth's share of the machine's busy time in the
 * burst. The machine's busy time includes everything else that ran then (the runtime, runc, CNI,
 * the kernel, and any other load on the machine, which lowers the share).
 */
export function cpuShareVerdict(cpu: BurstCpu, pods: number, limit = MAX_CPU_SHARE): CpuShareVerdict {
  const berth = cpu.agent + cpu.controlPlane;
  const value = cpu.machine > 0 ? berth / cpu.machine : Infinity;
  return { berth, machine: cpu.machine, berthPerPod: berth / pods, machinePerPod: cpu.machine / pods, value, limit, pass: value <= limit };
}

/** One run of the suite: per-pod latencies (ms) of both sides, and the CPU of Berth's burst. */
export interface RunSample {
  berth: number[];
  floor: number[];
  cpu: BurstCpu;
}

/**
 * The verdicts over several runs: each run's ratios and share (its two sides measured minutes
 * apart on the same node), then the median of those; the sides' own figures are medians too.
 */
export function summarize(runs: RunSample[], pods: number): { latency: Verdict[]; cpu: CpuShareVerdict } {
  if (runs.length === 0) throw new Error('no runs to summarize');
  const m = (f: (r: RunSample) => number) => median(runs.map(f));
  const latency = [50, 99].map((p) => {
    const value = m((r) => ratioVerdict(`p${p}`, percentile(r.berth, p), percentile(r.floor, p)).value);
    return {
      metric: `p${p}`,
      berth: m((r) => percentile(r.berth, p)),
      floor: m((r) => percentile(r.floor, p)),
      value,
      limit: MAX_LATENCY_RATIO,
      pass: value <= MAX_LATENCY_RATIO,
    };
  });
  const cpu = cpuShareVerdict({ machine: m((r) => r.cpu.machine), agent: m((r) => r.cpu.agent), controlPlane: m((r) => r.cpu.controlPlane) }, pods);
  const share = m((r) => cpuShareVerdict(r.cpu, pods).value);
  return { latency, cpu: { ...cpu, value: share, pass: share <= MAX_CPU_SHARE } };
}

const fmt = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '∞');

/** The run's table: each verdict with both sides, the ratio or share, the limit and pass/fail. */
export function verdictTable(latency: Verdict[], cpu: CpuShareVerdict): string {
  const rows = [
    '| metric | Berth | floor (direct CRI) | Berth / floor | limit | verdict |',
    '|---|---|---|---|---|---|',
    ...latency.map((v) => `| ${v.metric} | ${fmt(v.berth)} ms | ${fmt(v.floor)} ms | ${fmt(v.value, 2)} | ≤ ${v.limit} | ${v.pass ? 'pass' : 'FAIL'} |`),
    `| CPU per pod | ${fmt(cpu.berthPerPod * 1000)} ms Berth of ${fmt(cpu.machinePerPod * 1000)} ms machine |  | ${fmt(cpu.value * 100)} % | ≤ ${cpu.limit * 100} % | ${cpu.pass ? 'pass' : 'FAIL'} |`,
  ];
  return rows.join('\n');
}

/** A Prometheus sample, as test/e2e/prometheus.ts parses them. */
interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface CriCallRow {
  operation: string;
  /** Calls per pod over the burst. */
  perPod: number;
  /** Mean duration of a call over the burst, ms. */
  meanMs: number;
}

/**
 * The agent's CRI calls over a burst from two reads of its kubelet_runtime_operations metrics:
 * per pod and their mean duration, by operation, the most frequent first. Where Berth's agent
 * spends its runtime calls is what it can trim; the floor makes 5 per pod.
 */
export function criCallsPerPod(before: MetricSample[], after: MetricSample[], pods: number): CriCallRow[] {
  const read = (samples: MetricSample[]) => {
    const out = new Map<string, { count: number; seconds: number }>();
    for (const s of samples) {
      const op = s.labels.operation_type;
      if (!op) continue;
      const e = out.get(op) ?? { count: 0, seconds: 0 };
      if (s.name === 'kubelet_runtime_operations_duration_seconds_count') e.count = s.value;
      else if (s.name === 'kubelet_runtime_operations_duration_seconds_sum') e.seconds = s.value;
      else continue;
      out.set(op, e);
    }
    return out;
  };
  const a = read(before);
  const rows: CriCallRow[] = [];
  for (const [operation, b] of read(after)) {
    const count = b.count - (a.get(operation)?.count ?? 0);
    if (count <= 0) continue;
    const seconds = b.seconds - (a.get(operation)?.seconds ?? 0);
    rows.push({ operation, perPod: count / pods, meanMs: (seconds * 1000) / count });
  }
  return rows.sort((x, y) => y.perPod - x.perPod || x.operation.localeCompare(y.operation));
}

/**
 * The mean of a histogram's observations between two reads (its _sum and _count), in ms; NaN
 * when nothing was observed. For kubelet_pod_start_duration_seconds: the agent's part of a pod's
 * start (the pod first seen → running), beside Berth's whole latency from the create request.
 */
export function histogramMeanMs(before: MetricSample[], after: MetricSample[], name: string): number {
  const total = (samples: MetricSample[], suffix: string) => samples.filter((s) => s.name === `${name}_${suffix}`).reduce((a, s) => a + s.value, 0);
  const count = total(after, 'count') - total(before, 'count');
  return count > 0 ? ((total(after, 'sum') - total(before, 'sum')) * 1000) / count : NaN;
}
