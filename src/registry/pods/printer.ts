// The pods table: READY, STATUS and RESTARTS computed exactly as upstream's printPod, which is
// what makes `kubectl get pods` look like a real cluster (Init:0/1, CrashLoopBackOff, Terminating...).
import type { Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '../../api/object.js';
import type { Printer } from '../../api/resource.js';
import { age, humanDuration } from '../../api/printers/duration.js';
import { AGE, NAME, col } from '../../api/printers/columns.js';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

export function podSummary(obj: KObject, now: Date): PodSummary {
  const pod = obj as unknown as Pod;
  const spec = pod.spec;
  const status = pod.status ?? {};
  const sidecars = new Set((spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let total = (spec?.containers ?? []).length + sidecars.size;
  let readyCount = 0;
  let restarts = 0;
  let lastRestart = 0;
  let reason = status.reason || status.phase || '';
  const conds = status.conditions ?? [];
  const scheduled = conds.find((c) => c.type === 'PodScheduled');
  if (scheduled?.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const noteRestart = (cs: { restartCount?: number; lastState?: { terminated?: { finishedAt?: string } } }) => {
    restarts += cs.restartCount ?? 0;
    const f = cs.lastState?.terminated?.finishedAt;
    if (f) lastRestart = Math.max(lastRestart, Date.parse(f));
  };
  // Sidecars' restarts alone: once the pod is initialized, regular init containers' no longer count.
  let sidecarRestarts = 0;
  let lastSidecarRestart = 0;

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  const initCount = (spec?.initContainers ?? []).length;
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    noteRestart(cs);
    const isSidecar = sidecars.has(cs.name);
    if (isSidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      const f = cs.lastState?.terminated?.finishedAt;
      if (f) lastSidecarRestart = Math.max(lastSidecarRestart, Date.parse(f));
    }
    const term = cs.state?.terminated;
    if (term && term.exitCode === 0) continue;
    if (isSidecar && cs.started) {
      if (cs.ready) readyCount++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (cs.state?.waiting?.reason && cs.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${cs.state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  // An initialized pod whose sidecar restarts still shows its app containers (upstream).
  if (!initializing || conds.some((c) => c.type === 'Initialized' && c.status === 'True')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      noteRestart(cs);
      const waiting = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.state?.running && cs.ready) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = conds.find((c) => c.type === 'Ready');
      reason = ready?.status === 'True' ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';
  total = Math.max(total, 0);
  let r = String(restarts);
  if (lastRestart > 0 && restarts > 0) r += ` (${humanDuration(now.getTime() - lastRestart)} ago)`;
  return { ready: `${readyCount}/${total}`, status: reason, restarts: r };
}

export function podCells(obj: KObject, now: Date): unknown[] {
  const pod = obj as unknown as Pod;
  const s = podSummary(obj, now);
  const gates = pod.spec?.readinessGates ?? [];
  let gateCell = '<none>';
  if (gates.length) {
    const conds = pod.status?.conditions ?? [];
    const met = gates.filter((g) => conds.some((c) => c.type === g.conditionType && c.status === 'True')).length;
    gateCell = `${met}/${gates.length}`;
  }
  return [
    pod.metadata?.name ?? '',
    s.ready,
    s.status,
    s.restarts,
    age(pod.metadata?.creationTimestamp, now),
    pod.status?.podIP || '<none>',
    pod.spec?.nodeName || '<none>',
    pod.status?.nominatedNodeName || '<none>',
    gateCell,
  ];
}

export const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 0, 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 0, 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 0, 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'string', 1, 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
    col('Node', 'string', 1, 'NodeName is a request to schedule this pod onto a specific node.'),
    col('Nominated Node', 'string', 1, 'nominatedNodeName is set only when this pod preempts other pods on the node.'),
    col('Readiness Gates', 'string', 1, 'If specified, all readiness gates will be evaluated for pod readiness.'),
  ],
  cells: podCells,
};
