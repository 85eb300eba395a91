// PodDisruptionBudget validation, as upstream's ValidatePodDisruptionBudget(Spec) and
// ValidatePodDisruptionBudgetStatusUpdate: one of minAvailable and maxUnavailable, each a count or
// a percentage up to 100%, a valid selector and eviction policy; the spec may change (policy/v1).
import type { Validator } from '../../api/resource.js';
import { goValue, invalid, notSupported, type FieldError } from '../../api/field-errors.js';
import { intOrPercent, nonNegative, validateLabelSelector } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');
export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** Go's %v of an IntOrString pointer's target, as upstream prints the spec it refuses. */
const intstr = (v: unknown) => (v === undefined ? '<nil>' : typeof v === 'number' ? `${v}` : `"${String(v)}"`);

export function validatePodDisruptionBudgetSpec(spec: Any, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(
      invalid(
        p.s,
        goValue(`policy.PodDisruptionBudgetSpec{MinAvailable:${intstr(spec.minAvailable)}, MaxUnavailable:${intstr(spec.maxUnavailable)}}`),
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  }
  intOrPercent(spec.minAvailable, p.child('minAvailable'), errs);
  intOrPercent(spec.maxUnavailable, p.child('maxUnavailable'), errs);
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, p.child('selector')));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(policy)) {
    errs.push(notSupported(p.child('unhealthyPodEvictionPolicy').s, policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

function validateStatus(status: Any | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const p = new Path('status');
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) nonNegative(status?.[f], p.child(f), errs);
  return errs;
}

export const podDisruptionBudgetValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePodDisruptionBudgetSpec((o as Any).spec ?? {}, SPEC)],
  update: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePodDisruptionBudgetSpec((o as Any).spec ?? {}, SPEC)],
  updateStatus: (o) => validateStatus((o as Any).status),
};
