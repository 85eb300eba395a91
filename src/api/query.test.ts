import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolParam, optionalBoolParam } from './query.js';

const q = (s: string) => new URLSearchParams(s);

test('absent, "0" and "false" in any case are false', () => {
  assert.equal(boolParam(q(''), 'watch'), false);
  assert.equal(boolParam(q('other=1'), 'watch'), false);
  for (const v of ['0', 'false', 'False', 'FALSE', 'fAlSe']) assert.equal(boolParam(q(`watch=${v}`), 'watch'), false, v);
});

test('anything else is true, the empty string and "True" included', () => {
  for (const s of ['watch=true', 'watch=True', 'watch=TRUE', 'watch=1', 'watch=', 'watch', 'watch=yes', 'watch=no', 'watch=00', 'watch=%20false']) {
    assert.equal(boolParam(q(s), 'watch'), true, s);
  }
});

test('only the first value counts', () => {
  assert.equal(boolParam(q('follow=false&follow=true'), 'follow'), false);
  assert.equal(boolParam(q('follow=1&follow=0'), 'follow'), true);
});

test('optionalBoolParam tells absent from false', () => {
  assert.equal(optionalBoolParam(q(''), 'sendInitialEvents'), undefined);
  assert.equal(optionalBoolParam(q('sendInitialEvents=false'), 'sendInitialEvents'), false);
  assert.equal(optionalBoolParam(q('sendInitialEvents=0'), 'sendInitialEvents'), false);
  assert.equal(optionalBoolParam(q('sendInitialEvents='), 'sendInitialEvents'), true);
  assert.equal(optionalBoolParam(q('sendInitialEvents=True'), 'sendInitialEvents'), true);
});
