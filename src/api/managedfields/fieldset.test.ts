import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaths, fromFieldsV1, pathString, SEP, toFieldsV1 } from './fieldset.js';

const P = (...elements: string[]) => elements.map((e) => (/^[fkvi]:/.test(e) ? e : `f:${e}`)).join(SEP);

test('FieldsV1: members, `.` for members with children, round trip', () => {
  const cases: Array<{ name: string; set: string[]; fields: unknown }> = [
    { name: 'leaf', set: [P('spec', 'replicas')], fields: { 'f:spec': { 'f:replicas': {} } } },
    {
      name: 'list item that is a member and has children',
      set: [P('spec', 'containers', 'k:{"name":"c"}'), P('spec', 'containers', 'k:{"name":"c"}', 'image')],
      fields: { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } },
    },
    {
      name: 'fields sort before keys before values',
      set: [P('a', 'v:"x"'), P('a', 'k:{"n":1}'), P('a', 'z'), P('a', 'b')],
      fields: { 'f:a': { 'f:b': {}, 'f:z': {}, 'k:{"n":1}': {}, 'v:"x"': {} } },
    },
  ];
  for (const c of cases) {
    const v1 = toFieldsV1(new Set(c.set));
    assert.deepEqual(v1, c.fields, c.name);
    assert.equal(JSON.stringify(v1), JSON.stringify(c.fields), `${c.name}: order`);
    assert.deepEqual([...fromFieldsV1(v1)].sort(), [...c.set].sort(), `${c.name}: round trip`);
  }
});

test('FieldsV1 that is not one is refused', () => {
  assert.throws(() => fromFieldsV1({ 'f:a': 'x' }));
  assert.throws(() => fromFieldsV1({ 'x:a': {} }));
  assert.throws(() => fromFieldsV1([]));
});

test('paths print as upstream prints them in conflicts', () => {
  assert.equal(pathString(P('spec', 'replicas')), '.spec.replicas');
  assert.equal(pathString(P('spec', 'containers', 'k:{"name":"app"}', 'image')), '.spec.containers[name="app"].image');
  assert.equal(pathString(P('ports', 'k:{"containerPort":80,"protocol":"TCP"}')), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString(P('metadata', 'finalizers', 'v:"a"')), '.metadata.finalizers[="a"]');
});

test('set iteration order: members of a level before its children', () => {
  const paths = [P('spec', 'template', 'x'), P('spec', 'replicas'), P('metadata', 'labels', 'a'), P('spec', 'a', 'b')];
  assert.deepEqual([...paths].sort(comparePaths).map(pathString), ['.metadata.labels.a', '.spec.replicas', '.spec.a.b', '.spec.template.x']);
});

test('FieldsV1 keys are f:, k:, v: or i: elements, exactly', () => {
  for (const k of ['f', 'F:a', ':a', 'fa', 'k', 'x:', ' f:a']) assert.throws(() => fromFieldsV1({ [k]: {} }), new RegExp(`unexpected FieldsV1 key`), k);
  assert.deepEqual([...fromFieldsV1({ 'f:': {}, 'k:{}': {}, 'v:1': {}, 'i:0': { '.': {}, 'f:x': {} } })], ['f:', 'k:{}', 'v:1', `i:0`, `i:0${SEP}f:x`]);
});

test('toFieldsV1 orders siblings as upstream: f, k, v, then i by number; one kind by its text', () => {
  const set = new Set([
    'i:10',
    'i:9',
    'v:"b"',
    'k:{"a":1}',
    'f:z',
    'f:a',
    'i:1',
    `f:m${SEP}k:{"name":"b"}`,
    `f:m${SEP}k:{"name":"a"}`,
    `f:m${SEP}k:{"name":"B"}`,
  ]);
  const tree = toFieldsV1(set);
  assert.deepEqual(Object.keys(tree), ['f:a', 'f:m', 'f:z', 'k:{"a":1}', 'v:"b"', 'i:1', 'i:9', 'i:10']);
  assert.deepEqual(Object.keys(tree['f:m'] as object), ['k:{"name":"B"}', 'k:{"name":"a"}', 'k:{"name":"b"}']);
  assert.deepEqual(Object.keys(toFieldsV1(new Set(['i:2', 'i:10', 'i:1']))), ['i:1', 'i:2', 'i:10']);
});
