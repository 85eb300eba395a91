import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBody, MAX_NESTING_DEPTH } from './body.js';
import { exceedsDepth } from '../api/json-value.js';
import { ApiError } from './errors.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
const badRequest = (re: RegExp) => (e: unknown) => e instanceof ApiError && e.code === 400 && re.test(e.message);

test('JSON nested deeper than upstream decoders allow is a 400, at the limit it decodes', () => {
  assert.throws(() => decodeBody(Buffer.from(nested(MAX_NESTING_DEPTH + 1)), 'application/json'), badRequest(/exceeded max depth of 10000/));
  assert.throws(() => decodeBody(Buffer.from(`{"a":${'{"b":'.repeat(200_000)}1${'}'.repeat(200_000)}}`), 'application/merge-patch+json'), badRequest(/exceeded max depth/));
  assert.ok(Array.isArray(decodeBody(Buffer.from(nested(MAX_NESTING_DEPTH)), 'application/json')));
  assert.equal(exceedsDepth({ a: [{ b: 1 }] }, 3), false);
  assert.equal(exceedsDepth({ a: [{ b: {} }] }, 3), true);
});

test('YAML alias bombs and deep YAML are 400s', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) {
    const prev = i === 0 ? 'a' : ['b', 'c', 'd', 'e', 'f', 'g'][i - 1];
    bomb.push(`${name}: &${name} [${Array(9).fill('*' + prev).join(',')}]`);
  }
  assert.throws(() => decodeBody(Buffer.from(bomb.join('\n') + '\n'), 'application/yaml'), badRequest(/excessive aliasing/));
  assert.throws(() => decodeBody(Buffer.from('a: ' + nested(MAX_NESTING_DEPTH + 1)), 'application/yaml'), badRequest(/exceeded max depth/));
  assert.deepEqual(decodeBody(Buffer.from('a: &x [1]\nb: *x\n'), 'application/yaml'), { a: [1], b: [1] });
});
