// ReplicationController validation, as upstream's ValidateReplicationController(Update): the
// selector is a plain label map that may not be empty, the template (required) must carry its
// labels and restart Always. Unlike apps/v1, the selector may change on update.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { Validator } from '../../api/resource.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { goMap, nonNegative, validateReplicaCounts } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateAnnotations, validateLabels, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { validatePodSpec } from '../../api/validation/pod.js';
import { Path } from '../../api/validation/path.js';

interface RcSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: Record<string, string>;
  template?: PodTemplateSpec;
}

const SPEC = new Path('spec');

export function validateReplicationControllerSpec(spec: RcSpec, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  nonNegative(spec.minReadySeconds, p.child('minReadySeconds'), errs);
  const selector = spec.selector ?? {};
  const sp = p.child('selector');
  if (!Object.keys(selector).length) errs.push(required(sp.s));
  else errs.push(...validateLabels(selector, sp));
  nonNegative(spec.replicas, p.child('replicas'), errs);
  const tp = p.child('template');
  const template = spec.template;
  if (!template) {
    errs.push(required(tp.s));
    return errs;
  }
  const labels = template.metadata?.labels ?? {};
  if (Object.keys(selector).length && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalid(tp.child('metadata').child('labels').s, goMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validateLabels(template.metadata?.labels, tp.child('metadata').child('labels')));
  errs.push(...validateAnnotations(template.metadata?.annotations, tp.child('metadata').child('annotations')));
  const ps = tp.child('spec');
  errs.push(...validatePodSpec(template.spec, ps));
  const rp = template.spec?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(notSupported(ps.child('restartPolicy').s, rp, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden(ps.child('activeDeadlineSeconds').s, 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

type Any = Record<string, any>;

export const replicationControllerValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateReplicationControllerSpec((o as Any).spec ?? {}, SPEC)],
  update: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateReplicationControllerSpec((o as Any).spec ?? {}, SPEC)],
  updateStatus: (o) => validateReplicaCounts((o as Any).status),
};
