import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelSelectorAsString, parseSelector, selectorFromLabelSelector, SelectorError } from './labels.js';
import { matchesFieldSelector, parseFieldSelector, FieldSelectorError } from './fields.js';

test('label selector syntax: equality, sets, existence, gt/lt', () => {
  const l = { app: 'web', tier: 'front', n: '5' };
  const yes = ['app=web', 'app==web', 'app!=db', 'tier in (front,back)', 'tier notin (back)', 'app', '!missing', 'n>3', 'n<6', 'app=web,tier=front', ''];
  const no = ['app=db', 'app!=web', 'tier in (back)', 'tier notin (front)', 'missing', '!app', 'n>5', 'app=web,tier=back'];
  for (const s of yes) assert.equal(parseSelector(s).matches(l), true, s);
  for (const s of no) assert.equal(parseSelector(s).matches(l), false, s);
  assert.equal(parseSelector('missing!=x').matches(l), true, '!= matches a missing key, as upstream');
  for (const bad of ['app=', 'a b', 'tier in front', 'tier in ()', '-x-=1', 'app=web,', 'n>x']) {
    if (bad === 'app=') continue; // empty value is valid upstream
    assert.throws(() => parseSelector(bad), SelectorError, bad);
  }
  assert.equal(parseSelector('app=').matches({ app: '' }), true);
});

test('LabelSelector objects and their string form', () => {
  const sel = {
    matchLabels: { b: '2', a: '1' },
    matchExpressions: [
      { key: 'c', operator: 'In', values: ['y', 'x'] },
      { key: 'd', operator: 'DoesNotExist' },
    ],
  };
  assert.equal(labelSelectorAsString(sel), 'a=1,b=2,c in (x,y),!d');
  assert.equal(selectorFromLabelSelector(sel).matches({ a: '1', b: '2', c: 'x' }), true);
  assert.equal(selectorFromLabelSelector(sel).matches({ a: '1', b: '2', c: 'x', d: '' }), false);
  assert.equal(selectorFromLabelSelector(undefined).matches({}), false, 'a missing selector matches nothing');
  assert.equal(selectorFromLabelSelector({}).matches({ any: 'thing' }), true, 'an empty selector matches everything');
});

test('field selectors', () => {
  const reqs = parseFieldSelector('status.phase=Pending,metadata.name!=a');
  const get = (o: Record<string, string>) => (f: string) => o[f];
  assert.equal(matchesFieldSelector(reqs, get({ 'status.phase': 'Pending', 'metadata.name': 'b' })), true);
  assert.equal(matchesFieldSelector(reqs, get({ 'status.phase': 'Pending', 'metadata.name': 'a' })), false);
  assert.deepEqual(parseFieldSelector('a==x\\,y'), [{ field: 'a', operator: '=', value: 'x,y' }]);
  assert.throws(() => parseFieldSelector('nonsense'), FieldSelectorError);
});
