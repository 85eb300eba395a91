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

/**
 * "namespace/name". Built by join, which makes a flat string: a template literal makes a cons
 * string, which a Map key then flattens into a second string beside it (the cache keeps one
 * key per pod).
 */
export function podKey(pod: Pod): string {
  return [pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''].join('/');
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

// The cache holds a PodInfo for every bound pod of the cluster (issue #17), and most have no
// affinity terms and no extended resources: they share one empty list and one empty map instead
// of four lists and two maps each (about 1 KB a pod). A PodInfo is read, never changed; the
// shared parts are frozen or throw if something tries.
const NO_TERMS: never[] = Object.freeze([]) as unknown as never[];

class NoScalars extends Map<string, number> {
  override set(): this {
    throw new Error("a PodInfo's requests are not to be changed");
  }
}
const NO_SCALARS = new NoScalars();

function terms<T>(list: T[]): T[] {
  return list.length ? list : NO_TERMS;
}

// Pods made from one template request the same: their PodInfos share one frozen Resource (and
// a pod requesting both CPU and memory has its nonZeroRequests equal to its requests), instead
// of two objects of their own each (about 110 bytes a pod with their numbers). Bounded: past
// the limit the table starts afresh, and Resources shared so far stay shared.
const SHARED_RESOURCES_MAX = 10_000;
let sharedResources = new Map<string, Resource>();

function compact(r: Resource): Resource {
  if (r.scalar.size !== 0) return r;
  const key = `${r.milliCPU}/${r.memory}/${r.ephemeralStorage}/${r.allowedPodNumber}`;
  const seen = sharedResources.get(key);
  if (seen) return seen;
  r.scalar = NO_SCALARS;
  if (sharedResources.size >= SHARED_RESOURCES_MAX) sharedResources = new Map();
  sharedResources.set(key, Object.freeze(r));
  return r;
}

/** key: the pod's podKey, when the caller has it (the cache passes the one its maps hold). */
export function newPodInfo(pod: Pod, key = podKey(pod)): PodInfo {
  const a = pod.spec?.affinity;
  const weighted = (terms: { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined) =>
    (terms ?? []).map((t) => ({ ...affinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
  return {
    pod,
    key,
    requests: compact(podRequests(pod)),
    nonZeroRequests: compact(podRequests(pod, { nonZero: true })),
    requiredAffinityTerms: terms((a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t))),
    requiredAntiAffinityTerms: terms((a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t))),
    preferredAffinityTerms: terms(weighted(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution)),
    preferredAntiAffinityTerms: terms(weighted(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution)),
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
