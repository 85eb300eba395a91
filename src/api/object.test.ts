import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepEqual, isPlainObject } from './object.js';

/** deepEqual as it was written first (filtered key lists): the reference the loops must agree with. */
function reference(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => reference(x, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => reference(a[k], b[k]));
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Keys Object.prototype has too: b[k] reads them when b lacks its own.
const KEYS = ['a', 'b', 'spec', 'status', '0', '10', 'constructor', 'toString', 'valueOf', ''];
const SCALARS: unknown[] = [0, 1, -0, NaN, '', 'x', '1', true, false, null, undefined];

function value(r: () => number, depth: number): unknown {
  const roll = r();
  if (depth > 3 || roll < 0.35) return SCALARS[Math.floor(r() * SCALARS.length)];
  if (roll < 0.55) return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let n = Math.floor(r() * 4); n > 0; n--) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth + 1);
  return o;
}

/** A copy of v, changed a little here and there (or not at all): key order, undefined members, values. */
function variant(r: () => number, v: unknown): unknown {
  if (r() < 0.05) return value(r, 2);
  if (Array.isArray(v)) {
    const out = v.map((x) => variant(r, x));
    if (r() < 0.05) out.push(value(r, 3));
    return out;
  }
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  if (r() < 0.5) keys.reverse();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = variant(r, v[k]);
  if (r() < 0.1) out[KEYS[Math.floor(r() * KEYS.length)]!] = undefined;
  return out;
}

test('deepEqual agrees with the filtered-key-list version over generated pairs, equal and not', () => {
  let equal = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    const a = value(r, 0);
    const b = variant(r, a);
    const want = reference(a, b);
    if (want) equal++;
    assert.equal(deepEqual(a, b), want, `seed ${seed}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(deepEqual(b, a), reference(b, a), `seed ${seed}, swapped`);
  }
  // Both outcomes are common, so that the comparison compares something.
  assert.ok(equal > 600 && equal < 2400, `${equal} equal pairs`);
});

test('deepEqual: undefined members are absent, key order does not matter, list order does', () => {
  assert.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(deepEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }));
  assert.ok(!deepEqual([1, 2], [2, 1]));
  assert.ok(!deepEqual({ a: 1 }, { a: 1, b: null }));
  assert.ok(!deepEqual({ constructor: 1 }, { x: 1 }), "b's inherited constructor is not its own 1");
  assert.ok(!deepEqual({}, []));
});
