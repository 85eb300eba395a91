// What the four RBAC kinds validate alike, as upstream's pkg/apis/rbac/validation: policy rules,
// the roleRef of a binding (immutable once written) and its subjects.
import type { PolicyRule, RoleRef, Subject } from 'kubernetes-types/rbac/v1';
import type { KObject } from '../object.js';
import type { Validator } from '../resource.js';
import { goValue, invalid, notSupported, required, type FieldError } from '../field-errors.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../names.js';
import { nameIsPathSegment, validateObjectMeta } from './objectmeta.js';
import { validateLabelSelector } from './apps.js';
import { Path } from './path.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

type Any = Record<string, any>;

/** Upstream's ValidatePolicyRule: namespaced rules cannot name non-resource URLs. */
export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(p.child('verbs').s, 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    if (namespaced) errs.push(invalid(p.child('nonResourceURLs').s, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(invalid(p.child('nonResourceURLs').s, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(required(p.child('apiGroups').s, 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(required(p.child('resources').s, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r ?? {}, namespaced, new Path('rules').index(i)));
}

export const roleValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsPathSegment), ...validateRules((o as Any).rules, true)],
};

export const clusterRoleValidator: Validator = {
  create: (o) => {
    const errs = [...validateObjectMeta(o.metadata, false, nameIsPathSegment), ...validateRules((o as Any).rules, false)];
    const agg = (o as Any).aggregationRule;
    if (agg) {
      const p = new Path('aggregationRule').child('clusterRoleSelectors');
      if (!agg.clusterRoleSelectors?.length) errs.push(required(p.s, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
      (agg.clusterRoleSelectors ?? []).forEach((s: Any, i: number) => errs.push(...validateLabelSelector(s ?? {}, p.index(i))));
    }
    return errs;
  },
};

function validateRoleRef(ref: RoleRef | undefined, kinds: string[]): FieldError[] {
  const p = new Path('roleRef');
  const errs: FieldError[] = [];
  if ((ref?.apiGroup ?? '') !== RBAC_GROUP) errs.push(notSupported(p.child('apiGroup').s, ref?.apiGroup ?? '', [RBAC_GROUP]));
  if (!kinds.includes(ref?.kind ?? '')) errs.push(notSupported(p.child('kind').s, ref?.kind ?? '', kinds));
  if (!ref?.name) errs.push(required(p.child('name').s));
  else for (const m of isValidPathSegmentName(ref.name)) errs.push(invalid(p.child('name').s, ref.name, m));
  return errs;
}

/** Upstream's ValidateRoleBindingSubject. */
export function validateSubject(s: Subject, namespaced: boolean, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(p.child('name').s));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const m of isDNS1123Subdomain(s.name)) errs.push(invalid(p.child('name').s, s.name, m));
      if (s.apiGroup) errs.push(notSupported(p.child('apiGroup').s, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(p.child('namespace').s));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(p.child('apiGroup').s, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(p.child('kind').s, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function goRoleRef(r: RoleRef | undefined): ReturnType<typeof goValue> {
  return goValue(`rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`);
}

function bindingValidator(namespaced: boolean, kinds: string[]): Validator {
  const create = (o: KObject) => {
    const b = o as Any;
    return [
      ...validateObjectMeta(o.metadata, namespaced, nameIsPathSegment),
      ...validateRoleRef(b.roleRef, kinds),
      ...((b.subjects ?? []) as Subject[]).flatMap((s, i) => validateSubject(s ?? ({} as Subject), namespaced, new Path('subjects').index(i))),
    ];
  };
  return {
    create,
    update: (o, old) => {
      const errs = create(o);
      const [a, b] = [(o as Any).roleRef ?? {}, (old as Any).roleRef ?? {}];
      // The roleRef says what a binding grants: changing it would let `bind` on one role stand for another.
      if (a.apiGroup !== b.apiGroup || a.kind !== b.kind || a.name !== b.name) errs.push(invalid('roleRef', goRoleRef(a), 'cannot change roleRef'));
      return errs;
    },
  };
}

export const roleBindingValidator = bindingValidator(true, ['Role', 'ClusterRole']);
export const clusterRoleBindingValidator = bindingValidator(false, ['ClusterRole']);

/** Upstream's SetDefaults for bindings: User and Group subjects and the roleRef are in the RBAC group. */
export function defaultBinding(o: KObject): void {
  const b = o as Any;
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) if (s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
}
