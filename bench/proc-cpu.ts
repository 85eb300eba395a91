// CPU accounting from /proc for the benchmarks: the machine's busy time from /proc/stat and a
// process's (or a process tree's) user + system time from /proc/PID/stat. Parsing is kept apart
// from reading so that the arithmetic is tested on fixed text.
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in ticks of 1/100 s on Linux (sysconf(_SC_CLK_TCK)). */
export const TICKS_PER_SECOND = 100;

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
export function parseProcStat(text: string): MachineCpu {
  const line = text.split('\n', 1)[0]!.trim();
  const [label, ...fields] = line.split(/\s+/);
  if (label !== 'cpu' || fields.length < 4) throw new Error(`/proc/stat: unexpected first line "${line}"`);
  const n = fields.slice(0, 8).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = n;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle + iowait) / TICKS_PER_SECOND };
}

/** One process as /proc/PID/stat has it: its parent and its own CPU time (user + system), in seconds. */
export interface ProcStat {
  ppid: number;
  cpu: number;
}

/** /proc/PID/stat: the command name is in parentheses and may hold spaces and ')', so fields are read after the last ')'. */
export function parsePidStat(text: string): ProcStat {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is the state (field 3): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND };
}

/**
 * CPU seconds of root and every process under it, from a snapshot of the process table. Children
 * that already exited are not counted (their time moves to the parent only once it waits for them).
 */
export function treeCpu(table: Map<number, ProcStat>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let sum = 0;
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    sum += table.get(pid)?.cpu ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}

export function machineCpu(): MachineCpu {
  return parseProcStat(readFileSync('/proc/stat', 'utf8'));
}

/** CPU seconds one process used so far. */
export function processCpu(pid: number): number {
  return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpu;
}

/** Every process now, by pid (those that exit while being read are skipped). */
export function processTable(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.set(Number(e), parsePidStat(readFileSync(`/proc/${e}/stat`, 'utf8')));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
