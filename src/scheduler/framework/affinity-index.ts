// Inter-pod affinity counts kept up to date as pods come and go, so that a scheduling cycle
// costs O(distinct terms) instead of a scan over every pod in the cluster (which is what
// upstream does, in parallel, each cycle).
//
// Two views, both keyed by a term's canonical signature:
// - matchers: for a list of terms an incoming pod carries, how many existing pods match all of
//   them, per topology pair of each term's key (built by one scan when first asked, then
//   maintained);
// - groups: existing pods' own terms (required anti-affinity, required affinity, preferred
//   affinity and anti-affinity), with where those pods are: the incoming pod is matched against
//   each distinct term once.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Selector } from '../../api/labels.js';
import type { AffinityTerm, PodInfo } from './pod-info.js';
import { termMatches } from './pod-info.js';

export type NamespaceLabels = (ns: string) => Record<string, string> | undefined;

/**
 * Topology value → count (or summed weight), for one topology key known from context (each
 * matcher key, each group's term): lookups by the node's value need no string building.
 */
export type PairCounts = Map<string, number>;

const signatures = new WeakMap<AffinityTerm, string>();

/** Equal for terms that select the same pods over the same topology key. */
export function termSignature(t: AffinityTerm): string {
  let s = signatures.get(t);
  if (s === undefined) {
    s = JSON.stringify([t.topologyKey, [...t.namespaces].sort(), t.selector.toString(), t.namespaceSelector?.toString() ?? null, t.selector.empty()]);
    signatures.set(t, s);
  }
  return s;
}

export type GroupKind = 'requiredAnti' | 'requiredAffinity' | 'preferredAffinity' | 'preferredAnti';

export interface TermGroup {
  term: AffinityTerm;
  /** Where pods carrying this term are: value of term.topologyKey → pods (required) or summed weights (preferred). */
  counts: PairCounts;
}

interface Matcher {
  /** Whether an existing pod counts. */
  match: (pod: Pod) => boolean;
  /** Topology keys counted, one PairCounts each. */
  keys: string[];
  counts: PairCounts[];
  lastUsed: number;
}

interface Placed {
  info: PodInfo;
  labels: Record<string, string>;
}

const MAX_MATCHERS = 256;

