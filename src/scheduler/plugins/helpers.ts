// Pieces several scheduler plugins share, with upstream's semantics: toleration matching
// (k8s.io/api core/v1 toleration.go, component-helpers scheduling/corev1), node selector terms
// (component-helpers scheduling/corev1/nodeaffinity) and the default score normalisation
// (framework/plugins/helper/normalize_score.go).
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm, Taint, Toleration } from 'kubernetes-types/core/v1';
import { isLabelValue, isQualifiedName } from '../../api/names.js';
import { Status } from '../framework/status.js';
import type { NodeScore, PluginArgs } from '../framework/types.js';

/** A label's value, never an inherited property of the labels object. */
export function labelValue(labels: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

export function nodeLabels(node: Node | undefined): Record<string, string> {
  return node?.metadata?.labels ?? {};
}

export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

// ---- tolerations ----

/**
 * Whether one toleration tolerates a taint: an empty effect matches every effect, an empty key
 * (only valid with Exists) every key; Exists matches any value, Equal (or no operator) the
 * exact value. Lt/Gt (alpha TaintTolerationComparisonOperators, off by default) never match.
 */
export function tolerationToleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerationToleratesTaint(t, taint));
}

/** Taints a pod must tolerate to be placed at all (upstream DoNotScheduleTaintsFilterFunc). */
export function isDoNotScheduleTaint(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

/** The first taint that passes `include` and no toleration tolerates; undefined when all are tolerated. */
export function findMatchingUntoleratedTaint(
  taints: Taint[] | undefined,
  tolerations: Toleration[] | undefined,
  include: (t: Taint) => boolean = () => true,
): Taint | undefined {
  return (taints ?? []).find((t) => include(t) && !tolerationsTolerateTaint(tolerations, t));
}

// ---- node selectors ----

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const FIELD_OPERATORS = ['In', 'NotIn'];

const supported = (path: string, value: string, values: string[]) =>
  `${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${values.map((v) => JSON.stringify(v)).join(', ')}`;

/** Parse errors of one matchExpressions requirement, as upstream labels.NewRequirement reports them. */
function labelRequirementErrors(r: NodeSelectorRequirement, path: string): string[] {
  if (!LABEL_OPERATORS.includes(r.operator)) return [supported(`${path}.operator`, r.operator, LABEL_OPERATORS)];
  const errs = isQualifiedName(r.key).map((e) => `${path}.key: Invalid value: ${JSON.stringify(r.key)}: ${e}`);
  const values = r.values ?? [];
  const vpath = `${path}.values`;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(`${vpath}: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) errs.push(`${vpath}: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
      break;
    default:
      if (values.length !== 1) errs.push(`${vpath}: Invalid value: ${JSON.stringify(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined)
          errs.push(`${vpath}[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
  }
  values.forEach((v, i) => errs.push(...isLabelValue(v).map((e) => `${vpath}[${i}]: Invalid value: ${JSON.stringify(v)}: ${e}`)));
  return errs;
}

function fieldRequirementErrors(r: NodeSelectorRequirement, path: string): string[] {
  if (!FIELD_OPERATORS.includes(r.operator)) return [supported(`${path}.operator`, r.operator, FIELD_OPERATORS)];
  const values = r.values ?? [];
  return values.length === 1 ? [] : [`${path}.values: Invalid value: ${JSON.stringify(values)}: must have one element`];
}

function labelRequirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(v!);
    case 'NotIn':
      return !has || !values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      // A label that is missing or not an integer matches neither.
      const n = has ? parseInt64(v!) : undefined;
      const bound = parseInt64(values[0] ?? '');
      if (n === undefined || bound === undefined) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** A node's selectable fields: only metadata.name, and only when the node has a name. */
function nodeFields(node: Node): Record<string, string> {
  const name = node.metadata?.name;
  return name ? { 'metadata.name': name } : {};
}

function fieldRequirementMatches(r: NodeSelectorRequirement, fields: Record<string, string>): boolean {
  const v = fields[r.key] ?? '';
  const want = r.values?.[0] ?? '';
  return r.operator === 'In' ? v === want : v !== want;
}

/** One parsed NodeSelectorTerm: its requirements ANDed; a term with parse errors matches nothing. */
export class CompiledNodeSelectorTerm {
  readonly errors: string[];
  constructor(
    readonly term: NodeSelectorTerm,
    path = 'nodeSelectorTerm',
  ) {
    this.errors = [
      ...(term.matchExpressions ?? []).flatMap((r, i) => labelRequirementErrors(r, `${path}.matchExpressions[${i}]`)),
      ...(term.matchFields ?? []).flatMap((r, i) => fieldRequirementErrors(r, `${path}.matchFields[${i}]`)),
    ];
  }

  matches(node: Node): boolean {
    if (this.errors.length) return false;
    const labels = node.metadata?.labels ?? {};
    if (!(this.term.matchExpressions ?? []).every((r) => labelRequirementMatches(r, labels))) return false;
    const fields = nodeFields(node);
    // Upstream skips field requirements for a node without fields (no name).
    if (Object.keys(fields).length === 0) return true;
    return (this.term.matchFields ?? []).every((r) => fieldRequirementMatches(r, fields));
  }
}

function isEmptyTerm(t: NodeSelectorTerm): boolean {
  return !t.matchExpressions?.length && !t.matchFields?.length;
}

/** A NodeSelector's terms, ORed. Empty terms select nothing and are dropped; no terms match nothing. */
export class NodeSelectorMatcher {
  readonly terms: CompiledNodeSelectorTerm[];
  constructor(terms: NodeSelectorTerm[] | undefined, path = 'nodeSelectorTerms') {
    this.terms = (terms ?? []).flatMap((t, i) => (isEmptyTerm(t) ? [] : [new CompiledNodeSelectorTerm(t, `${path}[${i}]`)]));
  }
  get errors(): string[] {
    return this.terms.flatMap((t) => t.errors);
  }
  matches(node: Node | undefined): boolean {
    return !!node && this.terms.some((t) => t.matches(node));
  }
}

/** Whether the node matches any of the terms (upstream MatchNodeSelectorTerms). */
export function nodeMatchesNodeSelectorTerms(node: Node | undefined, terms: NodeSelectorTerm[] | NodeSelector | undefined): boolean {
  const list = Array.isArray(terms) ? terms : terms?.nodeSelectorTerms;
  return new NodeSelectorMatcher(list).matches(node);
}

/** A pod's hard node constraints: spec.nodeSelector and required node affinity, both must match. */
export class RequiredNodeAffinity {
  private readonly selector: Record<string, string> | undefined;
  private readonly affinity: NodeSelectorMatcher | undefined;
  constructor(pod: Pod) {
    const ns = pod.spec?.nodeSelector;
    this.selector = ns && Object.keys(ns).length > 0 ? ns : undefined;
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.affinity = required ? new NodeSelectorMatcher(required.nodeSelectorTerms) : undefined;
  }
  matches(node: Node): boolean {
    if (this.selector) {
      const labels = node.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(this.selector)) if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== v) return false;
    }
    return this.affinity ? this.affinity.matches(node) : true;
  }
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
export function podMatchesNodeSelectorAndAffinityTerms(pod: Pod, node: Node): boolean {
  return new RequiredNodeAffinity(pod).matches(node);
}

/** Weighted preferred terms; terms with weight 0 or nothing in them are dropped. */
export class PreferredSchedulingTerms {
  private readonly terms: Array<{ term: CompiledNodeSelectorTerm; weight: number }>;
  readonly errors: string[];
  constructor(terms: PreferredSchedulingTerm[] | undefined, path = 'preferredDuringSchedulingIgnoredDuringExecution') {
    const parsed = (terms ?? []).flatMap((t, i) =>
      !t.weight || isEmptyTerm(t.preference) ? [] : [{ term: new CompiledNodeSelectorTerm(t.preference, `${path}[${i}]`), weight: t.weight }],
    );
    this.errors = parsed.flatMap((p) => p.term.errors);
    this.terms = parsed.filter((p) => p.term.errors.length === 0);
  }
  /** The sum of the weights of the terms the node matches. */
  score(node: Node): number {
    return this.terms.reduce((sum, t) => (t.term.matches(node) ? sum + t.weight : sum), 0);
  }
}

// ---- scores ----

/**
 * Scales scores from [0, max] to [0, maxPriority] with integer arithmetic, in place; reverse
 * flips them (maxPriority − score). All zeros stay zero, or become maxPriority when reversed.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): Status {
  const max = scores.reduce((m, s) => Math.max(m, s.score), 0);
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return Status.success();
  }
  for (const s of scores) {
    const scaled = Math.trunc((maxPriority * s.score) / max);
    s.score = reverse ? maxPriority - scaled : scaled;
  }
  return Status.success();
}

// ---- plugin arguments ----

/** Checks that args is an object with only the given fields (apiVersion/kind always allowed). */
export function checkArgs(plugin: string, args: PluginArgs | undefined, allowed: string[] = []): PluginArgs {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new Error(`${plugin}: args must be an object, got ${JSON.stringify(args)}`);
  for (const k of Object.keys(args)) {
    if (k === 'apiVersion' || k === 'kind' || allowed.includes(k)) continue;
    throw new Error(
      allowed.length
        ? `${plugin}: unknown field ${JSON.stringify(k)} in args (allowed: ${allowed.join(', ')})`
        : `${plugin}: takes no args, got field ${JSON.stringify(k)}`,
    );
  }
  return args;
}

/** Go's %v of a []string: "[a b c]". */
export function goStringSlice(items: string[]): string {
  return `[${items.join(' ')}]`;
}
