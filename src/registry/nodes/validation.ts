// Node validation: metadata, taints, and a podCIDR that is set once (upstream's ValidateNode
// and ValidateNodeUpdate, in part).
import type { Validator } from '../../api/resource.js';
import { forbidden, notSupported, required } from '../../api/field-errors.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export const nodeValidator: Validator = {
  create: (o) => {
    const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
    const spec = (o as Any).spec ?? {};
    (spec.taints ?? []).forEach((t: Any, i: number) => {
      const p = SPEC.child('taints').index(i);
      if (!t.key) errs.push(required(p.child('key').s));
      if (!TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(p.child('effect').s, t.effect ?? '', TAINT_EFFECTS));
    });
    return errs;
  },
  update: (o, old) => {
    const errs = nodeValidator.create(o);
    const a = (o as Any).spec?.podCIDR;
    const b = (old as Any).spec?.podCIDR;
    if (b && a !== b) errs.push(forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
    return errs;
  },
};
