// What Jobs and CronJobs' job templates validate alike, as upstream's pkg/apis/batch/validation:
// counts, completion mode, retry limits, the pod failure and success policies, and a template
// whose pods run to completion (restartPolicy OnFailure or Never).
import type { JobSpec } from 'kubernetes-types/batch/v1';
import { deepEqual } from '../object.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../field-errors.js';
import { selectorFromLabelSelector, SelectorError } from '../labels.js';
import { nonNegative, validateLabelSelector } from './apps.js';
import { validateAnnotations, validateLabels } from './objectmeta.js';
import { validatePodSpec } from './pod.js';
import type { Path } from './path.js';

type Any = Record<string, any>;

const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const RESTART_POLICIES = ['OnFailure', 'Never'];
const FAILURE_ACTIONS = ['FailJob', 'FailIndex', 'Ignore', 'Count'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const REPLACEMENT_POLICIES = ['TerminatingOrFailed', 'Failed'];
/** Upstream's limits on the per-index fields (maxParallelismForIndexedJob and friends). */
const MAX_INDEXED_COMPLETIONS_WITH_PER_INDEX = 100_000;
const MAX_FAILURE_POLICY_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const MAX_SUCCESS_POLICY_RULES = 20;

function positive(v: number | undefined | null, p: Path, errs: FieldError[]): void {
  if (v != null && v <= 0) errs.push(invalid(p.s, v, 'must be greater than 0'));
}

/** A Job's spec (a CronJob's job template included: requireSelector false, as upstream's template validation). */
export function validateJobSpec(spec: JobSpec & Any, p: Path, requireSelector: boolean): FieldError[] {
  const errs: FieldError[] = [];
  nonNegative(spec.parallelism ?? undefined, p.child('parallelism'), errs);
  nonNegative(spec.completions ?? undefined, p.child('completions'), errs);
  nonNegative(spec.backoffLimit ?? undefined, p.child('backoffLimit'), errs);
  nonNegative(spec.ttlSecondsAfterFinished ?? undefined, p.child('ttlSecondsAfterFinished'), errs);
  positive(spec.activeDeadlineSeconds, p.child('activeDeadlineSeconds'), errs);
  const indexed = spec.completionMode === 'Indexed';
  if (spec.completionMode != null && !COMPLETION_MODES.includes(spec.completionMode))
    errs.push(notSupported(p.child('completionMode').s, spec.completionMode, COMPLETION_MODES));
  if (indexed && spec.completions == null) errs.push(required(p.child('completions').s, 'when completion mode is Indexed'));
  if (spec.backoffLimitPerIndex != null) {
    nonNegative(spec.backoffLimitPerIndex, p.child('backoffLimitPerIndex'), errs);
    if (!indexed) errs.push(forbidden(p.child('backoffLimitPerIndex').s, 'requires indexed completion mode'));
    if (indexed && (spec.completions ?? 0) > MAX_INDEXED_COMPLETIONS_WITH_PER_INDEX)
      errs.push(
        invalid(
          p.child('completions').s,
          spec.completions,
          `must be less than or equal to ${MAX_INDEXED_COMPLETIONS_WITH_PER_INDEX} when backoffLimitPerIndex is set`,
        ),
      );
  }
  if (spec.maxFailedIndexes != null) {
    const mp = p.child('maxFailedIndexes');
    nonNegative(spec.maxFailedIndexes, mp, errs);
    if (spec.backoffLimitPerIndex == null) errs.push(required(p.child('backoffLimitPerIndex').s, 'when maxFailedIndexes is specified'));
    if (spec.completions != null && spec.maxFailedIndexes > spec.completions)
      errs.push(invalid(mp.s, spec.maxFailedIndexes, 'must be less than or equal to completions'));
  }
  if (spec.podReplacementPolicy != null) {
    if (!REPLACEMENT_POLICIES.includes(spec.podReplacementPolicy))
      errs.push(notSupported(p.child('podReplacementPolicy').s, spec.podReplacementPolicy, REPLACEMENT_POLICIES));
    else if (spec.podFailurePolicy && spec.podReplacementPolicy !== 'Failed')
      errs.push(notSupported(p.child('podReplacementPolicy').s, spec.podReplacementPolicy, ['Failed']));
  }
  if (spec.podFailurePolicy) errs.push(...validatePodFailurePolicy(spec, p.child('podFailurePolicy')));
  if (spec.successPolicy) errs.push(...validateSuccessPolicy(spec, p.child('successPolicy')));

  const sp = p.child('selector');
  let selectorOk = false;
  if (spec.selector) {
    const selErrs = validateLabelSelector(spec.selector, sp);
    errs.push(...selErrs);
    selectorOk = selErrs.length === 0;
  } else if (requireSelector) errs.push(required(sp.s));

  const tp = p.child('template');
  if (!spec.template) {
    errs.push(required(tp.s));
    return errs;
  }
  const labels = spec.template.metadata?.labels ?? undefined;
  errs.push(...validateLabels(labels, tp.child('metadata').child('labels')));
  errs.push(...validateAnnotations(spec.template.metadata?.annotations ?? undefined, tp.child('metadata').child('annotations')));
  if (selectorOk && spec.selector) {
    let matches = false;
    try {
      matches = selectorFromLabelSelector(spec.selector).matches(labels ?? {});
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
    }
    if (!matches) errs.push(invalid(tp.child('metadata').child('labels').s, labels ?? {}, '`selector` does not match template `labels`'));
  }
  const ps = tp.child('spec');
  errs.push(...validatePodSpec(spec.template.spec, ps));
  const rp = spec.template.spec?.restartPolicy;
  if (!rp) errs.push(required(ps.child('restartPolicy').s, `valid values: "OnFailure", "Never"`));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(notSupported(ps.child('restartPolicy').s, rp, RESTART_POLICIES));
  else if (spec.podFailurePolicy && rp !== 'Never')
    errs.push(invalid(ps.child('restartPolicy').s, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validatePodFailurePolicy(spec: Any, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const rules: Any[] = spec.podFailurePolicy.rules ?? [];
  const rp = p.child('rules');
  if (rules.length > MAX_FAILURE_POLICY_RULES) errs.push(invalid(rp.s, rules.length, `must have at most ${MAX_FAILURE_POLICY_RULES} items`));
  const containerNames = new Set([...(spec.template?.spec?.containers ?? []), ...(spec.template?.spec?.initContainers ?? [])].map((c: Any) => c.name));
  rules.forEach((rule, i) => {
    const p = rp.index(i);
    if (!FAILURE_ACTIONS.includes(rule.action))
      errs.push(rule.action ? notSupported(p.child('action').s, rule.action, FAILURE_ACTIONS) : required(p.child('action').s));
    if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex == null)
      errs.push(forbidden(p.child('action').s, 'requires the backoffLimitPerIndex to be set'));
    const hasCodes = rule.onExitCodes != null;
    const hasConds = (rule.onPodConditions ?? []).length > 0;
    if (hasCodes && hasConds)
      errs.push(
        invalid(p.s, 'specifying both OnExitCodes and OnPodConditions is not supported', 'specifying both OnExitCodes and OnPodConditions is not supported'),
      );
    else if (!hasCodes && !hasConds)
      errs.push(invalid(p.s, 'specifying one of OnExitCodes and OnPodConditions is required', 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (hasCodes) {
      const cp = p.child('onExitCodes');
      const req = rule.onExitCodes;
      if (req.containerName != null && !containerNames.has(req.containerName))
        errs.push(invalid(cp.child('containerName').s, req.containerName, 'must be one of the container or initContainer names in the pod template'));
      if (!EXIT_CODE_OPERATORS.includes(req.operator))
        errs.push(req.operator ? notSupported(cp.child('operator').s, req.operator, EXIT_CODE_OPERATORS) : required(cp.child('operator').s));
      const values: number[] = req.values ?? [];
      const vp = cp.child('values');
      if (!values.length) errs.push(required(vp.s, 'at least one value is required'));
      if (values.length > MAX_EXIT_CODE_VALUES) errs.push(invalid(vp.s, values.length, `must have at most ${MAX_EXIT_CODE_VALUES} items`));
      values.forEach((v, j) => {
        if (req.operator === 'In' && v === 0) errs.push(invalid(vp.index(j).s, v, 'must not be 0 for the In operator'));
        if (j > 0 && values[j - 1]! === v) errs.push(invalid(vp.index(j).s, v, 'must be unique'));
        else if (j > 0 && values[j - 1]! > v) errs.push(invalid(vp.index(j).s, v, 'must be ordered'));
      });
    }
    (rule.onPodConditions ?? []).forEach((c: Any, j: number) => {
      const cp = p.child('onPodConditions').index(j);
      if (!c.type) errs.push(required(cp.child('type').s));
      if (!['True', 'False', 'Unknown'].includes(c.status)) errs.push(notSupported(cp.child('status').s, c.status, ['True', 'False', 'Unknown']));
    });
  });
  return errs;
}

function validateSuccessPolicy(spec: Any, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.completionMode !== 'Indexed') errs.push(invalid(p.s, spec.successPolicy, 'requires indexed completion mode'));
  const rules: Any[] = spec.successPolicy.rules ?? [];
  const rp = p.child('rules');
  if (!rules.length) errs.push(required(rp.s, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_POLICY_RULES) errs.push(invalid(rp.s, rules.length, `must have at most ${MAX_SUCCESS_POLICY_RULES} items`));
  rules.forEach((rule, i) => {
    const p = rp.index(i);
    if (rule.succeededIndexes == null && rule.succeededCount == null)
      errs.push(required(p.s, 'at least one of succeededCount or succeededIndexes must be specified'));
    let indexes: number[] | undefined;
    if (rule.succeededIndexes != null) {
      indexes = parseIndexes(rule.succeededIndexes, spec.completions ?? 0);
      if (!indexes)
        errs.push(
          invalid(
            p.child('succeededIndexes').s,
            rule.succeededIndexes,
            `error parsing succeededIndexes: must be ordered, non-overlapping intervals of indexes below ${spec.completions ?? 0}`,
          ),
        );
    }
    if (rule.succeededCount != null) {
      const cp = p.child('succeededCount');
      nonNegative(rule.succeededCount, cp, errs);
      if (spec.completions != null && rule.succeededCount > spec.completions)
        errs.push(invalid(cp.s, rule.succeededCount, `must be less than or equal to ${spec.completions} (the number of specified completions)`));
      if (indexes && rule.succeededCount > indexes.length)
        errs.push(
          invalid(cp.s, rule.succeededCount, `must be less than or equal to ${indexes.length} (the number of indexes in the specified succeededIndexes field)`),
        );
    }
  });
  return errs;
}

/** "1,3-5,7" as the indexes it names, if well formed, ordered and below completions. */
export function parseIndexes(s: string, completions: number): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  let last = -1;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > to || from <= last || to >= completions) return undefined;
    for (let i = from; i <= to; i++) out.push(i);
    last = to;
  }
  return out;
}

/** What a Job's update may not change, as upstream's ValidateJobSpecUpdate. */
export function validateJobSpecUpdate(spec: Any, old: Any, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: string) => {
    if (!deepEqual(spec[field] ?? null, old[field] ?? null)) errs.push(invalid(p.child(field).s, spec[field] ?? null, 'field is immutable'));
  };
  immutable('selector');
  immutable('completionMode');
  immutable('podFailurePolicy');
  immutable('backoffLimitPerIndex');
  immutable('successPolicy');
  // Elastic Indexed Jobs: completions may change with parallelism, kept equal to it.
  const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism && old.completions === old.parallelism;
  if (!elastic) immutable('completions');
  // The template may change only while a Job that never started is suspended (scheduling directives).
  if (!deepEqual(spec.template, old.template) && !(old.suspend === true)) errs.push(invalid(p.child('template').s, spec.template, 'field is immutable'));
  return errs;
}
