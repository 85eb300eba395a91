// DaemonSet validation, as upstream's ValidateDaemonSet(Update): the workload spec
// (src/api/validation/apps.ts), the update strategy, an immutable selector, non-negative status.
import type { Validator } from '../../api/resource.js';
import { invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { intOrPercent, nonNegative, validateSelectorUnchanged, validateWorkloadSpec } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

function validateDaemonSetSpec(spec: Any, p: Path): FieldError[] {
  const errs = validateWorkloadSpec(spec, p, 'daemonset');
  nonNegative(spec.revisionHistoryLimit, p.child('revisionHistoryLimit'), errs);
  const st = spec.updateStrategy ?? {};
  const sp = p.child('updateStrategy');
  if (!st.type) errs.push(required(sp.child('type').s));
  else if (!['RollingUpdate', 'OnDelete'].includes(st.type)) errs.push(notSupported(sp.child('type').s, st.type, ['OnDelete', 'RollingUpdate']));
  if (st.type === 'RollingUpdate') {
    const rp = sp.child('rollingUpdate');
    if (!st.rollingUpdate) errs.push(required(rp.s));
    else {
      const unavailable = intOrPercent(st.rollingUpdate.maxUnavailable, rp.child('maxUnavailable'), errs);
      const surge = intOrPercent(st.rollingUpdate.maxSurge, rp.child('maxSurge'), errs);
      if (unavailable === 0 && (surge ?? 0) === 0) {
        errs.push(invalid(rp.child('maxUnavailable').s, st.rollingUpdate.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
    }
  }
  return errs;
}

export const daemonSetValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateDaemonSetSpec((o as Any).spec ?? {}, SPEC)],
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validateDaemonSetSpec((o as Any).spec ?? {}, SPEC),
    ...validateSelectorUnchanged((o as Any).spec, (old as Any).spec, SPEC),
  ],
  updateStatus: (o) => {
    const errs: FieldError[] = [];
    const s = (o as Any).status ?? {};
    const p = new Path('status');
    for (const f of [
      'currentNumberScheduled',
      'numberMisscheduled',
      'desiredNumberScheduled',
      'numberReady',
      'observedGeneration',
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
      'collisionCount',
    ]) {
      nonNegative(s[f], p.child(f), errs);
    }
    return errs;
  },
};
