// Operations on objects guided by their schema, as structured-merge-diff's typed package does
// them: the field set of a value, the comparison of two values (added, modified and removed
// fields), the merge of an applied configuration into a live object, and the removal of fields.
import { deepEqual, isPlainObject } from '../object.js';
import { compareElements, fieldElement, join, keyElement, prefixesOf, SEP, valueElement, type FieldSet, type FieldsV1 } from './fieldset.js';
import { ANY, childType, fieldType, type TypeNode } from './schema.js';

/** A value the schema can't place: an item of a keyed list without its key, duplicates applied. */
export class TypedError extends Error {}

// Identity and bookkeeping fields no manager owns (upstream's stripped metadata fields).
const ROOT_SKIP = new Set(['apiVersion', 'kind']);
const META_SKIP = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'managedFields', 'resourceVersion']);
const skipped = (path: string, key: string) => (path === '' ? ROOT_SKIP.has(key) : path === 'f:metadata' && META_SKIP.has(key));

type Obj = Record<string, unknown>;
/** Stands for any path below the root's fields: skipped() only looks at the root and metadata. */
const DEEP = '\u0000deep';

/** Whether a value is walked into (true) or owned as one leaf (false). */
function granular(t: TypeNode, v: unknown): boolean {
  if (t.atomic) return false;
  if (t.kind === 'list') return Array.isArray(v);
  if (t.kind === 'scalar') return false;
  return isPlainObject(v);
}

