// PriorityClass validation, as upstream's ValidatePriorityClass and ValidatePriorityClassUpdate:
// the system- prefix is reserved for the two system classes, user values are capped, and value
// and preemptionPolicy never change.
import type { Validator } from '../../api/resource.js';
import { forbidden, invalid, notSupported, required } from '../../api/field-errors.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';

type Any = Record<string, any>;

const SYSTEM_PRIORITY_CLASSES = new Set(['system-node-critical', 'system-cluster-critical']);
const HIGHEST_USER_PRIORITY = 1_000_000_000;
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

export const priorityClassValidator: Validator = {
  create: (o) => {
    const pc = o as Any;
    const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
    const name = o.metadata.name ?? '';
    if (name.startsWith('system-') && !SYSTEM_PRIORITY_CLASSES.has(name))
      errs.push(invalid('metadata.name', name, "priority class names with 'system-' prefix are reserved"));
    if (typeof pc.value !== 'number') errs.push(required('value'));
    else if (!SYSTEM_PRIORITY_CLASSES.has(name) && pc.value > HIGHEST_USER_PRIORITY) {
      errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
    }
    if (pc.preemptionPolicy && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy))
      errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
    return errs;
  },
  update: (o, old) => {
    const errs = priorityClassValidator.create(o);
    if ((o as Any).value !== (old as Any).value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if ((o as Any).preemptionPolicy !== (old as Any).preemptionPolicy)
      errs.push(invalid('preemptionPolicy', (o as Any).preemptionPolicy, 'field is immutable'));
    return errs;
  },
};
