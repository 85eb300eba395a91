// Field sets (structured-merge-diff's fieldpath.Set): the fields one manager owns. A path is a
// list of path elements written as in FieldsV1 -- `f:<field>`, `k:<json of the key fields>`,
// `v:<json value>`, `i:<index>` -- joined by NUL into one string, so a set is a plain Set of
// strings: union, difference and membership cost what a Set costs.
import { isPlainObject } from '../object.js';

export type FieldSet = Set<string>;
export type FieldsV1 = Record<string, unknown>;

export const SEP = '\u0000';

export const join = (path: string, element: string): string => (path ? path + SEP + element : element);
export const elementsOf = (path: string): string[] => (path ? path.split(SEP) : []);

// Objects repeat the same few hundred field names: each one's element is made once, so a
// tree's keys are strings V8 has already hashed rather than a new string per field per write.
const fieldElements = new Map<string, string>();
const FIELD_ELEMENTS_MAX = 4096;

export function fieldElement(name: string): string {
  let e = fieldElements.get(name);
  if (e === undefined) {
    e = `f:${name}`;
    if (fieldElements.size >= FIELD_ELEMENTS_MAX) fieldElements.clear();
    if (name.length <= 64) fieldElements.set(name, e);
  }
  return e;
}
export const valueElement = (v: unknown): string => `v:${JSON.stringify(v)}`;

/** `k:{...}`: the key fields of a list-map item, in name order as upstream serializes them. */
export function keyElement(keys: readonly string[], values: Record<string, unknown>): string {
  const sorted = keys.length > 1 ? [...keys].sort() : keys;
  let s = 'k:{';
  sorted.forEach((k, i) => (s += `${i ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(values[k])}`));
  return s + '}';
}

export function union(...sets: FieldSet[]): FieldSet {
  const out = new Set<string>();
  for (const s of sets) for (const p of s) out.add(p);
  return out;
}

export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const out = new Set<string>();
  for (const p of a) if (!b.has(p)) out.add(p);
  return out;
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<string>();
  for (const p of small) if (big.has(p)) out.add(p);
  return out;
}

export function sameSet(a: FieldSet, b: FieldSet): boolean {
  if (a.size !== b.size) return false;
  for (const p of a) if (!b.has(p)) return false;
  return true;
}

/** Every proper prefix of the paths in a set: where removal has to look further down. */
export function prefixesOf(set: FieldSet): Set<string> {
  const out = new Set<string>();
  for (const p of set) {
    for (let i = p.indexOf(SEP); i >= 0; i = p.indexOf(SEP, i + 1)) out.add(p.slice(0, i));
  }
  return out;
}

/** Reads a FieldsV1 tree; throws on anything that isn't one. */
export function fromFieldsV1(tree: unknown): FieldSet {
  const out = new Set<string>();
  readNode(tree, '', out);
  return out;
}

function readNode(node: unknown, path: string, out: FieldSet): void {
  if (!isPlainObject(node)) throw new Error('FieldsV1 nodes must be objects');
  let children = 0;
  for (const k in node) {
    if (k === '.') {
      if (path) out.add(path);
      continue;
    }
    if (!isElement(k)) throw new Error(`unexpected FieldsV1 key ${JSON.stringify(k)}`);
    children++;
    readNode(node[k], join(path, k), out);
  }
  if (children === 0 && path) out.add(path);
}