/** The path element of a list item: its keys (list-map) or its value (set). */
export function itemElement(t: TypeNode, item: unknown, path: string): string {
  if (t.listType === 'set') return valueElement(item);
  if (!isPlainObject(item)) throw new TypedError(`${readable(path)}: list items must be objects`);
  const keys = t.keys!;
  let values: Obj = item;
  for (const k of keys) {
    if (item[k] === undefined || item[k] === null) {
      const d = t.keyDefaults?.[k];
      if (d === undefined)
        throw new TypedError(`${readable(path)}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
      if (values === item) values = { ...item };
      values[k] = d;
    }
  }
  return keyElement(keys, values);
}

const readable = (path: string) =>
  '.' +
  path
    .split(SEP)
    .map((e) => e.slice(2))
    .join('.');

/** Items of a granular list by path element, in order; several items may share one. */
function indexList(t: TypeNode, list: unknown[], path: string): Map<string, unknown[]> {
  const m = new Map<string, unknown[]>();
  for (const item of list) {
    const pe = itemElement(t, item, path);
    const at = m.get(pe);
    if (at) at.push(item);
    else m.set(pe, [item]);
  }
  return m;
}

/**
 * The fields a value sets (ToFieldSet): what an applied configuration owns. `strict` refuses
 * items of a keyed list or set that appear twice (allowed in live objects, not in an apply).
 */
export function toFieldSet(t: TypeNode, v: unknown, strict = false, path = '', out: FieldSet = new Set()): FieldSet {
  if (!granular(t, v)) {
    if (path) out.add(path);
    return out;
  }
  if (Array.isArray(v)) {
    for (const [pe, items] of indexList(t, v, path)) {
      const p = join(path, pe);
      if (items.length > 1 && strict) throw new TypedError(`${readable(path)}: duplicate entries for key ${pe.slice(2)}`);
      if (items.length === 1) toFieldSet(t.elem!, items[0], strict, p, out);
      out.add(p);
    }
    return out;
  }
  for (const [k, x] of Object.entries(v as Obj)) {
    if (x === undefined || skipped(path, k)) continue;
    const p = join(path, fieldElement(k));
    const ct = childType(t, k);
    toFieldSet(ct, x, strict, p, out);
    // Map entries are owned themselves; struct fields only through what they hold, unless empty.
    if (x === null || (isPlainObject(x) && Object.keys(x).length === 0) || t.kind !== 'struct' || !fieldType(t, k)) out.add(p);
  }
  return out;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export const isSame = (c: Comparison) => c.added.size === 0 && c.modified.size === 0 && c.removed.size === 0;

const isEmpty = (v: unknown) => v === undefined || (Array.isArray(v) ? v.length === 0 : isPlainObject(v) && Object.keys(v).length === 0);

/**
 * What changed from lhs to rhs, field by field (Compare); one walk over both. `ignore` names
 * top-level fields left out (upstream's reset fields: status, for writes to the main resource).
 */
export function compare(t: TypeNode, lhs: unknown, rhs: unknown, ignore?: ReadonlySet<string>): Comparison {
  const c: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  compareAt(t, lhs, rhs, [], c, ignore);
  return c;
}

// The path is a stack of elements, joined only for the fields that changed: most of an object
// doesn't, and building every field's path string would cost more than the walk itself.
function compareAt(t: TypeNode, lhs: unknown, rhs: unknown, stack: string[], c: Comparison, ignore?: ReadonlySet<string>): void {
  if (stack.length && (lhs === undefined) !== (rhs === undefined)) {
    // A subtree only one side has: every path in it is added (or removed), each built once.
    const into = lhs === undefined ? c.added : c.removed;
    oneSided(t, lhs ?? rhs, stack.join(SEP), stack.length === 1 ? stack[0]! : DEEP, into);
    return;
  }
  const leaf =
    !(granular(t, lhs) || granular(t, rhs)) ||
    (isEmpty(lhs) && isEmpty(rhs)) ||
    (lhs !== undefined && rhs !== undefined && Array.isArray(lhs) !== Array.isArray(rhs));
  if (leaf) {
    if (lhs === undefined) c.added.add(stack.join(SEP));
    else if (rhs === undefined) c.removed.add(stack.join(SEP));
    else if (!deepEqual(lhs, rhs)) c.modified.add(stack.join(SEP));
    return;
  }
  if (Array.isArray(lhs) || Array.isArray(rhs)) compareLists(t, lhs as unknown[] | undefined, rhs as unknown[] | undefined, stack, c);
  else {
    const l = isPlainObject(lhs) ? lhs : undefined;
    const r = isPlainObject(rhs) ? rhs : undefined;
    const where = stack.length === 0 ? '' : stack.length === 1 ? stack[0]! : DEEP;
    if (l) {
      for (const k in l) {
        if (l[k] === undefined || skipped(where, k) || (ignore && stack.length === 0 && ignore.has(k))) continue;
        stack.push(fieldElement(k));
        compareAt(childType(t, k), l[k], r?.[k], stack, c);
        stack.pop();
      }
    }
    if (r) {
      for (const k in r) {
        if (r[k] === undefined || (l && l[k] !== undefined) || skipped(where, k) || (ignore && stack.length === 0 && ignore.has(k))) continue;
        stack.push(fieldElement(k));
        compareAt(childType(t, k), undefined, r[k], stack, c);
        stack.pop();
      }
    }
  }
  if (stack.length) {
    if (lhs === undefined) c.added.add(stack.join(SEP));
    else if (rhs === undefined) c.removed.add(stack.join(SEP));
  }
}

/**
 * The paths compareAt finds in a value the other side lacks (below the root): each node's own
 * after its children's, a keyed item that appears twice as one leaf. `where` is the node's
 * place for skipped().
 */
function oneSided(t: TypeNode, v: unknown, path: string, where: string, into: FieldSet): void {
  if (granular(t, v) && !isEmpty(v)) {
    if (Array.isArray(v)) {
      for (const [pe, items] of indexList(t, v, DEEP)) {
        if (items.length === 1) oneSided(t.elem!, items[0], path + SEP + pe, DEEP, into);
        else into.add(path + SEP + pe);
      }
    } else {
      for (const k in v as Obj) {
        const x = (v as Obj)[k];
        if (x === undefined || skipped(where, k)) continue;
        oneSided(childType(t, k), x, path + SEP + fieldElement(k), DEEP, into);
      }
    }
  }
  into.add(path);
}

function compareLists(t: TypeNode, lhs: unknown[] | undefined, rhs: unknown[] | undefined, stack: string[], c: Comparison): void {
  const path = stack.length ? DEEP : '';
  const l = lhs ? indexList(t, lhs, path) : new Map<string, unknown[]>();
  const r = rhs ? indexList(t, rhs, path) : new Map<string, unknown[]>();
  const visit = (pe: string, li: unknown[] | undefined, ri: unknown[] | undefined) => {
    stack.push(pe);
    const ln = li?.length ?? 0;
    const rn = ri?.length ?? 0;
    if (ln <= 1 && rn <= 1) compareAt(t.elem!, li?.[0], ri?.[0], stack, c);
    else if (ln >= 2 && rn >= 2) {
      if (!deepEqual(li, ri)) c.modified.add(stack.join(SEP));
    } else if (ln >= 2) {
      if (rn) compareAt(t.elem!, undefined, ri![0], stack, c);
      c.removed.add(stack.join(SEP));
    } else {
      if (ln) compareAt(t.elem!, li![0], undefined, stack, c);
      c.added.add(stack.join(SEP));
    }
    stack.pop();
  };
  for (const [pe, li] of l) visit(pe, li, r.get(pe));
  for (const [pe, ri] of r) if (!l.has(pe)) visit(pe, undefined, ri);
}

/** The live object with an applied configuration merged in (Merge): the configuration wins. */
export function merge(t: TypeNode, lhs: unknown, rhs: unknown, path = ''): unknown {
  if (rhs === undefined) return lhs;
  if (lhs === undefined || !granular(t, rhs) || !granular(t, lhs) || Array.isArray(lhs) !== Array.isArray(rhs)) return rhs;
  if (Array.isArray(rhs)) return mergeLists(t, lhs as unknown[], rhs, path);
  const out: Obj = { ...(lhs as Obj) };
  for (const [k, v] of Object.entries(rhs as Obj)) {
    if (v === undefined) continue;
    out[k] = merge(childType(t, k), out[k], v, join(path, fieldElement(k)));
  }
  return out;
}

// Order as upstream: live items keep their places, applied items come in the applied order, and
// items both have appear where the applied configuration puts them relative to each other.
function mergeLists(t: TypeNode, lhs: unknown[], rhs: unknown[], path: string): unknown[] {
  const lpe = lhs.map((x) => itemElement(t, x, path));
  const rpe = rhs.map((x) => itemElement(t, x, path));
  const rItems = new Map<string, unknown>();
  rpe.forEach((pe, i) => {
    if (rItems.has(pe)) throw new TypedError(`${readable(path)}: duplicate entries for key ${pe.slice(2)}`);
    rItems.set(pe, rhs[i]);
  });
  const lItems = new Map<string, unknown>();
  lpe.forEach((pe, i) => lItems.has(pe) || lItems.set(pe, lhs[i]));
  const shared = rpe.filter((pe) => lItems.has(pe));
  let nextShared = 0;
  const done = new Set<string>();
  const out: unknown[] = [];
  const take = (pe: string) => {
    done.add(pe);
    out.push(merge(t.elem!, lItems.get(pe), rItems.get(pe), join(path, pe)));
    if (shared[nextShared] === pe) nextShared++;
  };
  let i = 0;
  let j = 0;
  while (i < lhs.length || j < rhs.length) {
    if (i < lhs.length) {
      const pe = lpe[i]!;
      if (!rItems.has(pe)) {
        out.push(lhs[i]);
        i++;
        continue;
      }
      if (done.has(pe)) {
        i++;
        continue;
      }
      if (j < rhs.length && rpe[j] === pe) {
        take(pe);
        i++;
        j++;
        continue;
      }
      // A shared item the applied order places later: it waits for its turn.
      if (shared[nextShared] !== pe) {
        i++;
        continue;
      }
    }
    if (j < rhs.length) take(rpe[j++]!);
  }
  return out;
}

/** The value without the fields of a set (RemoveItems); a removed field takes its subtree along. */
export function removeItems(t: TypeNode, v: unknown, set: FieldSet): unknown {
  if (set.size === 0) return v;
  return removeWalk(t, v, set, prefixesOf(set), '');
}

function removeWalk(t: TypeNode, v: unknown, set: FieldSet, prefixes: Set<string>, path: string): unknown {
  if (!granular(t, v)) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      const p = join(path, itemElement(t, item, path));
      if (set.has(p)) continue;
      out.push(prefixes.has(p) ? removeWalk(t.elem!, item, set, prefixes, p) : item);
    }
    return out;
  }
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    const p = join(path, fieldElement(k));
    if (set.has(p)) continue;
    out[k] = prefixes.has(p) ? removeWalk(childType(t, k), x, set, prefixes, p) : x;
  }
  return out;
}

/**
 * The set plus every struct field on the way to its members (EnsureNamedFieldsAreMembers):
 * owning `spec.template.spec.x` means owning `spec.template` for pruning, but owning a label
 * doesn't mean owning the labels map.
 */
export function withNamedFields(t: TypeNode, set: FieldSet): FieldSet {
  const out = new Set(set);
  for (const p of set) {
    let cur: TypeNode = t;
    let prefix = '';
    const elements = p.split(SEP);
    for (let i = 0; i < elements.length - 1; i++) {
      const e = elements[i]!;
      prefix = join(prefix, e);
      if (e[0] === 'f') {
        const name = e.slice(2);
        const ft = cur.kind === 'struct' ? fieldType(cur, name) : undefined;
        if (ft) out.add(prefix);
        cur = ft ?? (cur.kind === 'map' ? cur.elem! : ANY);
      } else {
        cur = cur.kind === 'list' ? cur.elem! : ANY;
      }
    }
  }
  return out;
}

/**
 * The FieldsV1 of a new object's writer, built in one walk: what compare() against nothing
 * gives (every field and every node on the way), without the string paths in between.
 */
export function createdFieldsV1(t: TypeNode, v: unknown, ignore?: ReadonlySet<string>): FieldsV1 {
  const tree = createdNode(t, v, '');
  if (ignore) for (const k of ignore) delete tree[fieldElement(k)];
  // metadata itself is nobody's (only what it holds).
  const meta = tree['f:metadata'] as FieldsV1 | undefined;
  if (meta) {
    delete meta['.'];
    if (Object.keys(meta).length === 0) delete tree['f:metadata'];
  }
  return tree;
}

function createdNode(t: TypeNode, v: unknown, path: string): FieldsV1 {
  if (!granular(t, v) || isEmpty(v)) return {};
  if (Array.isArray(v)) {
    const children: Array<[string, FieldsV1]> = [];
    for (const [pe, items] of indexList(t, v, path)) children.push([pe, items.length === 1 ? createdNode(t.elem!, items[0], DEEP) : {}]);
    const out: FieldsV1 = path && children.length ? { '.': {} } : {};
    children.sort((a, b) => compareElements(a[0], b[0]));
    for (const [pe, n] of children) out[pe] = n;
    return out;
  }
  const obj = v as Obj;
  const keys: string[] = [];
  for (const k in obj) if (obj[k] !== undefined && !skipped(path, k)) keys.push(k);
  const out: FieldsV1 = path && keys.length ? { '.': {} } : {};
  // Field elements all start `f:`, so they sort as their names do (by UTF-16 unit, as compareElements).
  if (keys.length > 1) keys.sort();
  for (const k of keys) {
    const pe = fieldElement(k);
    // Only the root and metadata need their path (skipped fields); deeper nodes get a marker.
    out[pe] = createdNode(childType(t, k), obj[k], path ? DEEP : pe);
  }
  return out;
}
