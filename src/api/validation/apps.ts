// What the workloads (ReplicaSet, Deployment, ...) validate alike, as upstream's
// pkg/apis/apps/validation: selector, template, pod spec, rollout strategy, status counts.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { deepEqual } from '../object.js';
import { forbidden, goValue, invalid, notSupported, required, type FieldError, type GoValue } from '../field-errors.js';
import { selectorFromLabelSelector, SelectorError } from '../labels.js';
import { isQualifiedName } from '../names.js';
import { validateLabels, validateAnnotations } from './objectmeta.js';
import { validatePodSpec } from './pod.js';
import { Path } from './path.js';

/** A count that may be left out but may not be negative. */
export function nonNegative(v: number | undefined, p: Path, errs: FieldError[]): void {
  if (v !== undefined && v < 0) errs.push(invalid(p.s, v, 'must be greater than or equal to 0'));
}

/**
 * An IntOrString that is a count or a percentage ("25%"), as upstream's ValidatePositiveIntOrPercent
 * and IsNotMoreThan100Percent; returns the number (count or percent) when valid.
 */
export function intOrPercent(v: number | string | undefined, p: Path, errs: FieldError[]): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    nonNegative(v, p, errs);
    return v;
  }
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    errs.push(
      invalid(
        p.s,
        v,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    );
    return undefined;
  }
  const n = Number(m[1]);
  if (n > 100) errs.push(invalid(p.s, v, 'must not be greater than 100%'));
  return n;
}

export function validateLabelSelector(sel: LabelSelector, p: Path): FieldError[] {
  const errs = validateLabels(sel.matchLabels, p.child('matchLabels'));
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const ep = p.child('matchExpressions').index(i);
    for (const m of isQualifiedName(e.key ?? '')) errs.push(invalid(ep.child('key').s, e.key, m));
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (!(e.values ?? []).length) errs.push(required(ep.child('values').s, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if ((e.values ?? []).length) errs.push(forbidden(ep.child('values').s, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(ep.child('operator').s, e.operator, 'not a valid selector operator'));
    }
  });
  return errs;
}

/** Go's %#v of a map[string]string, as field errors print a map value. */
export function goMap(m: Record<string, string> | undefined): GoValue {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return goValue(`map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`);
}

/** Selector, template labels matching it, and the template's pod spec, as workloads share them. */
export function validateWorkloadSpec(
  spec: { selector?: LabelSelector; template?: PodTemplateSpec; replicas?: number; minReadySeconds?: number },
  p: Path,
  kind: string,
): FieldError[] {
  const errs: FieldError[] = [];
  nonNegative(spec.replicas, p.child('replicas'), errs);
  nonNegative(spec.minReadySeconds, p.child('minReadySeconds'), errs);
  const sp = p.child('selector');
  let selectorOk = false;
  if (!spec.selector) errs.push(required(sp.s));
  else {
    const selErrs = validateLabelSelector(spec.selector, sp);
    errs.push(...selErrs);
    if (!Object.keys(spec.selector.matchLabels ?? {}).length && !(spec.selector.matchExpressions ?? []).length) {
      errs.push(invalid(sp.s, spec.selector, `empty selector is invalid for ${kind}`));
    } else selectorOk = selErrs.length === 0;
  }
  const tp = p.child('template');
  if (!spec.template) {
    errs.push(required(tp.s));
    return errs;
  }
  const labels = spec.template.metadata?.labels;
  errs.push(...validateLabels(labels, tp.child('metadata').child('labels')));
  errs.push(...validateAnnotations(spec.template.metadata?.annotations, tp.child('metadata').child('annotations')));
  if (selectorOk) {
    let matches = false;
    try {
      matches = selectorFromLabelSelector(spec.selector).matches(labels ?? {});
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
    }
    if (!matches) errs.push(invalid(tp.child('metadata').child('labels').s, goMap(labels), '`selector` does not match template `labels`'));
  }
  const ps = tp.child('spec');
  errs.push(...validatePodSpec(spec.template.spec, ps));
  const rp = spec.template.spec?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(notSupported(ps.child('restartPolicy').s, rp, ['Always']));
  if (spec.template.spec?.activeDeadlineSeconds !== undefined)
    errs.push(forbidden(ps.child('activeDeadlineSeconds').s, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  return errs;
}

/** Status counts of a workload may not be negative. */
export function validateReplicaCounts(status: Record<string, any> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['replicas', 'readyReplicas', 'availableReplicas', 'updatedReplicas', 'fullyLabeledReplicas', 'observedGeneration']) {
    const v = status?.[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`status.${f}`, v, 'must be greater than or equal to 0'));
  }
  return errs;
}

/** apps/v1 selectors are immutable. */
export function validateSelectorUnchanged(
  spec: { selector?: LabelSelector } | undefined,
  old: { selector?: LabelSelector } | undefined,
  p: Path,
): FieldError[] {
  if (deepEqual(spec?.selector, old?.selector)) return [];
  return [invalid(p.child('selector').s, spec?.selector ?? null, 'field is immutable')];
}
