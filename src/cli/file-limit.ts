// The open-file limit `berth server` runs with. Node raises the soft limit to the hard limit
// itself; a hard limit as low as 1 024 (common for services) means a thousand idle clients
// use up every descriptor. As root the hard limit is raised too, as kubelet and containerd's
// units ask for (LimitNOFILE=1048576); Node has no setrlimit, so util-linux's prlimit does it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { openFileLimit } from '../apiserver/connections.js';
import type { Logger } from '../log/logger.js';

const WANTED = 1_048_576;

export function raiseOpenFileLimit(log: Logger): void {
  const now = openFileLimit();
  if (!now || now.soft >= WANTED) return;
  let target = now.hard;
  if (process.getuid?.() === 0) {
    let nrOpen = WANTED;
    try {
      nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()) || WANTED;
    } catch {
      // keep WANTED
    }
    target = Math.max(now.hard, Math.min(WANTED, nrOpen));
  }
  let failure = '';
  if (target > now.soft) {
    // Without CAP_SYS_RESOURCE (some containers) this fails: only a low result is worth a word.
    const r = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${Math.max(target, now.hard)}`], { encoding: 'utf8' });
    if (r.status !== 0) failure = ` (prlimit could not raise it: ${(r.error?.message ?? r.stderr).trim()})`;
  }
  const after = openFileLimit();
  if (after && after.soft < 4096) {
    log.warn(
      `the open-file limit is ${after.soft}${failure}: the server takes at most ${Math.max(64, after.soft - 256)} connections; raise it (ulimit -n, LimitNOFILE=) for more`,
    );
  }
}
