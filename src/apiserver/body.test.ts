import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBody, MAX_NESTING_DEPTH } from './body.js';
import { exceedsDepth } from '../api/json-value.js';
import { ApiError } from './errors.js';
import { yamlNestingBound } from './yaml-body.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
const badRequest = (re: RegExp) => (e: unknown) => e instanceof ApiError && e.code === 400 && re.test(e.message);

test('JSON nested deeper than upstream decoders allow is a 400, at the limit it decodes', () => {
  assert.throws(() => decodeBody(Buffer.from(nested(MAX_NESTING_DEPTH + 1)), 'application/json'), badRequest(/exceeded max depth of 10000/));
  assert.throws(
    () => decodeBody(Buffer.from(`{"a":${'{"b":'.repeat(200_000)}1${'}'.repeat(200_000)}}`), 'application/merge-patch+json'),
    badRequest(/exceeded max depth/),
  );
  assert.ok(Array.isArray(decodeBody(Buffer.from(nested(MAX_NESTING_DEPTH)), 'application/json')));
  // The shortest text too deep is 2 * (MAX_NESTING_DEPTH + 1) long (above), the bound below which texts are not walked;
  // a long text within the limit is walked and decodes.
  assert.equal(nested(MAX_NESTING_DEPTH + 1).length, 2 * (MAX_NESTING_DEPTH + 1));
  const wide = `[${Array.from({ length: 5000 }, () => '[[1]]').join(',')}]`;
  assert.ok(wide.length > 2 * (MAX_NESTING_DEPTH + 1));
  assert.equal((decodeBody(Buffer.from(wide), 'application/json') as unknown[]).length, 5000);
  assert.equal(exceedsDepth({ a: [{ b: 1 }] }, 3), false);
  assert.equal(exceedsDepth({ a: [{ b: {} }] }, 3), true);
});

test('YAML alias bombs and deep YAML are 400s', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) {
    const prev = i === 0 ? 'a' : ['b', 'c', 'd', 'e', 'f', 'g'][i - 1];
    bomb.push(
      `${name}: &${name} [${Array(9)
        .fill('*' + prev)
        .join(',')}]`,
    );
  }
  assert.throws(() => decodeBody(Buffer.from(bomb.join('\n') + '\n'), 'application/yaml'), badRequest(/excessive aliasing/));
  assert.throws(() => decodeBody(Buffer.from('a: ' + nested(MAX_NESTING_DEPTH + 1)), 'application/yaml'), badRequest(/exceeded max depth/));
  assert.deepEqual(decodeBody(Buffer.from('a: &x [1]\nb: *x\n'), 'application/yaml'), { a: [1], b: [1] });
});

test('YAML bodies: JSON text decodes up to 10000 levels, YAML text is bounded before the library recurses', () => {
  const deepJson = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);
  // kubectl sends server-side apply bodies as JSON: the library never sees them.
  assert.ok(decodeBody(Buffer.from(`{"x":${deepJson(9_999)}}`), 'application/apply-patch+yaml'));
  assert.throws(() => decodeBody(Buffer.from(`{"x":${deepJson(10_001)}}`), 'application/apply-patch+yaml'), badRequest(/exceeded max depth of 10000/));
  // These crashed the process (V8 aborting in a regular-expression compile at the stack limit).
  for (const n of [600, 9_999, 10_001]) {
    assert.throws(() => decodeBody(Buffer.from(`x: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`), 'application/yaml'), badRequest(/exceeded max depth of 500/));
    assert.throws(() => decodeBody(Buffer.from(`x:\n${'- '.repeat(n)}a\n`), 'application/yaml'), badRequest(/exceeded max depth of 500/));
  }
  assert.deepEqual(decodeBody(Buffer.from(`x: ${'['.repeat(400)}${']'.repeat(400)}\n`), 'application/yaml') !== undefined, true);
  // Brackets and indicators inside quotes and comments do not count.
  const quoted = `a: "${'[{- '.repeat(1000)}"\nb: '${': '.repeat(1000)}' # ${'['.repeat(1000)}\n`;
  assert.ok(yamlNestingBound(quoted) < 10);
  assert.equal((decodeBody(Buffer.from(quoted), 'application/yaml') as { a: string }).a.length, 4000);
  // Duplicate keys in JSON text are refused as YAML refuses them.
  assert.throws(() => decodeBody(Buffer.from('{"a":1,"a":2}'), 'application/yaml'), badRequest(/unique/));
});
