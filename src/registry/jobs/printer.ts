// The jobs table, as upstream's printJob: the Status column (kubectl 1.30+) names the first of
// the finished, terminating, suspended or failing states; Duration runs until completion.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { humanDuration } from '../../api/printers/duration.js';
import { containersAndImages, selectorString, templateColumns } from '../../api/printers/workload.js';

const hasCondition = (job: Any, type: string) => (job.status?.conditions ?? []).some((c: Any) => c.type === type && c.status === 'True');

export function jobStatusCell(job: Any): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletionsCell(job: Any): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions != null) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDurationCell(job: Any, now: Date): string {
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : NaN;
  if (Number.isNaN(start)) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime();
  return humanDuration(end - start);
}

export const jobPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 0, 'Status of the job.'),
    col('Completions', 'string', 0, 'The completion status of the job.'),
    col('Duration', 'string', 0, 'Time required to complete the job.'),
    AGE,
    ...templateColumns('A label query over pods that should match the pod count.'),
  ],
  cells: (o, now) => {
    const job = o as Any;
    const [cs, images] = containersAndImages(job.spec?.template);
    return [name(o), jobStatusCell(job), jobCompletionsCell(job), jobDurationCell(job, now), created(o, now), cs, images, selectorString(job.spec?.selector)];
  },
};
