// Strategic merge patch (upstream k8s.io/apimachinery/pkg/util/strategicpatch): a JSON merge
// patch whose lists merge by key where the type says so, with the `$patch`, `$retainKeys`,
// `$deleteFromPrimitiveList/` and `$setElementOrder/` directives.
import { clone, isPlainObject } from '../object.js';
import { strategyAt } from './merge-keys.js';
import { PatchError } from './errors.js';
import { jsonMergePatch } from './merge-patch.js';
import { jsonEqual } from '../json-value.js';

/**
 * Deeper than any field of the schema (so no merge keys or strategies apply) the patch merges
 * as a JSON merge patch, which walks without recursion: patches may nest 10 000 levels.
 */
const SCHEMA_DEPTH = 64;

type Obj = Record<string, unknown>;

const DELETE = Symbol('delete');

export function strategicMergePatch(original: unknown, patch: unknown, kind: string): unknown {
  if (!isPlainObject(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  const out = mergeMap(isPlainObject(original) ? clone(original) : {}, patch, kind, []);
  return out === DELETE ? {} : out;
}

function mergeMap(orig: Obj, patch: Obj, kind: string, path: string[]): Obj | typeof DELETE {
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive === 'delete') return DELETE;
    if (directive === 'replace') return stripDirectives(patch) as Obj;
    if (directive !== 'merge') throw new PatchError(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const result: Obj = orig;
  const retainKeys = patch.$retainKeys;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(value)) throw new PatchError(`invalid type for ${key}: expected a list`);
      const cur = result[field];
      if (Array.isArray(cur)) result[field] = cur.filter((x) => !value.some((d) => jsonEqual(d, x)));
      continue;
    }
    if (key.startsWith('$')) throw new PatchError(`unknown patch directive: ${key}`);
    const p = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (isPlainObject(value)) {
      const cur = result[key];
      if (p.length > SCHEMA_DEPTH) {
        result[key] = jsonMergePatch(cur, stripDirectives(value));
        continue;
      }
      const merged = mergeMap(isPlainObject(cur) ? cur : {}, value, kind, p);
      if (merged === DELETE) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      const merged = mergeList(result[key], value, kind, p);
      result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith('$setElementOrder/')) continue;
    const field = key.slice('$setElementOrder/'.length);
    if (Array.isArray(order) && Array.isArray(result[field]))
      result[field] = applyOrder(result[field] as unknown[], order, strategyAt(kind, [...path, field]).mergeKey);
  }
  if (retainKeys !== undefined) {
    if (!Array.isArray(retainKeys)) throw new PatchError('$retainKeys must be a list of field names');
    for (const k of Object.keys(result)) if (!retainKeys.includes(k)) delete result[k];
  }
  return result;
}

function mergeList(orig: unknown, patch: unknown[], kind: string, path: string[]): unknown[] {
  const { strategy, mergeKey } = strategyAt(kind, path);
  const cur = Array.isArray(orig) ? orig : [];
  if (!strategy?.includes('merge')) return stripDirectives(patch) as unknown[];
  // A `{$patch: replace}` element replaces the whole list with the other elements.
  if (patch.some((i) => isPlainObject(i) && i.$patch === 'replace')) {
    return stripDirectives(patch.filter((i) => !(isPlainObject(i) && i.$patch === 'replace'))) as unknown[];
  }
  if (!mergeKey) {
    const out = [...cur];
    for (const item of patch) if (!out.some((x) => jsonEqual(x, item))) out.push(stripDirectives(item));
    return out;
  }
  const out = cur.map((x) => x);
  for (const item of patch) {
    if (!isPlainObject(item)) throw new PatchError(`list item in ${path.join('.')} must be an object with merge key ${mergeKey}`);
    const keyValue = item[mergeKey];
    if (keyValue === undefined) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    const idx = out.findIndex((x) => isPlainObject(x) && x[mergeKey] === keyValue);
    if (item.$patch === 'delete') {
      for (let i = out.length - 1; i >= 0; i--) if (isPlainObject(out[i]) && (out[i] as Obj)[mergeKey] === keyValue) out.splice(i, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(clone(out[idx] as Obj), item, kind, path);
      if (merged === DELETE) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}

function applyOrder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  // Orders name merge-key values or primitive items; anything else is left where it is.
  const keyOf = (x: unknown) => {
    const v = mergeKey && isPlainObject(x) ? x[mergeKey] : x;
    return typeof v === 'object' && v !== null ? undefined : JSON.stringify(v);
  };
  const rank = new Map<string, number>();
  order.forEach((o, i) => {
    const k = keyOf(o);
    if (k !== undefined) rank.set(k, i);
  });
  const ranked = (x: unknown) => {
    const k = keyOf(x);
    return k !== undefined && rank.has(k);
  };
  const sorted = list.filter(ranked).sort((a, b) => rank.get(keyOf(a)!)! - rank.get(keyOf(b)!)!);
  return [...sorted, ...list.filter((x) => !ranked(x))];
}

/** The value without `$` directive keys at any level (iterative: values may nest deep). */
function stripDirectives(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const root: Obj | unknown[] = Array.isArray(v) ? [] : {};
  const stack: Array<[Obj | unknown[], Obj | unknown[]]> = [[v as Obj | unknown[], root]];
  while (stack.length) {
    const [from, to] = stack.pop()!;
    for (const [k, x] of Object.entries(from)) {
      if (!Array.isArray(from) && k.startsWith('$')) continue;
      let copy: unknown = x;
      if (typeof x === 'object' && x !== null) {
        copy = Array.isArray(x) ? [] : {};
        stack.push([x as Obj | unknown[], copy as Obj | unknown[]]);
      }
      if (Array.isArray(to)) to.push(copy);
      else to[k] = copy;
    }
  }
  return root;
}
