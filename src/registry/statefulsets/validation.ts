// StatefulSet validation, as upstream's ValidateStatefulSet(Update/Status): the workload spec
// (src/api/validation/apps.ts), pod management, update strategy, claim retention, claim
// templates; after creation only replicas, ordinals, template, updateStrategy,
// revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { isDNS1123Label } from '../../api/names.js';
import { intOrPercent, nonNegative, validateWorkloadSpec } from '../../api/validation/apps.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { validateClaimSpec } from '../persistentvolumeclaims/validation.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

export const IMMUTABLE_SPEC_MESSAGE =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

function validateUpdateStrategy(st: Any, p: Path, errs: FieldError[]): void {
  const tp = p.child('type');
  const rp = p.child('rollingUpdate');
  if (!st.type) errs.push(required(tp.s, ''));
  else if (st.type === 'OnDelete') {
    if (st.rollingUpdate) errs.push(invalid(rp.s, st.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (st.type === 'RollingUpdate') {
    if (st.rollingUpdate) {
      nonNegative(st.rollingUpdate.partition, rp.child('partition'), errs);
      const mp = rp.child('maxUnavailable');
      const n = intOrPercent(st.rollingUpdate.maxUnavailable, mp, errs);
      if (n === 0) errs.push(invalid(mp.s, st.rollingUpdate.maxUnavailable, 'should not be 0'));
    }
  } else errs.push(invalid(tp.s, st.type, "must be 'RollingUpdate' or 'OnDelete'"));
}

/**
 * The spec as its pods will be: each claim template a volume of the pod (replacing a template
 * volume of the same name), so mounts of the claims validate (upstream's TODO: the union of
 * volumes and claims must match the mounts). A claim with a bad name is reported as such, not as a volume.
 */
function withClaimVolumes(spec: Any): Any {
  const claims: string[] = (spec.volumeClaimTemplates ?? [])
    .map((c: Any) => c?.metadata?.name)
    .filter((n: unknown) => typeof n === 'string' && !isDNS1123Label(n).length);
  if (!claims.length || !spec.template?.spec) return spec;
  const volumes = [
    ...claims.map((name) => ({ name, persistentVolumeClaim: { claimName: name } })),
    ...(spec.template.spec.volumes ?? []).filter((v: Any) => !claims.includes(v?.name)),
  ];
  return { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, volumes } } };
}

function validateStatefulSetSpec(spec: Any, p: Path): FieldError[] {
  const errs = validateWorkloadSpec(withClaimVolumes(spec), p, 'statefulset');
  const pm = spec.podManagementPolicy;
  if (!pm) errs.push(required(p.child('podManagementPolicy').s, ''));
  else if (pm !== 'OrderedReady' && pm !== 'Parallel') errs.push(invalid(p.child('podManagementPolicy').s, pm, "must be 'OrderedReady' or 'Parallel'"));
  validateUpdateStrategy(spec.updateStrategy ?? {}, p.child('updateStrategy'), errs);
  const rp = p.child('persistentVolumeClaimRetentionPolicy');
  for (const f of ['whenDeleted', 'whenScaled']) {
    const v = spec.persistentVolumeClaimRetentionPolicy?.[f];
    if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(rp.child(f).s, v ?? '', ['Retain', 'Delete']));
  }
  nonNegative(spec.revisionHistoryLimit, p.child('revisionHistoryLimit'), errs);
  nonNegative(spec.ordinals?.start, p.child('ordinals').child('start'), errs);
  if (spec.serviceName) for (const m of isDNS1123Label(spec.serviceName)) errs.push(invalid(p.child('serviceName').s, spec.serviceName, m));
  (spec.volumeClaimTemplates ?? []).forEach((claim: Any, i: number) => {
    const cp = p.child('volumeClaimTemplates').index(i);
    if (!claim?.metadata?.name) errs.push(required(cp.child('metadata').child('name').s, 'name or generateName is required'));
    else for (const m of isDNS1123Label(claim.metadata.name)) errs.push(invalid(cp.child('metadata').child('name').s, claim.metadata.name, m));
    errs.push(...validateClaimSpec(claim?.spec ?? {}, cp.child('spec')));
  });
  return errs;
}

/** The spec without the fields an update may change. */
function fixedSpec(spec: Any | undefined): Any {
  const {
    replicas: _r,
    ordinals: _o,
    template: _t,
    updateStrategy: _u,
    revisionHistoryLimit: _h,
    persistentVolumeClaimRetentionPolicy: _p,
    minReadySeconds: _m,
    ...rest
  } = spec ?? {};
  return rest;
}

export const statefulSetValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateStatefulSetSpec((o as Any).spec ?? {}, SPEC)],
  update: (o, old) => {
    const errs = [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateStatefulSetSpec((o as Any).spec ?? {}, SPEC)];
    if (!deepEqual(fixedSpec((o as Any).spec), fixedSpec((old as Any).spec))) errs.push(forbidden(SPEC.s, IMMUTABLE_SPEC_MESSAGE));
    return errs;
  },
  updateStatus: (o) => {
    const errs: FieldError[] = [];
    const s = (o as Any).status ?? {};
    const p = new Path('status');
    for (const f of ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']) {
      nonNegative(s[f], p.child(f), errs);
    }
    for (const f of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) {
      if ((s[f] ?? 0) > (s.replicas ?? 0)) errs.push(invalid(p.child(f).s, s[f], 'cannot be greater than status.replicas'));
    }
    if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0))
      errs.push(invalid(p.child('availableReplicas').s, s.availableReplicas, 'cannot be greater than status.readyReplicas'));
    return errs;
  },
};
