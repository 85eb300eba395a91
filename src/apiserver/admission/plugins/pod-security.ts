// PodSecurity (upstream's k8s.io/pod-security-admission/admission): pods are checked against
// the Pod Security Standards their namespace's labels select (api/podsecurity). The enforce
// level refuses (`violates PodSecurity "restricted:latest": ...`), the warn level adds a
// `would violate PodSecurity ...` warning; workload templates (deployments, jobs, ...) only
// get the warning. Namespaces must carry valid labels, and making enforce stricter warns about
// the pods already there that would not be admitted. Audit annotations are not written (Berth
// keeps no audit log). No namespace is exempt, as upstream's default configuration.
import type { Namespace, Pod, PodSpec } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { evaluatePod, forbiddenDetail, forbiddenReasons, type CheckResult } from '../../../api/podsecurity/checks.js';
import { levelRank, policyOf, policyString, type Policy } from '../../../api/podsecurity/policy.js';
import { forbidden, invalid } from '../../errors.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

/** Where each workload kind keeps its pod template. */
const TEMPLATES: Record<string, (o: Record<string, any>) => { metadata?: ObjectMeta; spec?: PodSpec } | undefined> = {
  'deployments.apps': (o) => o.spec?.template,
  'replicasets.apps': (o) => o.spec?.template,
  'statefulsets.apps': (o) => o.spec?.template,
  'daemonsets.apps': (o) => o.spec?.template,
  'jobs.batch': (o) => o.spec?.template,
  'cronjobs.batch': (o) => o.spec?.jobTemplate?.spec?.template,
  replicationcontrollers: (o) => o.spec?.template,
  podtemplates: (o) => o.template,
};

function namespacePolicy(a: AdmissionAttributes): Policy | undefined {
  const ns = a.lookups.getNamespace(a.namespace ?? '');
  // Labels that are invalid were refused when set; what is valid of them applies.
  return ns ? policyOf(ns.metadata.labels).policy : undefined;
}

/** A pod update matters only when it changes what the checks see: images (upstream's isSignificantPodUpdate). */
function significantPodUpdate(pod: Pod, old: Pod): boolean {
  const images = (p: Pod) =>
    JSON.stringify([p.spec?.initContainers, p.spec?.containers, p.spec?.ephemeralContainers].map((cs) => (cs ?? []).map((c) => c.image)));
  return images(pod) !== images(old);
}

function checkPod(a: AdmissionAttributes, policy: Policy, meta: ObjectMeta, spec: PodSpec, enforce: boolean): void {
  let enforced: CheckResult[] | undefined;
  if (enforce && policy.enforce.level !== 'privileged') {
    enforced = evaluatePod(policy.enforce.level, meta, spec);
    if (enforced.length)
      throw forbidden(a.resource, a.name, `violates PodSecurity ${JSON.stringify(policyString(policy.enforce))}: ${forbiddenDetail(enforced)}`);
  }
  if (policy.warn.level === 'privileged') return;
  const warned = evaluatePod(policy.warn.level, meta, spec);
  if (warned.length) a.warn(`would violate PodSecurity ${JSON.stringify(policyString(policy.warn))}: ${forbiddenDetail(warned)}`);
}

/** On a namespace write: valid labels, and warnings when a stricter enforce level leaves pods behind. */
function checkNamespace(a: AdmissionAttributes): void {
  const ns = a.object as unknown as Namespace;
  const { policy, errors } = policyOf(ns.metadata?.labels as Record<string, string> | undefined);
  if (a.operation === 'CREATE') {
    if (errors.length) throw invalid('Namespace', '', a.name, errors);
    return;
  }
  const old = policyOf(a.oldObject?.metadata.labels);
  if (errors.length && (!old.errors.length || JSON.stringify(errors) !== JSON.stringify(old.errors))) throw invalid('Namespace', '', a.name, errors);
  const now = policy.enforce;
  const before = old.policy.enforce;
  if (now.level === before.level && now.version === before.version) return;
  if (now.level === 'privileged') return;
  if (now.version === before.version && levelRank(now.level) <= levelRank(before.level)) return;
  // Pods grouped by what they violate, as upstream's EvaluatePodsInNamespace words it.
  const groups = new Map<string, string[]>();
  const pods = (a.lookups.list('pods', a.name) as unknown as Pod[]).sort((x, y) => (x.metadata!.name! < y.metadata!.name! ? -1 : 1));
  for (const p of pods) {
    const results = evaluatePod(now.level, p.metadata ?? {}, p.spec ?? { containers: [] });
    if (!results.length) continue;
    const reasons = forbiddenReasons(results);
    (groups.get(reasons) ?? groups.set(reasons, []).get(reasons)!).push(p.metadata!.name!);
  }
  if (!groups.size) return;
  a.warn(`existing pods in namespace ${JSON.stringify(a.name)} violate the new PodSecurity enforce level ${JSON.stringify(policyString(now))}`);
  for (const [reasons, names] of groups) {
    const who = names.length === 1 ? names[0] : `${names[0]} (and ${names.length - 1} other ${names.length === 2 ? 'pod' : 'pods'})`;
    a.warn(`${who}: ${reasons}`);
  }
}

export const podSecurity: AdmissionPlugin = {
  name: 'PodSecurity',
  handles: (a) =>
    (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
    a.subresource === '' &&
    (a.resource.key === 'pods' || a.resource.key === 'namespaces' || a.resource.key in TEMPLATES),
  validate(a) {
    if (a.resource.key === 'namespaces') return checkNamespace(a);
    const policy = namespacePolicy(a);
    if (!policy || (policy.enforce.level === 'privileged' && policy.warn.level === 'privileged')) return;
    if (a.resource.key === 'pods') {
      const pod = a.object as unknown as Pod;
      if (a.operation === 'UPDATE' && !significantPodUpdate(pod, a.oldObject as unknown as Pod)) return;
      return checkPod(a, policy, pod.metadata ?? {}, pod.spec ?? { containers: [] }, true);
    }
    const template = TEMPLATES[a.resource.key]!(a.object as Record<string, any>);
    if (template?.spec) checkPod(a, policy, template.metadata ?? {}, template.spec, false);
  },
};
