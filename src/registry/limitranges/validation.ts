// LimitRange validation, as upstream's ValidateLimitRange (pkg/apis/core/validation): one item
// per type, resource names, quantities that agree (min <= defaultRequest <= default <= max),
// maxLimitRequestRatio at least 1 and within max/min, and a storage bound for claims.
import type { LimitRange } from 'kubernetes-types/core/v1';
import type { Validator } from '../../api/resource.js';
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { Quantity } from '../../api/quantity.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { validateResourceName } from '../../api/validation/pod.js';

const TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];
const PARTS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

/** Upstream's %f: six decimals. */
const goFloat = (x: number) => x.toFixed(6);

export function validateLimitRangeSpec(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (lr.spec?.limits ?? []).forEach((item, i) => {
    const p = new Path('spec').child('limits').index(i);
    if (!item.type) errs.push(required(p.child('type').s));
    else if (!TYPES.includes(item.type)) errs.push(notSupported(p.child('type').s, item.type, TYPES));
    else if (seen.has(item.type)) errs.push(duplicate(p.child('type').s, item.type));
    seen.add(item.type);
    const values: Record<(typeof PARTS)[number], Map<string, Quantity>> = {
      max: new Map(),
      min: new Map(),
      default: new Map(),
      defaultRequest: new Map(),
      maxLimitRequestRatio: new Map(),
    };
    for (const part of PARTS) {
      if (item.type === 'Pod' && (part === 'default' || part === 'defaultRequest')) {
        if (Object.keys(item[part] ?? {}).length) errs.push(forbidden(p.child(part).s, "may not be specified when `type` is 'Pod'"));
        continue;
      }
      for (const [k, raw] of Object.entries(item[part] ?? {})) {
        const fp = p.child(part).key(k);
        validateResourceName(k, fp, errs);
        const q = Quantity.tryParse(String(raw));
        if (q) values[part].set(k, q);
      }
    }
    const keys = new Set(PARTS.flatMap((part) => [...values[part].keys()]));
    for (const k of [...keys].sort()) {
      const min = values.min.get(k);
      const max = values.max.get(k);
      const def = values.default.get(k);
      const defReq = values.defaultRequest.get(k);
      const ratio = values.maxLimitRequestRatio.get(k);
      if (min && max && min.cmp(max) > 0) errs.push(invalid(p.child('min').key(k).s, min.toString(), `min value ${min} is greater than max value ${max}`));
      if (defReq && min && min.cmp(defReq) > 0)
        errs.push(invalid(p.child('defaultRequest').key(k).s, defReq.toString(), `min value ${min} is greater than default request value ${defReq}`));
      if (defReq && max && defReq.cmp(max) > 0)
        errs.push(invalid(p.child('defaultRequest').key(k).s, defReq.toString(), `default request value ${defReq} is greater than max value ${max}`));
      if (defReq && def && defReq.cmp(def) > 0)
        errs.push(invalid(p.child('defaultRequest').key(k).s, defReq.toString(), `default request value ${defReq} is greater than default limit value ${def}`));
      if (def && min && min.cmp(def) > 0)
        errs.push(invalid(p.child('default').key(k).s, min.toString(), `min value ${min} is greater than default value ${def}`));
      if (def && max && def.cmp(max) > 0)
        errs.push(invalid(p.child('default').key(k).s, max.toString(), `default value ${def} is greater than max value ${max}`));
      if (ratio && ratio.cmp(Quantity.fromInt(1)) < 0)
        errs.push(invalid(p.child('maxLimitRequestRatio').key(k).s, ratio.toString(), `ratio ${ratio} is less than 1`));
      if (ratio && min && max && !min.isZero()) {
        const limit = max.milliValue() / min.milliValue();
        if (ratio.milliValue() / 1000 > limit)
          errs.push(invalid(p.child('maxLimitRequestRatio').key(k).s, ratio.toString(), `ratio ${ratio} is greater than max/min = ${goFloat(limit)}`));
      }
    }
    if (item.type === 'PersistentVolumeClaim' && !values.min.has('storage') && !values.max.has('storage')) {
      errs.push(required(p.child('limits').s, 'either minimum or maximum storage value is required, but neither was provided'));
    }
  });
  return errs;
}

export const limitRangeValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateLimitRangeSpec(o as LimitRange)],
};
