// Pod-level cgroups. runc creates a pod's parent cgroup (cgroup_parent) on the way to the
// containers' own, but removes only the containers' own; the agent removes the pod's, as
// kubelet's pod container manager does, in every hierarchy (cgroup v1, v2 or both).
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** Mount points of the cgroup hierarchies (v1 controllers and the v2 unified one). */
export function cgroupMounts(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fstype = right.split(' ')[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mountPoint = left.split(' ')[4];
    if (mountPoint) out.push(mountPoint.replace(/\\040/g, ' '));
  }
  return out;
}

/**
 * Removes the cgroup at path (e.g. /berth/burstable/pod<uid>) in every hierarchy where it exists
 * and is empty. Its parents stay: another pod may be about to create a cgroup in them.
 */
export function removeCgroup(path: string): void {
  for (const mount of cgroupMounts()) {
    try {
      rmdirSync(join(mount, path));
    } catch {
      // Not in this hierarchy, or not empty yet.
    }
  }
}

/**
 * Removes the cgroup tree at path (e.g. /berth) in every hierarchy, deepest first (cgroup dirs
 * go with rmdir); cgroups that still hold processes stay. Returns whether path is gone everywhere.
 */
export function removeCgroupTree(path: string): boolean {
  let gone = true;
  const remove = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) remove(join(d, e.name));
    try {
      rmdirSync(d);
    } catch {
      gone = false;
    }
  };
  for (const mount of cgroupMounts()) remove(join(mount, path));
  return gone;
}
