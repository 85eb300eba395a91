import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameStatus } from './same-status.js';

test('key order, null versus absent and empty containers are not changes', () => {
  assert.ok(sameStatus({ phase: 'Running', podIP: '10.0.0.2' }, { podIP: '10.0.0.2', phase: 'Running' }));
  assert.ok(sameStatus({ a: null, b: [], c: {}, d: { lastState: {} } }, {}));
  assert.ok(sameStatus(undefined, {}));
  assert.ok(sameStatus({ conditions: [{ type: 'Ready', lastProbeTime: null, status: 'True' }] }, { conditions: [{ status: 'True', type: 'Ready' }] }));
});

test('values, list order and added fields are changes', () => {
  assert.ok(!sameStatus({ phase: 'Running' }, { phase: 'Pending' }));
  assert.ok(!sameStatus({ l: [1, 2] }, { l: [2, 1] }));
  assert.ok(!sameStatus({ phase: 'Running' }, { phase: 'Running', podIP: '10.0.0.2' }));
  assert.ok(!sameStatus({ ready: false }, {}), 'false is a value');
  assert.ok(!sameStatus({ restartCount: 0 }, {}), '0 is a value');
});

test('the same verdicts as comparing canonical copies (sorted keys, absent values dropped), on random statuses', () => {
  // The definition the in-place comparison must keep: both sides stripped of what does not
  // count, keys sorted, then compared as JSON.
  const strip = (v: unknown): unknown => {
    if (v === null || v === undefined) return undefined;
    if (Array.isArray(v)) {
      const items = v.map(strip).filter((x) => x !== undefined);
      return items.length ? items : undefined;
    }
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) {
        const x = strip((v as Record<string, unknown>)[k]);
        if (x !== undefined) out[k] = x;
      }
      return Object.keys(out).length ? out : undefined;
    }
    return v;
  };
  const reference = (a: unknown, b: unknown) => (JSON.stringify(strip(a)) ?? '') === (JSON.stringify(strip(b)) ?? '');
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const leaves = [null, undefined, 0, 1, '', 'a', false, true, [], {}];
  const value = (depth: number): unknown => {
    const kind = depth > 2 ? 0 : rand(3);
    if (kind === 0) return leaves[rand(leaves.length)];
    if (kind === 1) return Array.from({ length: rand(3) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rand(3); i > 0; i--) o[['phase', 'a', 'b'][rand(3)]!] = value(depth + 1);
    return o;
  };
  let same = 0;
  for (let i = 0; i < 5000; i++) {
    const a = value(0);
    // Half the pairs are a value and a reshuffled, padded copy of it: the verdicts must not all be "different".
    const b = rand(2) ? value(0) : JSON.parse(JSON.stringify({ pad: null, v: a })).v;
    const want = reference(a, b);
    if (want) same++;
    assert.equal(sameStatus(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  assert.ok(same > 1000, `${same} equal pairs`);
});
