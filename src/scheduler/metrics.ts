// The scheduler's metrics, named and labelled as kube-scheduler's
// (pkg/scheduler/metrics/metrics.go), in the process's registry.
import { Gauge, Histogram, exponentialBuckets } from 'prom-client';
import { registry } from '../metrics/registry.js';
import { FastCounter, FastHistogram } from '../metrics/fast.js';

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

const attempts = new FastCounter(
  'scheduler_schedule_attempts_total',
  "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
  ['result', 'profile'],
);

const attemptDuration = new FastHistogram(
  'scheduler_scheduling_attempt_duration_seconds',
  'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
  ['result', 'profile'],
  exponentialBuckets(0.001, 2, 15),
);

const sliDuration = new FastHistogram(
  'scheduler_pod_scheduling_sli_duration_seconds',
  'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.',
  ['attempts'],
  exponentialBuckets(0.01, 2, 20),
);

/** One scheduling attempt ended: counted, and its duration from the start of the cycle. */
export function observeAttempt(result: AttemptResult, profile: string, seconds: number): void {
  attempts.child(result, profile).inc();
  attemptDuration.child(result, profile).observe(seconds);
}

/** A pod got bound: the time since it first entered the queue, by how many attempts it took. */
export function observePodScheduled(attemptCount: number, seconds: number): void {
  sliDuration.child(String(attemptCount)).observe(seconds);
}

export type PendingCounts = { active: number; backoff: number; unschedulable: number; gated: number };

/**
 * scheduler_pending_pods by queue, read from the running schedulers' queues at scrape time
 * (nothing to update on the hot path). Several schedulers in one process (tests) add up.
 */
const queues = new Set<() => PendingCounts>();
new Gauge({
  name: 'scheduler_pending_pods',
  help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
  labelNames: ['queue'],
  registers: [registry],
  collect() {
    const sum: PendingCounts = { active: 0, backoff: 0, unschedulable: 0, gated: 0 };
    for (const q of queues) for (const [k, n] of Object.entries(q())) sum[k as keyof PendingCounts] += n;
    for (const [queue, n] of Object.entries(sum)) this.labels(queue).set(n);
  },
});

/** Reports a scheduler's queue in scheduler_pending_pods until the returned function is called. */
export function reportPendingPods(counts: () => PendingCounts): () => void {
  queues.add(counts);
  return () => queues.delete(counts);
}
