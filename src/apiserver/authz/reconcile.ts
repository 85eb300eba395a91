// The default policy reconciled at every server start, as upstream's rbac/bootstrappolicy post-start
// hook with reconciliation (never removing): a missing default is created; an existing one gets
// back what it lacks (labels, annotations, rules or aggregation selectors, subjects), unless its
// `rbac.authorization.kubernetes.io/autoupdate` annotation is "false", when it is left as the
// cluster's admin made it. A binding whose roleRef differs is recreated (roleRef is immutable).
import type { ClusterRole, ClusterRoleBinding, Subject } from 'kubernetes-types/rbac/v1';
import type { KObject } from '../../api/object.js';
import { deepEqual } from '../../api/object.js';
import { resourceByKey } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import type { RestStorage } from '../rest-storage.js';
import {
  AUTOUPDATE_ANNOTATION,
  RETIRED_CLUSTER_ROLE_BINDINGS,
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  bootstrapRoleBindings,
  bootstrapRoles,
} from './bootstrap-policy.js';
import { uncoveredRules } from './covers.js';

type Any = Record<string, any>;

/** What an existing default role must become, or undefined when it needs nothing. */
export function reconciledRole(existing: ClusterRole, expected: ClusterRole): ClusterRole | undefined {
  if (existing.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return undefined;
  const next = structuredClone(existing) as ClusterRole & Any;
  next.metadata!.labels = { ...expected.metadata!.labels, ...existing.metadata!.labels };
  next.metadata!.annotations = { ...expected.metadata!.annotations, ...existing.metadata!.annotations };
  if (expected.aggregationRule) {
    // Aggregated roles' rules belong to the aggregation controller: only the selectors are kept up.
    const selectors = [...(existing.aggregationRule?.clusterRoleSelectors ?? [])];
    for (const s of expected.aggregationRule.clusterRoleSelectors ?? []) if (!selectors.some((x) => deepEqual(x, s))) selectors.push(s);
    next.aggregationRule = { clusterRoleSelectors: selectors };
  } else {
    const missing = (expected.rules ?? []).filter((r) => uncoveredRules(existing.rules ?? [], [r]).length > 0);
    if (missing.length) next.rules = [...(existing.rules ?? []), ...missing];
  }
  return deepEqual(next, existing) ? undefined : next;
}

/** The subjects an existing default binding lacks added, or undefined when it needs nothing. */
export function reconciledBinding(existing: ClusterRoleBinding, expected: ClusterRoleBinding): ClusterRoleBinding | undefined {
  if (existing.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return undefined;
  const next = structuredClone(existing) as ClusterRoleBinding;
  next.metadata!.labels = { ...expected.metadata!.labels, ...existing.metadata!.labels };
  next.metadata!.annotations = { ...expected.metadata!.annotations, ...existing.metadata!.annotations };
  const subjects: Subject[] = [...(existing.subjects ?? [])];
  for (const s of expected.subjects ?? [])
    if (!subjects.some((x) => x.kind === s.kind && x.name === s.name && (x.namespace ?? '') === (s.namespace ?? ''))) subjects.push(s);
  if (subjects.length) next.subjects = subjects;
  return deepEqual(next, existing) ? undefined : next;
}

export async function reconcileBootstrapPolicy(storage: RestStorage, log: (m: string) => void): Promise<void> {
  const roles = resourceByKey('clusterroles.rbac.authorization.k8s.io');
  const bindings = resourceByKey('clusterrolebindings.rbac.authorization.k8s.io');
  const ensure = async <T extends KObject>(
    r: typeof roles,
    expected: T,
    reconcile: (existing: T, expected: T) => T | undefined,
    sameRef: (a: T, b: T) => boolean,
  ) => {
    const name = expected.metadata.name!;
    const namespace = expected.metadata.namespace;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const existing = (await storage.get(r, namespace, name).catch((e) => (e instanceof ApiError && e.code === 404 ? undefined : Promise.reject(e)))) as
          T | undefined;
        if (!existing) {
          await storage.create(r, structuredClone(expected));
          return;
        }
        if (!sameRef(existing, expected) && existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] !== 'false') {
          log(`rbac: recreating ${r.kind} ${name}: its roleRef changed`);
          await storage.delete(r, namespace, name, {});
          continue;
        }
        if (!reconcile(existing, expected)) return;
        await storage.update(r, namespace, name, (current) => reconcile(current as T, expected) ?? current);
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  };
  for (const role of bootstrapClusterRoles()) await ensure(roles, role as unknown as KObject, reconciledRole as never, () => true);
  for (const b of bootstrapClusterRoleBindings()) {
    await ensure(bindings, b as unknown as KObject, reconciledBinding as never, (a, x) => deepEqual((a as Any).roleRef, (x as Any).roleRef));
  }
  // The namespaced defaults, the same way (their namespaces exist by now: created at bootstrap).
  const nsRoles = resourceByKey('roles.rbac.authorization.k8s.io');
  const nsBindings = resourceByKey('rolebindings.rbac.authorization.k8s.io');
  for (const role of bootstrapRoles()) await ensure(nsRoles, role as unknown as KObject, reconciledRole as never, () => true);
  for (const b of bootstrapRoleBindings()) {
    await ensure(nsBindings, b as unknown as KObject, reconciledBinding as never, (a, x) => deepEqual((a as Any).roleRef, (x as Any).roleRef));
  }
  for (const name of RETIRED_CLUSTER_ROLE_BINDINGS) {
    const existing = await storage.get(bindings, undefined, name).catch(() => undefined);
    // Only what Berth made and an admin did not take over (autoupdate "false").
    if (!existing || existing.metadata.labels?.['kubernetes.io/bootstrapping'] !== 'rbac-defaults') continue;
    if (existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') continue;
    log(`rbac: removing ${bindings.kind} ${name}: no longer a default`);
    await storage.delete(bindings, undefined, name, {}).catch((e) => (e instanceof ApiError && e.code === 404 ? undefined : Promise.reject(e)));
  }
}
