// CSINode validation, as upstream's ValidateCSINode(Update) (pkg/apis/storage/validation): the
// name is a node name; each driver has a valid, unique name, a node ID of at most 192
// characters, a non-negative allocatable count and unique qualified topology keys. A driver
// already registered keeps its node ID and topology keys; its allocatable count may change
// (upstream's MutableCSINodeAllocatableCount, on by default since 1.34).
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { duplicate, invalid, required, tooLong, type FieldError } from '../../api/field-errors.js';
import { isDNS1123Subdomain, isQualifiedName } from '../../api/names.js';
import { Path } from '../../api/validation/path.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';

type Any = Record<string, any>;

const CSI_NODE_ID_MAX_LENGTH = 192;
const CSI_DRIVER_NAME_MAX_LENGTH = 63;

/** Upstream's core ValidateCSIDriverName: the name a CSI driver reports, a DNS subdomain of at most 63 characters. */
export function validateCSIDriverName(driverName: string | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const n = driverName ?? '';
  if (!n) errs.push(required(p.s));
  if (n.length > CSI_DRIVER_NAME_MAX_LENGTH) errs.push(tooLong(p.s, n, CSI_DRIVER_NAME_MAX_LENGTH));
  for (const m of isDNS1123Subdomain(n.toLowerCase())) errs.push(invalid(p.s, n, m));
  return errs;
}

function validateDriver(d: Any, seen: Set<string>, p: Path): FieldError[] {
  const errs = validateCSIDriverName(d.name, p.child('name'));
  const nodeID = String(d.nodeID ?? '');
  if (!nodeID) errs.push(required(p.child('nodeID').s));
  if (nodeID.length > CSI_NODE_ID_MAX_LENGTH) errs.push(invalid(p.child('nodeID').s, nodeID, `must be ${CSI_NODE_ID_MAX_LENGTH} characters or less`));
  const count = d.allocatable?.count;
  if (typeof count === 'number' && count < 0) errs.push(invalid(p.child('allocatable').child('count').s, count, 'must be greater than or equal to 0'));
  if (seen.has(d.name)) errs.push(duplicate(p.child('name').s, d.name));
  seen.add(d.name);
  const keys = new Set<string>();
  for (const key of (d.topologyKeys ?? []) as string[]) {
    if (!key) errs.push(required(p.s));
    if (keys.has(key)) errs.push(duplicate(p.s, key));
    keys.add(key);
    for (const m of isQualifiedName(key)) errs.push(invalid(p.s, key, m));
  }
  return errs;
}

function validateCSINode(o: Any): FieldError[] {
  const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
  const drivers = new Path('spec').child('drivers');
  const seen = new Set<string>();
  ((o.spec?.drivers ?? []) as Any[]).forEach((d, i) => errs.push(...validateDriver(d, seen, drivers.index(i))));
  return errs;
}

/** A driver as compared on update: everything but its allocatable count. */
const fixedPart = (d: Any) => ({ ...d, allocatable: undefined });

export const csiNodeValidator: Validator = {
  create: (o) => validateCSINode(o as Any),
  update: (o, old) => {
    const errs = validateCSINode(o as Any);
    const before = new Map(((old as Any).spec?.drivers ?? []).map((d: Any) => [d.name, d]));
    for (const d of ((o as Any).spec?.drivers ?? []) as Any[]) {
      const was = before.get(d.name) as Any | undefined;
      if (was && !deepEqual(fixedPart(d), fixedPart(was))) errs.push(invalid('spec.drivers', fixedPart(d), 'field is immutable'));
    }
    return errs;
  },
};
