// Whether one RBAC rule grants a request, as upstream's rbac.RuleAllows and the matchers of
// pkg/apis/rbac/v1/evaluation_helpers.go: `*` matches any verb, group, resource or URL; a rule's
// `pods/log` names a subresource and `*/scale` that subresource of any resource; resourceNames
// narrow a rule to those objects; a non-resource URL ending in `*` covers everything below it.
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { Attributes } from './attributes.js';

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, group);
}

export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const res of rule.resources ?? []) {
    if (res === '*' || res === combined) return true;
    if (subresource && res === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return !rule.resourceNames?.length || rule.resourceNames.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs ?? []) {
    if (url === '*' || url === path) return true;
    if (url.endsWith('*') && path.startsWith(url.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, combined, a.subresource) && resourceNameMatches(rule, a.name);
}
