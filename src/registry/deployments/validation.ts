// Deployment validation, as upstream's ValidateDeployment and ValidateDeploymentUpdate: the
// workload spec (src/api/validation/apps.ts), the rollout strategy, the progress deadline, an
// immutable selector, non-negative status counts.
import type { Validator } from '../../api/resource.js';
import { forbidden, invalid, notSupported, type FieldError } from '../../api/field-errors.js';
import { intOrPercent, nonNegative, validateReplicaCounts, validateSelectorUnchanged, validateWorkloadSpec } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

function validateDeploymentSpec(spec: Record<string, any>, p: Path): FieldError[] {
  const errs = validateWorkloadSpec(spec, p, 'deployment');
  const st = spec.strategy ?? {};
  const stp = p.child('strategy');
  if (st.type && !['Recreate', 'RollingUpdate'].includes(st.type)) errs.push(notSupported(stp.child('type').s, st.type, ['Recreate', 'RollingUpdate']));
  if (st.type === 'Recreate' && st.rollingUpdate) errs.push(forbidden(stp.child('rollingUpdate').s, "may not be specified when strategy `type` is 'Recreate'"));
  if (st.rollingUpdate) {
    const rp = stp.child('rollingUpdate');
    const surge = intOrPercent(st.rollingUpdate.maxSurge, rp.child('maxSurge'), errs);
    const unavailable = intOrPercent(st.rollingUpdate.maxUnavailable, rp.child('maxUnavailable'), errs);
    if (surge === 0 && unavailable === 0)
      errs.push(invalid(rp.child('maxUnavailable').s, st.rollingUpdate.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  nonNegative(spec.revisionHistoryLimit, p.child('revisionHistoryLimit'), errs);
  if (spec.progressDeadlineSeconds !== undefined) {
    nonNegative(spec.progressDeadlineSeconds, p.child('progressDeadlineSeconds'), errs);
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid(p.child('progressDeadlineSeconds').s, spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export const deploymentValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateDeploymentSpec((o as Any).spec ?? {}, SPEC)],
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validateDeploymentSpec((o as Any).spec ?? {}, SPEC),
    ...validateSelectorUnchanged((o as Any).spec, (old as Any).spec, SPEC),
  ],
  updateStatus: (o) => validateReplicaCounts((o as Any).status),
};
