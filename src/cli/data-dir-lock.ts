// One Berth per data dir: a lock file naming the process that holds the dir. Node has no flock,
// so the file is created O_EXCL and holds the owner's pid and start time (from /proc); a file
// whose process is gone, or whose pid now belongs to another process (reused after a kill -9),
// is stale and taken over. The lock is given back when the process exits.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'berth.lock';

/** Another live process holds the data dir. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dir} is in use by another berth (pid ${pid}); stop that one first, or give another --data-dir`);
  }
}

interface Holder {
  pid: number;
  start: string;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat); '' if gone. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parens: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const [pid, start] = readFileSync(file, 'utf8').trim().split(/\s+/);
    return Number(pid) > 0 ? { pid: Number(pid), start: start ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

function alive(h: Holder): boolean {
  const now = startTime(h.pid);
  return now !== '' && (h.start === '' || h.start === now);
}

/** The pid of the live process holding dir's lock, if any. */
export function lockHolder(dir: string): number | undefined {
  const h = readHolder(join(dir, LOCK_FILE));
  return h && alive(h) ? h.pid : undefined;
}

export interface DataDirLock {
  file: string;
  release(): void;
}

/**
 * Takes dir's lock for this process (until release or exit), or throws DataDirInUseError naming
 * the live holder. A stale lock is moved aside first, so two starters can't both take it.
 */
/**
 * owner: the pid the lock names. A server under the supervisor names the supervisor (what users
 * and `berth killall` see as "the Berth that runs"), and a restarted server takes over the lock
 * its supervisor already holds.
 */
export function lockDataDir(dir: string, owner = process.pid): DataDirLock {
  const file = join(dir, LOCK_FILE);
  const mine = `${owner} ${startTime(owner)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const seen = readFileSync(file, 'utf8');
      const h = readHolder(file);
      if (h && alive(h) && !(owner !== process.pid && h.pid === owner)) throw new DataDirInUseError(dir, h.pid);
      // Stale (its process is gone): whoever renames it first takes it over. What was moved
      // aside is checked: a fresh lock another starter made meanwhile goes back.
      const aside = `${file}.stale.${process.pid}`;
      try {
        renameSync(file, aside);
        if (readFileSync(aside, 'utf8') !== seen) renameSync(aside, file);
        else rmSync(aside, { force: true });
      } catch {
        // Someone else moved it first: try again.
      }
      continue;
    }
    writeSync(fd, mine);
    closeSync(fd);
    const release = () => {
      try {
        if (readFileSync(file, 'utf8') === mine) rmSync(file, { force: true });
      } catch {
        // already gone
      }
      process.off('exit', release);
    };
    process.on('exit', release);
    return { file, release };
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing`);
}
