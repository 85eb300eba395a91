// Copying, comparing, measuring and depth-checking decoded JSON values without recursion: patches may carry
// values nested as deep as the decoders allow (10 000 levels), deeper than the JS stack takes.
import { isPlainObject } from './object.js';

type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** A deep copy of a JSON value. */
export function copyJson<T>(value: T): T {
  if (!isContainer(value)) return value;
  const root: Container = Array.isArray(value) ? [] : {};
  const stack: Array<[Container, Container]> = [[value, root]];
  while (stack.length) {
    const [from, to] = stack.pop()!;
    for (const [k, v] of Object.entries(from)) {
      if (isContainer(v)) {
        const child: Container = Array.isArray(v) ? [] : {};
        (to as Record<string, unknown>)[k] = child;
        stack.push([v, child]);
      } else {
        (to as Record<string, unknown>)[k] = v;
      }
    }
  }
  return root as T;
}

/** Semantic equality of JSON values: object key order does not matter, list order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      x.forEach((v, i) => stack.push([v, y[i]]));
      continue;
    }
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const kx = Object.keys(x).filter((k) => x[k] !== undefined);
    const ky = Object.keys(y).filter((k) => y[k] !== undefined);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!(k in y)) return false;
      stack.push([x[k], y[k]]);
    }
  }
  return true;
}

/** The size of a value's JSON encoding in bytes (strings counted by UTF-16 length, close enough). */
export function jsonSize(value: unknown): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      size += 2 + Math.max(0, v.length - 1);
      for (const x of v) stack.push(x);
    } else if (isPlainObject(v)) {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      size += 2 + Math.max(0, entries.length - 1);
      for (const [k, x] of entries) {
        size += k.length + 3;
        stack.push(x);
      }
    } else if (typeof v === 'string') {
      size += v.length + 2;
    } else {
      size += String(v).length;
    }
  }
  return size;
}

/** Whether a value nests objects and arrays deeper than `max` levels. */
export function exceedsDepth(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!isContainer(v)) continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) if (isContainer(child)) stack.push([child, depth + 1]);
  }
  return false;
}
