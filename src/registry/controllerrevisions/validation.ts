// ControllerRevision validation, as upstream's ValidateControllerRevision(Update): data is
// required and never changes, the revision number is not negative (and may change: a controller
// renumbers a revision it rolls back to).
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { invalid, required, type FieldError } from '../../api/field-errors.js';
import { nonNegative } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;

function validateRevision(o: Any): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  if (o.data === undefined || o.data === null) errs.push(required('data'));
  nonNegative(o.revision, new Path('revision'), errs);
  return errs;
}

export const controllerRevisionValidator: Validator = {
  create: (o) => validateRevision(o),
  update: (o, old) => {
    const errs = validateRevision(o);
    if (!deepEqual((o as Any).data, (old as Any).data)) errs.push(invalid('data', null, 'field is immutable'));
    return errs;
  },
};
