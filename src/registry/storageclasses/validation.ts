// StorageClass validation, as upstream's ValidateStorageClass(Update): a qualified provisioner
// name, known policies and binding modes; provisioner, parameters, reclaim policy and binding
// mode never change.
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { isQualifiedName } from '../../api/names.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';

type Any = Record<string, any>;

function validateClass(sc: Any): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  if (!sc.provisioner) errs.push(required('provisioner', ''));
  else for (const m of isQualifiedName(String(sc.provisioner).toLowerCase())) errs.push(invalid('provisioner', sc.provisioner, m));
  if (sc.reclaimPolicy !== undefined && !['Delete', 'Retain'].includes(sc.reclaimPolicy))
    errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  if (sc.volumeBindingMode !== undefined && !['Immediate', 'WaitForFirstConsumer'].includes(sc.volumeBindingMode)) {
    errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  }
  return errs;
}

export const storageClassValidator: Validator = {
  create: (o) => validateClass(o as Any),
  update: (o, old) => {
    const errs = validateClass(o as Any);
    const sc = o as Any;
    const was = old as Any;
    if (!deepEqual(sc.parameters ?? {}, was.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (sc.provisioner !== was.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (sc.reclaimPolicy !== was.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (sc.volumeBindingMode !== was.volumeBindingMode) errs.push(forbidden('volumeBindingMode', 'field is immutable'));
    return errs;
  },
};
