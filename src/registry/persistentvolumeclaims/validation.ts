// PersistentVolumeClaim validation, as upstream's ValidatePersistentVolumeClaim(Update): access
// modes and a storage request; after creation the spec is immutable except a larger request
// (expansion) and binding fields the controller sets.
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { forbidden, invalid, required, type FieldError } from '../../api/field-errors.js';
import { quantityOf } from '../../api/quantity.js';
import { validateLabelSelector } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { validateAccessModes, validateVolumeMode } from '../persistentvolumes/shared.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

export function validateClaimSpec(spec: Any, p: Path): FieldError[] {
  const errs = validateAccessModes(spec.accessModes, p.child('accessModes'));
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, p.child('selector')));
  const rp = p.child('resources').child('requests');
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.push(required(rp.child('storage').s, ''));
  else if (!quantityOf(storage)) errs.push(invalid(rp.child('storage').s, storage, 'must be a valid quantity'));
  else if (quantityOf(storage)!.sign() <= 0) errs.push(invalid(rp.child('storage').s, storage, 'must be greater than zero'));
  errs.push(...validateVolumeMode(spec.volumeMode, p.child('volumeMode')));
  return errs;
}

/** The spec fields a claim may not change once created: all but a storage request increase and volumeName binding. */
function immutableSpec(spec: Any): Any {
  const { resources: _r, volumeName: _v, volumeAttributesClassName: _c, ...rest } = spec;
  return rest;
}

export const persistentVolumeClaimValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateClaimSpec((o as Any).spec ?? {}, SPEC)],
  update: (o, old) => {
    const spec = (o as Any).spec ?? {};
    const was = (old as Any).spec ?? {};
    const errs = [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateClaimSpec(spec, SPEC)];
    if (!deepEqual(immutableSpec(spec), immutableSpec(was))) {
      errs.push(forbidden(SPEC.s, 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
    if (was.volumeName && spec.volumeName !== was.volumeName) errs.push(invalid(SPEC.child('volumeName').s, spec.volumeName, 'field is immutable'));
    const now = quantityOf(spec.resources?.requests?.storage);
    const before = quantityOf(was.resources?.requests?.storage);
    if (now && before && now.cmp(before) < 0)
      errs.push(forbidden(SPEC.child('resources').child('requests').child('storage').s, 'field can not be less than status.capacity'));
    return errs;
  },
  updateStatus: () => [],
};
