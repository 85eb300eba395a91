// CSIDriver validation, as upstream's ValidateCSIDriver(Update) (pkg/apis/storage/validation):
// the name is a DNS subdomain; the switches defaulting fills in are required; fsGroupPolicy and
// the lifecycle modes are known values; token audiences are unique and their expirations
// between 10 minutes and 2^32 seconds; attachRequired and the lifecycle modes never change.
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { duplicate, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';

type Any = Record<string, any>;

const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;

function validateSpec(spec: Any): FieldError[] {
  const errs: FieldError[] = [];
  // Upstream's field path says "attachedRequired", a typo kept for compatibility.
  if (spec.attachRequired === undefined) errs.push(required('spec.attachedRequired'));
  if (spec.podInfoOnMount === undefined) errs.push(required('spec.podInfoOnMount'));
  if (spec.storageCapacity === undefined) errs.push(required('spec.storageCapacity'));
  if (spec.fsGroupPolicy !== undefined && !FS_GROUP_POLICIES.includes(spec.fsGroupPolicy))
    errs.push(notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, FS_GROUP_POLICIES));
  const audiences = new Set<string>();
  ((spec.tokenRequests ?? []) as Any[]).forEach((t, i) => {
    const p = `spec.tokenRequests[${i}]`;
    const audience = t.audience ?? '';
    if (audiences.has(audience)) {
      errs.push(duplicate(`${p}.audience`, audience));
      return;
    }
    audiences.add(audience);
    const secs = t.expirationSeconds;
    if (typeof secs !== 'number') return;
    if (secs < MIN_TOKEN_SECONDS) errs.push(invalid(`${p}.expirationSeconds`, secs, 'may not specify a duration less than 10 minutes'));
    if (secs > MAX_TOKEN_SECONDS) errs.push(invalid(`${p}.expirationSeconds`, secs, 'may not specify a duration larger than 2^32 seconds'));
  });
  for (const m of (spec.volumeLifecycleModes ?? []) as string[])
    if (!LIFECYCLE_MODES.includes(m)) errs.push(notSupported('spec.volumeLifecycleModes', m, LIFECYCLE_MODES));
  if (spec.seLinuxMount === undefined) errs.push(required('spec.seLinuxMount'));
  return errs;
}

export const csiDriverValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validateSpec((o as Any).spec ?? {})],
  update: (o, old) => {
    const spec = (o as Any).spec ?? {};
    const was = (old as Any).spec ?? {};
    const errs = [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validateSpec(spec)];
    if (spec.attachRequired !== was.attachRequired) errs.push(invalid('spec.attachedRequired', spec.attachRequired, 'field is immutable'));
    if (!deepEqual(spec.volumeLifecycleModes, was.volumeLifecycleModes))
      errs.push(invalid('spec.volumeLifecycleModes', spec.volumeLifecycleModes, 'field is immutable'));
    return errs;
  },
};
