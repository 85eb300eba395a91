// CronJob defaulting, as upstream's SetDefaults_CronJob: Allow concurrency, not suspended,
// three successful and one failed Job kept; the job template defaulted as a Job is.
import type { Defaulter } from '../../api/resource.js';
import { defaultJob } from '../jobs/defaults.js';

export const defaultCronJob: Defaulter = (o) => {
  const spec = ((o as Record<string, any>).spec ??= {});
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultJob((spec.jobTemplate ??= {}) as never);
};
