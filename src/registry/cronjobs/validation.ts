// CronJob validation, as upstream's ValidateCronJobCreate/Update: a five-field schedule without
// a TZ prefix (the timeZone field says the zone), a known zone, the concurrency policy, limits,
// and the job template as a Job's spec; names short enough for the Jobs made from them.
import type { Validator } from '../../api/resource.js';
import { invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { isValidTimeZone, parseSchedule } from '../../api/cron.js';
import { nonNegative } from '../../api/validation/apps.js';
import { validateJobSpec } from '../../api/validation/batch.js';
import { nameIsDNSSubdomain, validateAnnotations, validateLabels, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
/** A Job's name is the CronJob's plus "-" and 11 digits of minutes, within 63 characters. */
const MAX_CRONJOB_NAME_LENGTH = 52;

function validateSchedule(spec: Any, allowTZInSchedule: boolean): FieldError[] {
  const p = SPEC.child('schedule').s;
  const schedule: string | undefined = spec.schedule;
  if (!schedule) return [required(p)];
  const errs: FieldError[] = [];
  try {
    parseSchedule(schedule, spec.timeZone != null && isValidTimeZone(spec.timeZone) ? spec.timeZone : undefined);
  } catch (e) {
    errs.push(invalid(p, schedule, (e as Error).message));
  }
  if (schedule.includes('TZ')) {
    if (!allowTZInSchedule) errs.push(invalid(p, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    else if (spec.timeZone != null) errs.push(invalid(p, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  }
  return errs;
}

function validateSpec(spec: Any, allowTZInSchedule: boolean): FieldError[] {
  const errs = validateSchedule(spec, allowTZInSchedule);
  if (spec.timeZone != null && !isValidTimeZone(spec.timeZone)) {
    const detail =
      spec.timeZone.toLowerCase() === 'local' || spec.timeZone === ''
        ? 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'
        : `unknown time zone ${spec.timeZone}`;
    errs.push(invalid(SPEC.child('timeZone').s, spec.timeZone, detail));
  }
  if (!spec.concurrencyPolicy) errs.push(required(SPEC.child('concurrencyPolicy').s));
  else if (!CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy))
    errs.push(notSupported(SPEC.child('concurrencyPolicy').s, spec.concurrencyPolicy, CONCURRENCY_POLICIES));
  nonNegative(spec.startingDeadlineSeconds ?? undefined, SPEC.child('startingDeadlineSeconds'), errs);
  nonNegative(spec.successfulJobsHistoryLimit ?? undefined, SPEC.child('successfulJobsHistoryLimit'), errs);
  nonNegative(spec.failedJobsHistoryLimit ?? undefined, SPEC.child('failedJobsHistoryLimit'), errs);
  const jp = SPEC.child('jobTemplate');
  errs.push(...validateLabels(spec.jobTemplate?.metadata?.labels, jp.child('metadata').child('labels')));
  errs.push(...validateAnnotations(spec.jobTemplate?.metadata?.annotations, jp.child('metadata').child('annotations')));
  errs.push(...validateJobSpec(spec.jobTemplate?.spec ?? {}, jp.child('spec'), false));
  return errs;
}

function validateName(meta: Any): FieldError[] {
  const n: string = meta?.name ?? '';
  return n.length > MAX_CRONJOB_NAME_LENGTH ? [invalid('metadata.name', n, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`)] : [];
}

export const cronJobValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateName(o.metadata), ...validateSpec((o as Any).spec ?? {}, false)],
  // An object stored with a TZ prefix (before the rule) may keep it.
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validateSpec((o as Any).spec ?? {}, String((old as Any).spec?.schedule ?? '').includes('TZ')),
  ],
};
