// What a simulated container "printed" (kwok-style made-up output): nothing runs, so its log
// says what would have: one line when a run of the container starts (its image and command)
// and one when it ends (its exit code and reason), at the times its status reports. Which run
// a request means (the current one, or --previous) follows upstream's kubelet, as do its errors.
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { fixedNanoTimestamp, type LogOptions } from '../kubelet/index.js';

export interface SimLogLine {
  /** RFC 3339, as the container status has it. */
  time: string;
  text: string;
}

/** One run of a container, as its status reports it; finishedAt unset while it runs. */
export interface ContainerRun {
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
}

/** A request the simulator cannot serve; code and reason as the Status it answers. */
export class SimLogError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ContainerRef {
  spec: Container;
  status?: ContainerStatus;
}

/** The container of the pod a logs request names (the default one when unnamed), or why not. */
export function findContainer(pod: Pod, name: string | undefined): ContainerRef {
  const podName = pod.metadata?.name ?? '';
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  if (!name) {
    name =
      pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'] ?? (pod.spec?.containers?.length === 1 ? pod.spec.containers[0]!.name : undefined);
    if (!name)
      throw new SimLogError(400, 'BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${specs.map((c) => c.name).join(' ')}]`);
  }
  const spec = specs.find((c) => c.name === name);
  if (!spec) throw new SimLogError(404, 'NotFound', `container "${name}" not found in pod "${podName}"`);
  const status = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === name);
  return { spec, status };
}

/**
 * The run whose log is asked for: with previous, the last one that ended; else the current
 * one, or, while the container waits to be restarted, the one that ended last (as upstream).
 */
export function selectRun(pod: Pod, c: ContainerRef, previous: boolean): ContainerRun {
  const podName = pod.metadata?.name ?? '';
  const name = c.spec.name;
  const last = c.status?.lastState?.terminated;
  const state = c.status?.state;
  const ended = (t: NonNullable<typeof last>): ContainerRun => ({
    startedAt: t.startedAt ?? t.finishedAt ?? '',
    finishedAt: t.finishedAt ?? '',
    exitCode: t.exitCode,
    reason: t.reason,
  });
  if (previous) {
    if (!last?.startedAt) throw new SimLogError(400, 'BadRequest', `previous terminated container "${name}" in pod "${podName}" not found`);
    return ended(last);
  }
  if (state?.running?.startedAt) return { startedAt: state.running.startedAt };
  // A container stopped before it ever started has no run to show.
  if (state?.terminated?.startedAt) return ended(state.terminated);
  if (last?.startedAt) return ended(last);
  if (state?.terminated) throw new SimLogError(400, 'BadRequest', `container "${name}" in pod "${podName}" is terminated`);
  throw new SimLogError(400, 'BadRequest', `container "${name}" in pod "${podName}" is waiting to start: ${state?.waiting?.reason || 'ContainerCreating'}`);
}

/** The command a container runs, shell-quoted where needed; the image's own entrypoint when the spec sets none. */
function commandLine(c: Container): string {
  const argv = c.command?.length ? [...c.command, ...(c.args ?? [])] : ['(image entrypoint)', ...(c.args ?? [])];
  return argv.map((a, i) => ((i === 0 && !c.command?.length) || /^[^\s"'\\$`]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function startLine(c: Container, nodeName: string, run: ContainerRun): SimLogLine {
  return {
    time: run.startedAt,
    text: `[berth sim] container ${c.name} started on simulated node ${nodeName}: image ${c.image ?? ''}, command ${commandLine(c)} (nothing really runs)`,
  };
}

export function exitLine(c: Container, run: ContainerRun): SimLogLine | undefined {
  if (run.finishedAt === undefined) return undefined;
  return { time: run.finishedAt, text: `[berth sim] container ${c.name} exited with code ${run.exitCode ?? 0}${run.reason ? ` (${run.reason})` : ''}` };
}

/** The lines of one run so far. */
export function runLines(c: Container, nodeName: string, run: ContainerRun): SimLogLine[] {
  const end = exitLine(c, run);
  return end ? [startLine(c, nodeName, run), end] : [startLine(c, nodeName, run)];
}

/** Lines as kubectl logs shows them: since, then tail, each with its timestamp if asked for. */
export function formatLines(lines: readonly SimLogLine[], o: Pick<LogOptions, 'sinceTimeMs' | 'tailLines' | 'timestamps'>): string[] {
  let kept = o.sinceTimeMs === undefined ? lines : lines.filter((l) => Date.parse(l.time) >= o.sinceTimeMs!);
  if (o.tailLines !== undefined && o.tailLines >= 0) kept = kept.slice(Math.max(0, kept.length - o.tailLines));
  return kept.map((l) => `${o.timestamps ? `${fixedNanoTimestamp(l.time)} ` : ''}${l.text}\n`);
}

/**
 * Where a followed run stands in a newer copy of the pod: the exit line once it ended (its
 * status, or the lastState of the run after it, shows the same start), 'gone' when the pod is
 * gone or its container can't be found, undefined while it still runs.
 */
export function followedRunEnd(pod: Pod | undefined, name: string, run: ContainerRun): ContainerRun | 'gone' | undefined {
  if (!pod) return 'gone';
  const st = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === name);
  if (!st) return 'gone';
  for (const t of [st.state?.terminated, st.lastState?.terminated]) {
    if (t?.startedAt === run.startedAt && t.finishedAt) return { ...run, finishedAt: t.finishedAt, exitCode: t.exitCode, reason: t.reason };
  }
  if (st.state?.running?.startedAt === run.startedAt) return undefined;
  // The run was replaced without its end being seen (e.g. the pod's status was rewritten).
  return 'gone';
}

/** Counts bytes against limitBytes: what may still be written of each piece. */
export class ByteBudget {
  private left: number;

  constructor(limitBytes: number | undefined) {
    this.left = limitBytes !== undefined && limitBytes > 0 ? limitBytes : Infinity;
  }

  get spent(): boolean {
    return this.left <= 0;
  }

  take(s: string): Buffer {
    const buf = Buffer.from(s);
    const part = buf.length > this.left ? buf.subarray(0, this.left) : buf;
    this.left -= part.length;
    return part;
  }
}
