// What the scheduler needs to know about one pod, computed once when the pod enters the cache
// or the queue: its resource requests and its inter-pod affinity terms with selectors parsed.
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1';
import { selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import { podRequests, type Resource } from './resources.js';

export interface AffinityTerm {
  /** Namespaces named by the term; with no namespaces and no namespaceSelector, the pod's own. */
  namespaces: Set<string>;
  selector: Selector;
  topologyKey: string;
  /** Selects further namespaces by their labels; undefined when the term has none. */
  namespaceSelector?: Selector;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodInfo {
  pod: Pod;
  /** namespace/name */
  key: string;
  requests: Resource;
  /** Requests with upstream's defaults for containers that request nothing (for scoring). */
  nonZeroRequests: Resource;
  requiredAffinityTerms: AffinityTerm[];
  requiredAntiAffinityTerms: AffinityTerm[];
  preferredAffinityTerms: WeightedAffinityTerm[];
  preferredAntiAffinityTerms: WeightedAffinityTerm[];
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function affinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) namespaces.add(pod.metadata?.namespace ?? 'default');
  // matchLabelKeys / mismatchLabelKeys add the incoming pod's own label values to the selector.
  const ls = { matchLabels: { ...(term.labelSelector?.matchLabels ?? {}) }, matchExpressions: [...(term.labelSelector?.matchExpressions ?? [])] };
  const labels = pod.metadata?.labels ?? {};
  for (const k of term.matchLabelKeys ?? []) if (k in labels) ls.matchExpressions.push({ key: k, operator: 'In', values: [labels[k]!] });
  for (const k of term.mismatchLabelKeys ?? []) if (k in labels) ls.matchExpressions.push({ key: k, operator: 'NotIn', values: [labels[k]!] });
  return {
    namespaces,
    // A term without a labelSelector matches no pods (upstream: nil selector is labels.Nothing()).
    selector: selectorFromLabelSelector(term.labelSelector ? ls : undefined),
    topologyKey: term.topologyKey,
    namespaceSelector: term.namespaceSelector ? selectorFromLabelSelector(term.namespaceSelector) : undefined,
  };
}

export function newPodInfo(pod: Pod): PodInfo {
  const a = pod.spec?.affinity;
  const weighted = (terms: { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined) =>
    (terms ?? []).map((t) => ({ ...affinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
  return {
    pod,
    key: podKey(pod),
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, { nonZero: true }),
    requiredAffinityTerms: (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    requiredAntiAffinityTerms: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    preferredAffinityTerms: weighted(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: weighted(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/**
 * Whether an affinity term of `owner` selects `candidate`: namespace by name or by the
 * namespace's labels, then the label selector.
 */
export function termMatches(term: AffinityTerm, candidate: Pod, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  const ns = candidate.metadata?.namespace ?? '';
  if (!term.namespaces.has(ns)) {
    if (!term.namespaceSelector || !term.namespaceSelector.matches(namespaceLabels(ns) ?? {})) return false;
  }
  return term.selector.matches(candidate.metadata?.labels ?? {});
}
