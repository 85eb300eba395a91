// The proxy's table as `nft -f` input: the whole table in one transaction (a full sync replaces
// it atomically: add, delete and create it again, so a restart ends with exactly the rules the
// model gives), or only what changed between two sets of service rules (a partial sync).
import { baseObjects } from './base.js';
import { ENDPOINT_HAIRPIN, type Element, type ProxyContext, type ServiceRules } from './model.js';

/** Elements per `add element` command: nft takes long lines, but not unbounded ones. */
const ELEMENTS_PER_COMMAND = 1000;

const elementText = (e: Element) => (e.value === undefined ? e.key : `${e.key} : ${e.value}`);
const elementId = (e: Element) => `${e.set}\u0000${e.key}`;
const affinitySpec = (timeout: number) => `{ type ipv4_addr ; flags dynamic,timeout ; timeout ${timeout}s ; }`;

/** The whole table. Services are given in a stable order; a duplicate map key keeps its first value. */
export function renderFull(table: string, ctx: ProxyContext, services: Iterable<ServiceRules>): string {
  const t = `ip ${table}`;
  const out: string[] = [`add table ${t}`, `delete table ${t}`, `add table ${t}`];
  const base = baseObjects(ctx);
  const all = [...services];
  for (const o of base) if (o.kind !== 'chain') out.push(`add ${o.kind} ${t} ${o.name} { ${o.spec} }`);
  for (const s of all) for (const [name, timeout] of s.affinitySets) out.push(`add set ${t} ${name} ${affinitySpec(timeout)}`);
  for (const o of base) if (o.kind === 'chain') out.push(o.spec ? `add chain ${t} ${o.name} { ${o.spec} }` : `add chain ${t} ${o.name}`);
  for (const s of all) for (const name of s.chains.keys()) out.push(`add chain ${t} ${name}`);
  for (const s of all) for (const [name, rules] of s.chains) for (const r of rules) out.push(`add rule ${t} ${name} ${r}`);
  for (const o of base) for (const r of o.rules ?? []) out.push(`add rule ${t} ${o.name} ${r}`);
  const bySet = new Map<string, string[]>();
  const seen = new Set<string>();
  const push = (set: string, text: string) => {
    let l = bySet.get(set);
    if (!l) bySet.set(set, (l = []));
    l.push(text);
  };
  for (const o of base) for (const e of o.elements ?? []) push(o.name, e);
  for (const s of all) {
    for (const e of s.elements) {
      const id = elementId(e);
      if (seen.has(id)) continue;
      seen.add(id);
      push(e.set, elementText(e));
    }
  }
  for (const [set, items] of bySet) elementCommands(out, 'add', t, set, items);
  return out.join('\n') + '\n';
}

function elementCommands(out: string[], verb: 'add' | 'delete', t: string, set: string, items: string[]): void {
  for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND)
    out.push(`${verb} element ${t} ${set} { ${items.slice(i, i + ELEMENTS_PER_COMMAND).join(', ')} }`);
}

export interface ServiceChange {
  before?: ServiceRules;
  after?: ServiceRules;
}

/** How many Services hold each element of the shared sets (the hairpin set), by element id. */
export type SharedCounts = Map<string, number>;

/** The shared counts of a whole rule set (after a full sync). */
export function sharedCounts(services: Iterable<ServiceRules>): SharedCounts {
  const counts: SharedCounts = new Map();
  for (const s of services) for (const e of s.elements) if (e.set === ENDPOINT_HAIRPIN) counts.set(elementId(e), (counts.get(elementId(e)) ?? 0) + 1);
  return counts;
}

export interface PartialSync {
  /** nft commands; '' when nothing changes. */
  text: string;
  /** Changes to the shared counts, to apply once the commands are in the kernel. */
  sharedDelta: Map<string, number>;
}

/**
 * The commands turning the `before` rules of some services into their `after` rules, or
 * undefined when a partial sync cannot do it (an affinity set whose timeout changed: a set's
 * timeout is fixed at creation) and a full sync is needed. An element of a shared set is added
 * by the first Service holding it and deleted with the last.
 */
export function renderPartial(table: string, changes: Iterable<ServiceChange>, shared: ReadonlyMap<string, number> = new Map()): PartialSync | undefined {
  const t = `ip ${table}`;
  const addChains: string[] = [];
  const addSets: string[] = [];
  const fill: string[] = [];
  const delElements = new Map<string, string[]>();
  const addElements = new Map<string, string[]>();
  const dropChains: string[] = [];
  const dropSets: string[] = [];
  const sharedDelta = new Map<string, number>();
  const listIn = (m: Map<string, string[]>, k: string) => {
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    return l;
  };
  for (const { before, after } of changes) {
    const oldChains = before?.chains ?? new Map<string, string[]>();
    const newChains = after?.chains ?? new Map<string, string[]>();
    const oldSets = before?.affinitySets ?? new Map<string, number>();
    const newSets = after?.affinitySets ?? new Map<string, number>();
    for (const [name, timeout] of newSets) {
      const old = oldSets.get(name);
      if (old === undefined) addSets.push(`add set ${t} ${name} ${affinitySpec(timeout)}`);
      else if (old !== timeout) return undefined;
    }
    for (const [name, rules] of newChains) {
      const old = oldChains.get(name);
      if (old && sameRules(old, rules)) continue;
      if (old) fill.push(`flush chain ${t} ${name}`);
      else addChains.push(`add chain ${t} ${name}`);
      for (const r of rules) fill.push(`add rule ${t} ${name} ${r}`);
    }
    for (const name of oldChains.keys()) if (!newChains.has(name)) dropChains.push(name);
    for (const name of oldSets.keys()) if (!newSets.has(name)) dropSets.push(name);
    const oldEl = new Map((before?.elements ?? []).map((e) => [elementId(e), e]));
    const newEl = new Map((after?.elements ?? []).map((e) => [elementId(e), e]));
    for (const [id, e] of oldEl) {
      const n = newEl.get(id);
      if (e.set === ENDPOINT_HAIRPIN) {
        if (!n) sharedDelta.set(id, (sharedDelta.get(id) ?? 0) - 1);
      } else if (!n || n.value !== e.value) listIn(delElements, e.set).push(e.key);
    }
    for (const [id, e] of newEl) {
      const o = oldEl.get(id);
      if (e.set === ENDPOINT_HAIRPIN) {
        if (!o) sharedDelta.set(id, (sharedDelta.get(id) ?? 0) + 1);
      } else if (!o || o.value !== e.value) listIn(addElements, e.set).push(elementText(e));
    }
  }
  for (const [id, d] of sharedDelta) {
    const was = shared.get(id) ?? 0;
    const key = id.slice(id.indexOf('\u0000') + 1);
    if (was === 0 && was + d > 0) listIn(addElements, ENDPOINT_HAIRPIN).push(key);
    else if (was > 0 && was + d <= 0) listIn(delElements, ENDPOINT_HAIRPIN).push(key);
  }
  const out = [...addSets, ...addChains, ...fill];
  for (const [set, keys] of delElements) elementCommands(out, 'delete', t, set, keys);
  for (const [set, items] of addElements) elementCommands(out, 'add', t, set, items);
  // Chains may reference each other (a service chain jumps to endpoint chains): empty them all
  // before deleting any.
  for (const name of dropChains) out.push(`flush chain ${t} ${name}`);
  for (const name of dropChains) out.push(`delete chain ${t} ${name}`);
  for (const name of dropSets) out.push(`delete set ${t} ${name}`);
  return { text: out.length ? out.join('\n') + '\n' : '', sharedDelta };
}

function sameRules(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
