// Lease validation: metadata and a positive duration, as upstream's ValidateLeaseSpec (in part).
import { invalid, type FieldError } from '../../api/field-errors.js';
import { metadataValidator, nameIsDNSSubdomain } from '../../api/validation/objectmeta.js';

export const leaseValidator = metadataValidator(true, nameIsDNSSubdomain, (o) => {
  const errs: FieldError[] = [];
  const d = o.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  return errs;
});
