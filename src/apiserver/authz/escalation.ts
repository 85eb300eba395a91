// Escalation prevention, as upstream's pkg/registry/rbac/{role,clusterrole,rolebinding,
// clusterrolebinding}/policybased and rbac/validation.ConfirmNoEscalation: writing a Role or
// ClusterRole needs every permission it grants (in its namespace, or cluster-wide) or the
// `escalate` verb on it; writing a binding needs the permissions of the role it refers to or the
// `bind` verb on that role. system:masters, and the server's own writes, pass.
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { KObject } from '../../api/object.js';
import type { Strategy } from '../../registry/strategy.js';
import { ApiError } from '../errors.js';
import { SYSTEM_PRIVILEGED_GROUP, type UserInfo } from '../authn/user.js';
import type { RequestIdentity } from '../authn/request-user.js';
import type { Attributes } from './attributes.js';
import { uncoveredRules } from './covers.js';

type Any = Record<string, any>;
const G = 'rbac.authorization.k8s.io';

const goStrings = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/** Upstream's CompactString of a rule: `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goStrings(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goStrings(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goStrings(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goStrings(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goStrings(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Upstream's CompactRules: simple rules on the same group and resource merge their verbs. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = r.apiGroups?.length === 1 && r.resources?.length === 1 && !r.resourceNames?.length && !r.nonResourceURLs?.length;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = `${r.apiGroups![0]}\0${r.resources![0]}`;
    const seen = simple.get(key);
    if (seen) {
      for (const v of r.verbs ?? []) if (!seen.verbs.includes(v)) seen.verbs.push(v);
    } else {
      const copy = { apiGroups: [...r.apiGroups!], resources: [...r.resources!], verbs: [...(r.verbs ?? [])] };
      simple.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

/** Throws upstream's "attempting to grant RBAC permissions not currently held" unless the user holds `rules` in `namespace`. */
export function confirmNoEscalation(id: RequestIdentity, namespace: string, rules: PolicyRule[], forbidden: (why: string) => ApiError): void {
  const { rules: owned, errors } = id.authorizer.rbac.rulesFor(id.user, namespace);
  const missing = uncoveredRules(owned, rules);
  if (!missing.length) return;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(id.user.name)} (groups=${goStrings(id.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (errors.length) msg += `; resolution errors: [${errors.join(' ')}]`;
  throw forbidden(msg);
}

const privileged = (u: UserInfo) => u.groups.includes(SYSTEM_PRIVILEGED_GROUP);

function allowed(id: RequestIdentity, verb: string, resource: string, namespace: string, name: string): boolean {
  const a: Attributes = { user: id.user, verb, resourceRequest: true, path: '', apiGroup: G, apiVersion: 'v1', resource, subresource: '', namespace, name };
  return id.authorizer.authorize(a).allowed;
}

const forbiddenOn = (plural: string, name: string) => (why: string) =>
  new ApiError(403, 'Forbidden', `${plural}.${G} ${JSON.stringify(name)} is forbidden: ${why}`, { name, group: G, kind: plural });

function checkRole(obj: KObject, id: RequestIdentity | undefined): void {
  if (!id || privileged(id.user)) return;
  const namespace = obj.metadata.namespace ?? '';
  const plural = namespace ? 'roles' : 'clusterroles';
  const name = obj.metadata.name ?? '';
  if (allowed(id, 'escalate', plural, namespace, name)) return;
  confirmNoEscalation(id, namespace, (obj as Any).rules ?? [], forbiddenOn(plural, name));
}

function checkBinding(obj: KObject, id: RequestIdentity | undefined): void {
  if (!id || privileged(id.user)) return;
  const namespace = obj.metadata.namespace ?? '';
  const plural = namespace ? 'rolebindings' : 'clusterrolebindings';
  const name = obj.metadata.name ?? '';
  const ref = (obj as Any).roleRef ?? {};
  const rolePlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  if (allowed(id, 'bind', rolePlural, namespace, ref.name ?? '')) return;
  const role = ref.kind === 'Role' ? id.authorizer.rbac.roleGetter.role(namespace, ref.name) : id.authorizer.rbac.roleGetter.clusterRole(ref.name);
  const forbidden = forbiddenOn(plural, name);
  if (!role) throw forbidden(`${ref.kind === 'Role' ? 'role' : 'clusterrole'}.${G} ${JSON.stringify(ref.name)} not found`);
  confirmNoEscalation(id, namespace, (role as Any).rules ?? [], forbidden);
}

/** The write strategy of Role and ClusterRole. */
export const roleStrategy: Strategy = {
  beginCreate: async (obj, _env, _dryRun, requester) => (checkRole(obj, requester), undefined),
  beginUpdate: async (next, _current, subresource, _env, _dryRun, requester) => (subresource === '' ? checkRole(next, requester) : undefined, undefined),
};

/** The write strategy of RoleBinding and ClusterRoleBinding. */
export const bindingStrategy: Strategy = {
  beginCreate: async (obj, _env, _dryRun, requester) => (checkBinding(obj, requester), undefined),
  beginUpdate: async (next, _current, subresource, _env, _dryRun, requester) => (subresource === '' ? checkBinding(next, requester) : undefined, undefined),
};
