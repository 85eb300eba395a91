// ReplicaSet validation, as upstream's ValidateReplicaSet and ValidateReplicaSetUpdate: the
// workload spec (src/api/validation/apps.ts), an immutable selector, non-negative status counts.
import type { Validator } from '../../api/resource.js';
import { validateReplicaCounts, validateSelectorUnchanged, validateWorkloadSpec } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

export const replicaSetValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateWorkloadSpec((o as Any).spec ?? {}, SPEC, 'replicaset')],
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validateWorkloadSpec((o as Any).spec ?? {}, SPEC, 'replicaset'),
    ...validateSelectorUnchanged((o as Any).spec, (old as Any).spec, SPEC),
  ],
  updateStatus: (o) => validateReplicaCounts((o as Any).status),
};
