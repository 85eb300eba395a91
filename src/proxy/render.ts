// The proxy's table as `nft -f` input: the whole table in one transaction (a full sync replaces
// it atomically: add, delete and create it again, so a restart ends with exactly the rules the
// model gives), or only what changed between two sets of service rules (a partial sync).
import { baseObjects } from './base.js';
import type { Element, ProxyContext, ServiceRules } from './model.js';

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
  for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND) out.push(`${verb} element ${t} ${set} { ${items.slice(i, i + ELEMENTS_PER_COMMAND).join(', ')} }`);
}

export interface ServiceChange {
  before?: ServiceRules;
  after?: ServiceRules;
}

/**
 * The commands turning the `before` rules of some services into their `after` rules; '' when
 * nothing changes, undefined when a partial sync cannot do it (an affinity set whose timeout
 * changed: a set's timeout is fixed at creation) and a full sync is needed.
 */
export function renderPartial(table: string, changes: Iterable<ServiceChange>): string | undefined {
  const t = `ip ${table}`;
  const addChains: string[] = [];
  const addSets: string[] = [];
  const fill: string[] = [];
  const delElements = new Map<string, string[]>();
  const addElements = new Map<string, string[]>();
  const dropChains: string[] = [];
  const dropSets: string[] = [];
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
      if (!n || n.value !== e.value) listIn(delElements, e.set).push(e.key);
    }
    for (const [id, e] of newEl) {
      const o = oldEl.get(id);
      if (!o || o.value !== e.value) listIn(addElements, e.set).push(elementText(e));
    }
  }
  const out = [...addSets, ...addChains, ...fill];
  for (const [set, keys] of delElements) elementCommands(out, 'delete', t, set, keys);
  for (const [set, items] of addElements) elementCommands(out, 'add', t, set, items);
  // Chains may reference each other (a service chain jumps to endpoint chains): empty them all
  // before deleting any.
  for (const name of dropChains) out.push(`flush chain ${t} ${name}`);
  for (const name of dropChains) out.push(`delete chain ${t} ${name}`);
  for (const name of dropSets) out.push(`delete set ${t} ${name}`);
  return out.length ? out.join('\n') + '\n' : '';
}

function sameRules(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
