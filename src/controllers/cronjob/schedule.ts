// When a CronJob should have run (upstream cronjob v2 utils.go): the most recent scheduled time
// not after now, counting from the last schedule (or creation), clamped by
// startingDeadlineSeconds; the number missed in between (more than 100: a warning); the next
// time; and the names and stamps a scheduled Job gets.
import type { CronSchedule } from '../../api/cron.js';

/** Beyond this many missed start times upstream warns (TooManyMissedTimes). */
export const MAX_MISSED_SCHEDULES = 100;

export interface MostRecent {
  /** The latest scheduled time in (earliest, now], if any. */
  scheduled?: Date;
  /** How many scheduled times fell in (earliest, now] (beyond 100 estimated from the first interval, as upstream). */
  missed: number;
}

/** Upstream mostRecentScheduleTime. */
export function mostRecentScheduleTime(sched: CronSchedule, earliest: Date, now: Date, startingDeadlineSeconds?: number | null): MostRecent {
  let from = earliest;
  if (startingDeadlineSeconds != null) {
    const deadline = new Date(now.getTime() - startingDeadlineSeconds * 1000);
    if (deadline > from) from = deadline;
  }
  let missed = 0;
  let scheduled: Date | undefined;
  for (let t = sched.next(from); t <= now; t = sched.next(t)) {
    missed++;
    scheduled = t;
    if (missed > MAX_MISSED_SCHEDULES) {
      // Enough to warn; jump to the latest without walking every one in between.
      const first = sched.next(from);
      const interval = sched.next(first).getTime() - first.getTime();
      missed = Math.floor((now.getTime() - first.getTime()) / interval) + 1;
      scheduled = latestNotAfter(sched, t, now);
      break;
    }
  }
  return { scheduled, missed };
}

/** The latest scheduled time in [from, now], found by doubling steps then bisection over next(). */
function latestNotAfter(sched: CronSchedule, from: Date, now: Date): Date {
  let lo = from.getTime();
  let hi = now.getTime();
  // Invariant: a scheduled time at or after lo exists (lo itself); find the last one <= now.
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    const n = sched.next(new Date(mid));
    if (n.getTime() <= now.getTime()) lo = n.getTime();
    else hi = mid;
  }
  return new Date(lo);
}

/** `<cronjob>-<scheduled time in minutes since the epoch>` (upstream getJobName). */
export function jobNameFor(cronJobName: string, scheduled: Date): string {
  return `${cronJobName}-${Math.floor(scheduled.getTime() / 60_000)}`;
}

/** RFC 3339 in the given zone, as Go's time.In(zone).Format(time.RFC3339). */
export function rfc3339In(t: Date, timeZone = 'UTC'): string {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? 'Z' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}