function bump(m: PairCounts, key: string, labels: Record<string, string>, delta: number): void {
  if (!Object.hasOwn(labels, key)) return;
  const k = labels[key]!;
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

export class AffinityIndex {
  private readonly pods = new Map<string, Placed>();
  private readonly matchers = new Map<string, Matcher>();
  private readonly groups: Record<GroupKind, Map<string, TermGroup>> = {
    requiredAnti: new Map(),
    requiredAffinity: new Map(),
    preferredAffinity: new Map(),
    preferredAnti: new Map(),
  };
  private clock = 0;
  /**
   * Count maps handed out to a scheduling cycle, which reads them in place: the index copies
   * such a map before changing it, so that a cycle keeps seeing the counts it started with even
   * when pods come and go while it waits (preemption, binding).
   */
  private readonly lent = new WeakSet<PairCounts>();

  constructor(private readonly nsLabels: NamespaceLabels) {}

  add(info: PodInfo, nodeLabels: Record<string, string>): void {
    this.remove(info.key);
    const placed = { info, labels: nodeLabels };
    this.pods.set(info.key, placed);
    this.apply(placed, 1);
  }

  remove(key: string): void {
    const placed = this.pods.get(key);
    if (!placed) return;
    this.pods.delete(key);
    this.apply(placed, -1);
  }

  /** The node's labels changed: its pods now count under the new topology values. */
  relabelNode(nodeName: string, labels: Record<string, string>): void {
    for (const placed of [...this.pods.values()]) {
      if (placed.info.pod.spec?.nodeName === nodeName) this.add(placed.info, labels);
    }
  }

  /** Namespace labels changed: namespaceSelector matches may differ, so term matchers are rebuilt. */
  namespacesChanged(): void {
    for (const sig of [...this.matchers.keys()]) if (sig.startsWith('terms\u0001')) this.matchers.delete(sig);
  }

  /** Existing pods matching every term, counted per value of each term's topology key (index i ↔ terms[i]). */
  matchAll(terms: AffinityTerm[]): PairCounts[] {
    if (terms.length === 0) return [];
    const sig = 'terms\u0001' + terms.map(termSignature).join('\u0001');
    return this.matcher(
      sig,
      (pod) => terms.every((t) => termMatches(t, pod, this.nsLabels)),
      terms.map((t) => t.topologyKey),
    );
  }

  /**
   * Pods of a namespace matching a label selector, not being deleted, per topology pair of one
   * key (value → count): PodTopologySpread's counts.
   */
  selectorCounts(namespace: string, selector: Selector, topologyKey: string): PairCounts {
    const sig = JSON.stringify(['spread', namespace, selector.toString(), topologyKey]);
    const match = (pod: Pod) =>
      !pod.metadata?.deletionTimestamp && (pod.metadata?.namespace ?? '') === namespace && selector.matches(pod.metadata?.labels ?? {});
    return this.matcher(sig, match, [topologyKey])[0]!;
  }

  private matcher(sig: string, match: (pod: Pod) => boolean, keys: string[]): PairCounts[] {
    let m = this.matchers.get(sig);
    if (!m) {
      m = { match, keys, counts: keys.map(() => new Map()), lastUsed: 0 };
      for (const placed of this.pods.values()) this.applyMatcher(m, placed, 1);
      this.matchers.set(sig, m);
      if (this.matchers.size > MAX_MATCHERS) this.evict();
    }
    m.lastUsed = ++this.clock;
    for (const c of m.counts) this.lent.add(c);
    return m.counts;
  }

  groupsOf(kind: GroupKind): Iterable<TermGroup> {
    for (const g of this.groups[kind].values()) this.lent.add(g.counts);
    return this.groups[kind].values();
  }

  get podCount(): number {
    return this.pods.size;
  }

  private apply(placed: Placed, delta: number): void {
    for (const m of this.matchers.values()) this.applyMatcher(m, placed, delta);
    const { info, labels } = placed;
    for (const t of info.requiredAntiAffinityTerms) this.applyGroup('requiredAnti', t, labels, delta);
    for (const t of info.requiredAffinityTerms) this.applyGroup('requiredAffinity', t, labels, delta);
    for (const t of info.preferredAffinityTerms) this.applyGroup('preferredAffinity', t, labels, delta * t.weight);
    for (const t of info.preferredAntiAffinityTerms) this.applyGroup('preferredAnti', t, labels, delta * t.weight);
  }

  private applyMatcher(m: Matcher, placed: Placed, delta: number): void {
    if (!m.match(placed.info.pod)) return;
    for (let i = 0; i < m.keys.length; i++) {
      if (this.lent.has(m.counts[i]!)) m.counts[i] = new Map(m.counts[i]!);
      bump(m.counts[i]!, m.keys[i]!, placed.labels, delta);
    }
  }

  private applyGroup(kind: GroupKind, t: AffinityTerm, labels: Record<string, string>, delta: number): void {
    const groups = this.groups[kind];
    const sig = termSignature(t);
    let g = groups.get(sig);
    if (!g) {
      if (delta < 0) return;
      g = { term: t, counts: new Map() };
      groups.set(sig, g);
    }
    if (this.lent.has(g.counts)) g.counts = new Map(g.counts);
    bump(g.counts, t.topologyKey, labels, delta);
    if (g.counts.size === 0) groups.delete(sig);
  }

  private evict(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [sig, m] of this.matchers) {
      if (m.lastUsed < at) {
        at = m.lastUsed;
        oldest = sig;
      }
    }
    if (oldest !== undefined) this.matchers.delete(oldest);
  }
}
