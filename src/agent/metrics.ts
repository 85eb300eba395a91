// The node agent's metrics, named and labelled as kubelet's (pkg/kubelet/metrics/metrics.go),
// in the process's registry: CRI call latency (by wrapping the Runtime, so the callers do not
// change), pod start latency, and the running pods and containers seen by the last relist.
import type { PodStatus } from 'kubernetes-types/core/v1';
import { Gauge, Histogram, exponentialBuckets } from 'prom-client';
import { registry } from '../metrics/registry.js';
import { FastCounter, FastHistogram } from '../metrics/fast.js';
import type { Runtime } from '../runtime/index.js';

const runtimeDuration = new FastHistogram(
  'kubelet_runtime_operations_duration_seconds',
  'Duration in seconds of runtime operations. Broken down by operation type.',
  ['operation_type'],
  exponentialBuckets(0.005, 2.5, 14),
);
const runtimeTotal = new FastCounter('kubelet_runtime_operations_total', 'Cumulative number of runtime operations by operation type.', ['operation_type']);
const runtimeErrors = new FastCounter('kubelet_runtime_operations_errors_total', 'Cumulative number of runtime operation errors by operation type.', [
  'operation_type',
]);
const runtimeChild = (op: string) => ({ duration: runtimeDuration.child(op), total: runtimeTotal.child(op), errors: runtimeErrors.child(op) });

/** The CRI calls as kubelet's instrumented runtime service names them (run_podsandbox, ...). */
const OPERATIONS: Partial<Record<keyof Runtime, string>> = {
  version: 'version',
  status: 'status',
  runPodSandbox: 'run_podsandbox',
  stopPodSandbox: 'stop_podsandbox',
  removePodSandbox: 'remove_podsandbox',
  podSandboxStatus: 'podsandbox_status',
  listPodSandbox: 'list_podsandbox',
  createContainer: 'create_container',
  startContainer: 'start_container',
  stopContainer: 'stop_container',
  removeContainer: 'remove_container',
  listContainers: 'list_containers',
  containerStatus: 'container_status',
  execSync: 'exec_sync',
  exec: 'exec',
  imageStatus: 'image_status',
  pullImage: 'pull_image',
  listImages: 'list_images',
  removeImage: 'remove_image',
};

/** The runtime with every CRI call counted and timed. */
export function instrumentRuntime<R extends Runtime>(runtime: R): R {
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      const op = typeof prop === 'string' ? OPERATIONS[prop as keyof Runtime] : undefined;
      if (!op || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const m = runtimeChild(op);
        const t0 = performance.now();
        const done = () => {
          m.total.inc();
          m.duration.observe((performance.now() - t0) / 1000);
        };
        return (value.apply(target, args) as Promise<unknown>).then(
          (r) => {
            done();
            return r;
          },
          (e: unknown) => {
            done();
            m.errors.inc();
            throw e;
          },
        );
      };
    },
  });
}

const podStartDuration = new Histogram({
  name: 'kubelet_pod_start_duration_seconds',
  help: 'Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
  buckets: [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600],
  registers: [registry],
});

/**
 * kubelet_pod_start_duration_seconds: from the agent's first sight of a pending pod to the
 * first status it writes with phase Running. Pods it adopts already running are not counted.
 */
export class PodStartTracker {
  private readonly firstSeen = new Map<string, number>();

  seen(uid: string, status: PodStatus | undefined): void {
    if (this.firstSeen.has(uid) || (status?.phase && status.phase !== 'Pending')) return;
    this.firstSeen.set(uid, performance.now());
  }

  statusWritten(uid: string, status: PodStatus | undefined): void {
    if (status?.phase !== 'Running') return;
    const t0 = this.firstSeen.get(uid);
    if (t0 === undefined) return;
    this.firstSeen.delete(uid);
    podStartDuration.observe((performance.now() - t0) / 1000);
  }

  forget(uid: string): void {
    this.firstSeen.delete(uid);
  }
}

/** What the agents of this process saw in their last relist. */
export interface RuntimeCounts {
  runningPods: number;
  containers: Record<'created' | 'running' | 'exited' | 'unknown', number>;
}

const agents = new Set<() => RuntimeCounts | undefined>();

new Gauge({
  name: 'kubelet_running_pods',
  help: 'Number of pods that have a running pod sandbox',
  registers: [registry],
  collect() {
    let n = 0;
    for (const a of agents) n += a()?.runningPods ?? 0;
    this.set(n);
  },
});

new Gauge({
  name: 'kubelet_running_containers',
  help: 'Number of containers currently running',
  labelNames: ['container_state'],
  registers: [registry],
  collect() {
    const sum: RuntimeCounts['containers'] = { created: 0, running: 0, exited: 0, unknown: 0 };
    for (const a of agents) for (const [state, n] of Object.entries(a()?.containers ?? {})) sum[state as keyof typeof sum] += n;
    for (const [state, n] of Object.entries(sum)) this.labels(state).set(n);
  },
});

/** Reports an agent's relist counts until the returned function runs. */
export function reportRuntimeCounts(counts: () => RuntimeCounts | undefined): () => void {
  agents.add(counts);
  return () => agents.delete(counts);
}

/** Counts of a relist's sandboxes and containers, by CRI state. */
export function runtimeCounts(sandboxes: { state: string }[], containers: { state: string }[]): RuntimeCounts {
  const out: RuntimeCounts = { runningPods: 0, containers: { created: 0, running: 0, exited: 0, unknown: 0 } };
  for (const s of sandboxes) if (s.state === 'SANDBOX_READY') out.runningPods++;
  for (const c of containers) {
    const state = c.state.replace(/^CONTAINER_/, '').toLowerCase();
    if (state in out.containers) out.containers[state as keyof RuntimeCounts['containers']]++;
    else out.containers.unknown++;
  }
  return out;
}