/** `f:`, `k:`, `v:` or `i:` first. */
function isElement(k: string): boolean {
  const c = k.charCodeAt(0);
  return k.charCodeAt(1) === 0x3a && (c === 0x66 || c === 0x6b || c === 0x76 || c === 0x69);
}

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
export function compareElements(a: string, b: string): number {
  if (a[0] !== b[0]) return (RANK[a[0]!] ?? 9) - (RANK[b[0]!] ?? 9);
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

/** Whether a FieldsV1 tree has a path as a member, without reading the rest of it. */
export function treeHas(tree: FieldsV1, path: string): boolean {
  let node: unknown = tree;
  // Element by element, stopping at the first one missing (most paths asked about leave the
  // tree at their first or second element): no array of all of them.
  for (let start = 0; path !== '';) {
    const end = path.indexOf(SEP, start);
    const e = end < 0 ? path.slice(start) : path.slice(start, end);
    if (!isPlainObject(node) || !Object.hasOwn(node, e)) return false;
    node = node[e];
    if (end < 0) break;
    start = end + 1;
  }
  return isPlainObject(node) && (Object.hasOwn(node, '.') || Object.keys(node).length === 0);
}

/** Writes a set as a FieldsV1 tree, ordered as upstream writes it (`.` first, then by element). */
export function toFieldsV1(set: FieldSet): FieldsV1 {
  const root: Node = { member: false, children: new Map() };
  for (const p of set) {
    let n = root;
    for (let start = 0; p !== '';) {
      const end = p.indexOf(SEP, start);
      const e = end < 0 ? p.slice(start) : p.slice(start, end);
      let c = n.children.get(e);
      if (!c) n.children.set(e, (c = { member: false, children: new Map() }));
      n = c;
      if (end < 0) break;
      start = end + 1;
    }
    n.member = true;
  }
  return emitNode(root);
}

function emitNode(n: Node): FieldsV1 {
  const out: FieldsV1 = {};
  if (n.member && n.children.size) out['.'] = {};
  if (n.children.size === 1) {
    for (const [k, c] of n.children) out[k] = emitNode(c);
    return out;
  }
  for (const k of sortedElements([...n.children.keys()])) out[k] = emitNode(n.children.get(k)!);
  return out;
}

/** Elements in compareElements' order; siblings of one kind but `i:` sort as plain strings (faster). */
function sortedElements(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  const kind = keys[0]!.charCodeAt(0);
  let plain = kind !== 0x69;
  for (let i = 1; plain && i < keys.length; i++) plain = keys[i]!.charCodeAt(0) === kind;
  return plain ? keys.sort() : keys.sort(compareElements);
}

/**
 * Whether a tree is exactly what toFieldsV1 writes for the set it holds (as every tree this
 * server wrote is): then a writer whose set stays the same can keep its tree as it is.
 * Trees a client wrote may differ (order, `.` where not needed) and are written anew.
 */
export function isCanonicalFieldsV1(tree: FieldsV1): boolean {
  return !Object.hasOwn(tree, '.') && canonicalChildren(tree);
}

function canonicalChildren(node: FieldsV1): boolean {
  let prev: string | undefined;
  let children = 0;
  let first = true;
  for (const k in node) {
    const child = node[k];
    if (!isPlainObject(child)) return false;
    if (k === '.') {
      // Only first, only as {}, and only beside children: a member leaf is written `{}`.
      if (!first || Object.keys(child).length) return false;
    } else {
      if (!isElement(k) || k.includes(SEP)) return false;
      if (prev !== undefined && !(compareElements(prev, k) < 0)) return false;
      if (!canonicalChildren(child)) return false;
      prev = k;
      children++;
    }
    first = false;
  }
  return children > 0 || !Object.hasOwn(node, '.');
}

/** A path as upstream prints it in conflicts: `.spec.containers[name="app"].image`. */
export function pathString(path: string): string {
  let s = '';
  for (const e of elementsOf(path)) {
    const body = e.slice(2);
    switch (e[0]) {
      case 'f':
        s += `.${body}`;
        break;
      case 'k': {
        const keys = JSON.parse(body) as Record<string, unknown>;
        s += `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
        break;
      }
      case 'v':
        s += `[=${body}]`;
        break;
      default:
        s += `[${body}]`;
    }
  }
  return s;
}

/** Upstream's iteration order of a set: at each level the members first, then the children. */
export function comparePaths(a: string, b: string): number {
  const ea = elementsOf(a);
  const eb = elementsOf(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    const aEnds = i === ea.length - 1;
    const bEnds = i === eb.length - 1;
    if (ea[i] === eb[i]) {
      if (aEnds !== bEnds) return aEnds ? -1 : 1;
      continue;
    }
    if (aEnds !== bEnds) return aEnds ? -1 : 1;
    return compareElements(ea[i]!, eb[i]!);
  }
  return ea.length - eb.length;
}
