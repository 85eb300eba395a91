// The RBAC authorizer, as upstream's plugin/pkg/auth/authorizer/rbac: a request is allowed when
// a rule of a role bound to its user (by name, by group, or as a ServiceAccount) allows it;
// ClusterRoleBindings count everywhere, RoleBindings in their namespace. Bindings are indexed
// by subject (and namespace), so a check reads only the bindings of the requesting user and its
// groups however many other bindings exist. Roles are read by key from wherever the caller keeps
// them (the watch caches in the server).
import type { PolicyRule, RoleRef, Subject } from 'kubernetes-types/rbac/v1';
import type { KObject } from '../../api/object.js';
import type { UserInfo } from '../authn/user.js';
import { serviceAccountUsername } from '../authn/user.js';
import type { Attributes } from './attributes.js';
import { ruleAllows } from './rules.js';

type Any = Record<string, any>;

export interface Decision {
  allowed: boolean;
  /** Why not, when something bound could not be read (a missing role), as upstream's `RBAC: ...`. */
  reason: string;
}

export interface RoleGetter {
  role(namespace: string, name: string): KObject | undefined;
  clusterRole(name: string): KObject | undefined;
}

interface Binding {
  namespace: string;
  roleRef: RoleRef;
  keys: string[];
}

const userKey = (name: string) => `u\0${name}`;
const groupKey = (name: string) => `g\0${name}`;

/** The index keys a binding's subject answers to; a ServiceAccount is the user it authenticates as. */
function subjectKey(s: Subject, bindingNamespace: string): string | undefined {
  switch (s?.kind) {
    case 'User':
      return userKey(s.name);
    case 'Group':
      return groupKey(s.name);
    case 'ServiceAccount':
      // A RoleBinding's ServiceAccount without a namespace is in the binding's own namespace.
      return userKey(serviceAccountUsername(s.namespace || bindingNamespace, s.name));
    default:
      return undefined;
  }
}

/** The bindings of one scope (cluster, or every namespace), by subject. */
class BindingIndex {
  private readonly byKey = new Map<string, Binding>();
  private readonly bySubject = new Map<string, Set<string>>();

  constructor(private readonly namespaced: boolean) {}

  private slot(namespace: string, key: string): string {
    return this.namespaced ? `${namespace}\0${key}` : key;
  }

  put(storeKey: string, obj: KObject): void {
    this.remove(storeKey);
    const namespace = obj.metadata.namespace ?? '';
    const keys = [
      ...new Set(((obj as Any).subjects ?? []).map((s: Subject) => subjectKey(s, namespace)).filter((k: string | undefined): k is string => !!k)),
    ] as string[];
    const b: Binding = { namespace, roleRef: (obj as Any).roleRef ?? {}, keys };
    this.byKey.set(storeKey, b);
    for (const k of keys) {
      const slot = this.slot(namespace, k);
      let set = this.bySubject.get(slot);
      if (!set) this.bySubject.set(slot, (set = new Set()));
      set.add(storeKey);
    }
  }

  remove(storeKey: string): void {
    const b = this.byKey.get(storeKey);
    if (!b) return;
    this.byKey.delete(storeKey);
    for (const k of b.keys) {
      const slot = this.slot(b.namespace, k);
      const set = this.bySubject.get(slot);
      set?.delete(storeKey);
      if (set && !set.size) this.bySubject.delete(slot);
    }
  }

  clear(): void {
    this.byKey.clear();
    this.bySubject.clear();
  }

  /** The bindings naming any of the user's keys (in `namespace` for RoleBindings), each once. */
  *matching(keys: string[], namespace: string): Iterable<Binding> {
    const seen = new Set<string>();
    for (const k of keys) {
      for (const storeKey of this.bySubject.get(this.slot(namespace, k)) ?? []) {
        if (seen.has(storeKey)) continue;
        seen.add(storeKey);
        yield this.byKey.get(storeKey)!;
      }
    }
  }

  get size(): number {
    return this.byKey.size;
  }
}

function userKeys(user: UserInfo): string[] {
  return [userKey(user.name), ...user.groups.map(groupKey)];
}

export class RbacAuthorizer {
  readonly clusterBindings = new BindingIndex(false);
  readonly roleBindings = new BindingIndex(true);

  constructor(readonly roleGetter: RoleGetter) {}

  /**
   * Calls visit with each rule that applies to the user in `namespace` ('' for cluster-wide
   * only), ClusterRoleBindings first as upstream; stops when visit returns true. Returns the
   * errors met (roles that do not exist).
   */
  visitRules(user: UserInfo, namespace: string, visit: (rule: PolicyRule) => boolean): string[] {
    const errors: string[] = [];
    const keys = userKeys(user);
    const rulesOf = (b: Binding): PolicyRule[] | undefined => {
      const ref = b.roleRef;
      const role =
        ref.kind === 'Role' ? this.roleGetter.role(b.namespace, ref.name) : ref.kind === 'ClusterRole' ? this.roleGetter.clusterRole(ref.name) : undefined;
      if (!role) {
        errors.push(
          ref.kind === 'Role' ? `role.rbac.authorization.k8s.io "${ref.name}" not found` : `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`,
        );
        return undefined;
      }
      return ((role as Any).rules ?? []) as PolicyRule[];
    };
    for (const b of this.clusterBindings.matching(keys, '')) {
      for (const rule of rulesOf(b) ?? []) if (visit(rule)) return errors;
    }
    if (namespace) {
      for (const b of this.roleBindings.matching(keys, namespace)) {
        for (const rule of rulesOf(b) ?? []) if (visit(rule)) return errors;
      }
    }
    return errors;
  }

  authorize(a: Attributes): Decision {
    let allowed = false;
    const errors = this.visitRules(a.user, a.namespace, (rule) => (allowed = ruleAllows(a, rule)));
    if (allowed) return { allowed, reason: '' };
    return { allowed, reason: errors.length ? `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` : '' };
  }

  /** Every rule that applies to the user in the namespace (SelfSubjectRulesReview, escalation checks). */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors = this.visitRules(user, namespace, (r) => (rules.push(r), false));
    return { rules, errors };
  }
}
