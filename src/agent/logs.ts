// Container logs as the runtime writes them (the CRI log format: one line per write,
// "<RFC3339Nano> <stdout|stderr> <P|F> <content>", P for a partial line) turned back into the
// container's output, with kubectl's options: tail, timestamps, since, limitBytes, follow.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { PodStatus } from 'kubernetes-types/core/v1';
import { fixedNanoTimestamp, type LogOptions } from '../kubelet/index.js';

export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: string;
}

export function parseCriLogLine(line: string): CriLogLine | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // Old runtimes wrote no tag; then the line is full.
  const c = line.indexOf(' ', b + 1);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  if (tag === 'P' || tag === 'F') return { time: line.slice(0, a), stream, partial: tag === 'P', content: c < 0 ? '' : line.slice(c + 1) };
  return { time: line.slice(0, a), stream, partial: false, content: line.slice(b + 1) };
}

/**
 * The container's output from CRI log text: whole lines (partials joined), optionally
 * timestamped. A line still partial at the end of the text is kept in rest for the next read,
 * unless final (the container is gone): then it is written as far as it got, without a newline.
 */
export function renderLogs(text: string, o: LogOptions = {}, final = false): { out: string[]; rest: string } {
  const lines = text.split('\n');
  // The last piece has no newline yet: it is kept for the next read.
  let rest = lines.pop() ?? '';
  const out: string[] = [];
  let pending: { time: string; content: string; raw: string[] } | undefined;
  const line = (time: string, content: string) => (o.timestamps ? `${fixedNanoTimestamp(time)} ${content}` : content);
  for (const raw of lines) {
    const l = parseCriLogLine(raw);
    if (!l) continue;
    if (o.sinceTimeMs !== undefined && Date.parse(l.time) < o.sinceTimeMs) continue;
    if (l.partial) {
      pending = pending ? { ...pending, content: pending.content + l.content, raw: [...pending.raw, raw] } : { time: l.time, content: l.content, raw: [raw] };
      continue;
    }
    out.push(`${line(pending?.time ?? l.time, (pending?.content ?? '') + l.content)}\n`);
    pending = undefined;
  }
  if (pending && final) out.push(line(pending.time, pending.content));
  else if (pending) rest = `${pending.raw.join('\n')}\n${rest}`;
  return { out, rest };
}

/** Writes the log file's contents to w as kubectl logs shows them; with follow, keeps writing until stillRunning() says no. */
export async function streamLogs(file: string, w: Writable, o: LogOptions, stillRunning: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  let offset = 0;
  let carry = '';
  let written = 0;
  const limit = o.limitBytes && o.limitBytes > 0 ? o.limitBytes : Infinity;
  const write = (s: string): boolean => {
    if (written >= limit) return false;
    const buf = Buffer.from(s);
    const part = written + buf.length > limit ? buf.subarray(0, limit - written) : buf;
    written += part.length;
    w.write(part);
    return written < limit;
  };
  const readNew = (): string => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return '';
    }
    if (size <= offset) return '';
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  };
  const first = renderLogs(readNew(), o, !o.follow);
  carry = first.rest;
  const lines = o.tailLines !== undefined && o.tailLines >= 0 ? first.out.slice(Math.max(0, first.out.length - o.tailLines)) : first.out;
  for (const l of lines) if (!write(l)) return;
  if (!o.follow) return;
  let lastCheck = Date.now();
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, 200));
    const chunk = readNew();
    if (chunk) {
      const r = renderLogs(carry + chunk, { ...o, sinceTimeMs: undefined });
      carry = r.rest;
      for (const l of r.out) if (!write(l)) return;
      continue;
    }
    if (Date.now() - lastCheck > 1000) {
      lastCheck = Date.now();
      if (!(await stillRunning())) {
        const r = renderLogs(carry + readNew(), { ...o, sinceTimeMs: undefined }, true);
        for (const l of r.out) if (!write(l)) return;
        return;
      }
    }
  }
}

/** What upstream's kubelet answers for logs of a container the runtime has no instance of (yet), from the pod's status. */
export function noLogsMessage(status: PodStatus, container: string, pod: string): string {
  const all = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])];
  const cs = all.find((s) => s.name === container);
  const subject = `container "${container}" in pod "${pod}"`;
  // Before the first status report the kubelet's own status already says ContainerCreating.
  if (!cs) return `${subject} is waiting to start: ContainerCreating`;
  if (cs.state?.terminated || cs.lastState?.terminated) return `${subject} is terminated`;
  const reason = cs.state?.waiting?.reason;
  if (cs.state?.waiting) {
    if (reason === 'ErrImagePull') return `${subject} is waiting to start: image can't be pulled`;
    if (reason === 'ImagePullBackOff') return `${subject} is waiting to start: trying and failing to pull image`;
    return `${subject} is waiting to start: ${reason ?? ''}`;
  }
  return `${subject} is waiting to start - no logs yet`;
}
