// What a Job's writes do beyond the generic store's, as upstream's jobStrategy: a new Job
// without manualSelector gets the labels and selector naming its own uid (generateSelector),
// so its pods can never be claimed by another Job of the same name created later.
import type { Strategy } from '../strategy.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** The unprefixed labels upstream still sets for old clients. */
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';

type Any = Record<string, any>;

export function generateSelector(job: Any): void {
  const spec = job.spec ?? {};
  if (spec.manualSelector === true) return;
  const uid = job.metadata.uid as string;
  const name = job.metadata.name as string;
  const tmeta = ((spec.template ??= {}).metadata ??= {});
  const labels = (tmeta.labels ??= {});
  labels[LEGACY_CONTROLLER_UID_LABEL] ??= uid;
  labels[LEGACY_JOB_NAME_LABEL] ??= name;
  labels[CONTROLLER_UID_LABEL] ??= uid;
  labels[JOB_NAME_LABEL] ??= name;
  // A user's selector is kept for validation to reject (upstream: only manualSelector allows one).
  spec.selector ??= { matchLabels: { [CONTROLLER_UID_LABEL]: uid } };
}

export const jobStrategy: Strategy = {
  prepareForCreate: (obj) => generateSelector(obj as Any),
};
