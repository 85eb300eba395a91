import type { ObjectMeta } from 'kubernetes-types/meta/v1';

/** kubernetes-types marks server-set fields readonly; the server is the one that sets them. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type Meta = Mutable<ObjectMeta>;

/** Any Kubernetes object as it travels through Berth: plain JSON with typed metadata. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  [field: string]: unknown;
}

/** A JSON value read from a request body before it is known to be an object. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON-compatible value. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Semantic equality of JSON values: object key order does not matter, list order does; a key
 * whose value is undefined counts as absent. (Loops rather than filtered key lists: every write
 * compares whole objects, and the lists were most of the cost.)
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  if (definedKeys(a) !== definedKeys(b)) return false;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    const v = a[k];
    if (v !== undefined && !deepEqual(v, b[k])) return false;
  }
  return true;
}

/** How many own enumerable keys of o hold a value other than undefined. */
function definedKeys(o: Record<string, unknown>): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) n++;
  return n;
}
