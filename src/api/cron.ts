// Cron schedules as upstream's CronJobs read them (robfig/cron ParseStandard): five fields or a
// descriptor (@hourly, ...), optionally prefixed with TZ= or CRON_TZ=, evaluated in a time zone.
// The expression language itself is cron-parser's; this module adds only what differs from it
// (exactly five fields, no seconds; the TZ prefix; @midnight) and the IANA zone check.
import { CronExpressionParser } from 'cron-parser';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronSchedule {
  /** The first scheduled time strictly after `after`. */
  next(after: Date): Date;
  /** The zone the schedule's own TZ= prefix names, if any. */
  prefixZone?: string;
}

/** Whether Intl knows the IANA zone (upstream: time.LoadLocation, which refuses "Local" here). */
export function isValidTimeZone(tz: string): boolean {
  if (tz === '' || tz.toLowerCase() === 'local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule, throwing an Error whose message says what is wrong. */
export function parseSchedule(schedule: string, timeZone?: string): CronSchedule {
  let spec = schedule.trim();
  let prefixZone: string | undefined;
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(spec);
  if (m) {
    prefixZone = m[1]!;
    spec = m[2]!.trim();
    if (!isValidTimeZone(prefixZone)) throw new Error(`provided bad location ${prefixZone}: unknown time zone ${prefixZone}`);
  }
  if (spec === '') throw new Error('empty spec string');
  if (spec.startsWith('@')) {
    const expanded = DESCRIPTORS[spec];
    if (!expanded) throw new Error(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const tz = timeZone ?? prefixZone ?? 'UTC';
  // Parsed once here so a bad expression fails now; each next() walks a fresh iterator.
  CronExpressionParser.parse(`0 ${spec}`, { tz });
  return {
    prefixZone,
    next: (after: Date) => CronExpressionParser.parse(`0 ${spec}`, { tz, currentDate: after }).next().toDate(),
  };
}
