// Job validation, as upstream's ValidateJob and ValidateJobUpdate: the spec (src/api/validation/
// batch.ts), a selector that is the generated one unless manualSelector, and non-negative counts.
import type { Validator } from '../../api/resource.js';
import { invalid, type FieldError } from '../../api/field-errors.js';
import { validateJobSpec, validateJobSpecUpdate } from '../../api/validation/batch.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { CONTROLLER_UID_LABEL } from './strategy.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

function validateGeneratedSelector(job: Any): FieldError[] {
  const spec = job.spec ?? {};
  if (spec.manualSelector === true || !spec.selector) return [];
  const uid = job.metadata?.uid;
  const errs: FieldError[] = [];
  const labels = spec.template?.metadata?.labels ?? {};
  if (labels[CONTROLLER_UID_LABEL] !== uid) errs.push(invalid('spec.template.metadata.labels', labels, '`selector` not auto-generated'));
  const sel = spec.selector;
  if ((sel.matchExpressions ?? []).length || Object.keys(sel.matchLabels ?? {}).length !== 1 || sel.matchLabels?.[CONTROLLER_UID_LABEL] !== uid) {
    errs.push(invalid('spec.selector', sel, '`selector` not auto-generated'));
  }
  return errs;
}

function validateStatus(status: Any | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) {
    const v = status?.[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`status.${f}`, v, 'must be greater than or equal to 0'));
  }
  return errs;
}

const validateJob = (o: Any) => [
  ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
  ...validateGeneratedSelector(o),
  ...validateJobSpec(o.spec ?? {}, SPEC, true),
];

export const jobValidator: Validator = {
  create: (o) => validateJob(o as Any),
  update: (o, old) => [...validateJob(o as Any), ...validateJobSpecUpdate((o as Any).spec ?? {}, (old as Any).spec ?? {}, SPEC)],
  updateStatus: (o) => validateStatus((o as Any).status),
};
