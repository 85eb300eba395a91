// CPU and memory from /proc for the benchmarks. A group of processes is measured as one (a
// control plane that may run as several processes, or start children of its own): every process
// under the given roots, found by walking the process tree, so children started after the bench
// began are counted too. The machine's busy time comes from /proc/stat. Parsing is kept apart
// from reading so that the arithmetic is tested on fixed text.
import { readdirSync, readFileSync } from 'node:fs';

/** The /proc/PID/stat fields a process-tree measure needs. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  cpuTicks: number;
  /** utime + stime: the process's own, without its reaped children's. */
  ownTicks: number;
}

/** USER_HZ: /proc reports CPU time in these ticks on every Linux architecture Node runs on. */
export const TICKS_PER_SECOND = 100;

/**
 * Parses /proc/PID/stat. Its own CPU time and that of its children it has already waited for
 * (cutime, cstime): a child that exits during a run moves its time there, so a sum over the
 * live tree neither loses it nor counts it twice.
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
  if (close < 0) throw new Error(`not a /proc/PID/stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // From field 3 (state) on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const n = (i: number) => {
    const v = Number(f[i]);
    if (!Number.isFinite(v)) throw new Error(`/proc/${pid}/stat: field ${i + 3} is not a number: ${f[i]}`);
    return v;
  };
  return { pid, ppid: n(1), cpuTicks: n(11) + n(12) + n(13) + n(14), ownTicks: n(11) + n(12) };
}

/** CPU seconds one process used itself so far (0 once it is gone). */
export function processCpuSeconds(pid: number): number {
  return (readStat(pid)?.ownTicks ?? 0) / TICKS_PER_SECOND;
}

/** The machine's CPU time so far, all cores, in seconds. */
export interface MachineCpu {
  /** Time some task ran: user, nice, system, irq, softirq, steal. */
  busy: number;
  /** busy plus idle and iowait. */
  total: number;
}

/**
 * The first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal guest
 * guest_nice"). guest and guest_nice are already counted in user and nice (proc(5)), so they are
 * left out rather than counted twice; iowait is idle time (no task could run).
 */
export function parseMachineStat(text: string): MachineCpu {
  const line = text.split('\n', 1)[0]!.trim();
  const [label, ...fields] = line.split(/\s+/);
  if (label !== 'cpu' || fields.length < 4) throw new Error(`/proc/stat: unexpected first line "${line}"`);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.slice(0, 8).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle + iowait) / TICKS_PER_SECOND };
}

export function machineCpu(): MachineCpu {
  return parseMachineStat(readFileSync('/proc/stat', 'utf8'));
}

/** The roots and every process below them (children, grandchildren, ...), roots first. */
export function descendants(roots: number[], procs: Array<Pick<ProcStat, 'pid' | 'ppid'>>): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const live = new Set(procs.map((p) => p.pid));
  const out: number[] = [];
  const seen = new Set<number>();
  const queue = roots.filter((r) => live.has(r));
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // it exited between the directory listing and the read
  }
}

function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** A snapshot of the process group: its processes and their CPU time so far, in ms. */
export function treeCpuMs(roots: number[]): { pids: number[]; cpuMs: number } {
  const procs = allProcesses();
  const pids = descendants(roots, procs);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const ticks = pids.reduce((sum, pid) => sum + (byPid.get(pid)?.cpuTicks ?? 0), 0);
  return { pids, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}

/** The memory figures of /proc/PID/status the benches read: resident, its peak, and its private part. */
export type MemoryField = 'VmRSS' | 'VmHWM' | 'RssAnon';

/** A memory figure out of /proc/PID/status, in kB (0 for a kernel thread or a process gone). */
export function parseStatusKb(status: string, field: MemoryField = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

/** VmRSS out of /proc/PID/status, in kB. */
export const parseVmRssKb = (status: string): number => parseStatusKb(status, 'VmRSS');

/** A memory figure of every process of the group together, in MB (VmHWM: the sum of each one's peak). */
export function treeRssMb(pids: number[], field: MemoryField = 'VmRSS'): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += parseStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), field);
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}

/** A memory figure of a process and every process under it (berth server's children), in MB. */
export function processTreeMemoryMb(pid: number, field: MemoryField): number {
  return treeRssMb(descendants([pid], allProcesses()), field);
}
