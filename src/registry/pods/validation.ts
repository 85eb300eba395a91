// Pod validation: metadata and spec (src/api/validation/pod.ts, shared with the workload
// templates), what an update may change, and the phases a status may report.
import type { Validator } from '../../api/resource.js';
import { notSupported, type FieldError } from '../../api/field-errors.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { validatePodSpec, validatePodSpecUpdate } from '../../api/validation/pod.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

export const podValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePodSpec((o as Any).spec, SPEC)],
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validatePodSpecUpdate((o as Any).spec ?? {}, (old as Any).spec ?? {}, SPEC),
  ],
  updateStatus: (o) => {
    const errs: FieldError[] = [];
    const phase = (o as Any).status?.phase;
    const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
    if (phase && !phases.includes(phase)) errs.push(notSupported('status.phase', phase, phases));
    return errs;
  },
};
