import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDuplicateFields, pruneUnknownFields, typeErrors, type OutOfRange } from './index.js';

test('duplicate keys are found by their decoded text, escaped or not', () => {
  assert.deepEqual(findDuplicateFields('{"a":1,"\\u0061":2}'), ['a']);
  assert.deepEqual(findDuplicateFields('{"a\\"b":1,"x":{"q":"\\"","q":"}"},"a\\"b":2}'), ['x.q', 'a"b']);
  assert.deepEqual(findDuplicateFields('{"tab\\t":1,"tab\t":2}'), ['tab\t']);
  // Near misses are not duplicates: a key that only differs by an escaped character.
  assert.deepEqual(findDuplicateFields('{"a\\\\":1,"a":2,"a\\\\b":3}'), []);
});

test('unicode keys, raw or escaped (surrogate pairs included), are compared as decoded', () => {
  assert.deepEqual(findDuplicateFields('{"ключ":1,"\\u043a\\u043b\\u044e\\u0447":2}'), ['ключ']);
  assert.deepEqual(findDuplicateFields('{"m":{"😀":1,"\\ud83d\\ude00":2,"é":3,"e\\u0301":4}}'), ['m.😀']);
});

test('duplicates deep in arrays are named by index, in the order they appear', () => {
  const raw = JSON.stringify({ spec: { containers: [{ name: 'a' }, { name: 'b', env: [{ name: 'x' }, { name: 'y', value: 'v' }] }] } }).replace(
    '"value":"v"',
    '"value":"v","name":"z","value":"w"',
  );
  assert.deepEqual(findDuplicateFields(raw), ['spec.containers[1].env[1].name', 'spec.containers[1].env[1].value']);
  assert.deepEqual(findDuplicateFields('[{"a":1},[{"b":1,"b":2}],{"c":{"d":[],"d":{}}}]'), ['[1][0].b', '[2].c.d']);
  // A key seen three times is reported twice, as each repeat is met.
  assert.deepEqual(findDuplicateFields('{"k":1,"k":2,"k":3}'), ['k', 'k']);
});

test('values never count as keys, whatever they hold, and whitespace does not matter', () => {
  assert.deepEqual(findDuplicateFields('{"a":"\\"a\\":1,","b":["a","a"],"c":"{\\"c\\":1}"}'), []);
  assert.deepEqual(findDuplicateFields(' {\n\t"a" : [ 1 , true , null , -2.5e3 , { } , [ ] ] ,\r\n "a" : { "b" : 1 , "b" : 2 } } '), ['a', 'a.b']);
  assert.deepEqual(findDuplicateFields('"text"'), []);
  assert.deepEqual(findDuplicateFields('12'), []);
});

test('objects with many keys find their duplicates too', () => {
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const raw = `{${[...keys, 'k3', 'k39', 'k20'].map((k, i) => `"${k}":${i}`).join(',')}}`;
  assert.deepEqual(findDuplicateFields(raw), ['k3', 'k39', 'k20']);
  // Sibling objects each start afresh, however many keys the one before had.
  const nested = `[${raw},{"k3":1,"k39":2}]`;
  assert.deepEqual(findDuplicateFields(nested), ['[0].k3', '[0].k39', '[0].k20']);
});

// ---- the same on generated documents, against paths known by construction ----

type Gen = { obj: Array<[string, Gen]> } | { arr: Gen[] } | { scalar: string };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEY_POOL = ['a', 'b', 'name', 'spec', 'ключ', '😀', 'a"b', 'back\\slash', 'tab\tkey', '{', '[0]', 'x.y', ''];

function generate(r: () => number, depth: number): Gen {
  const roll = r();
  if (depth > 4 || roll < 0.3) return { scalar: ['1', 'true', 'null', '"s"', '"a\\"}"', '-0.5e2', '"ü"'][Math.floor(r() * 7)]! };
  if (roll < 0.55) return { arr: Array.from({ length: Math.floor(r() * 4) }, () => generate(r, depth + 1)) };
  const n = Math.floor(r() * (r() < 0.1 ? 30 : 6));
  return { obj: Array.from({ length: n }, () => [r() < 0.8 ? KEY_POOL[Math.floor(r() * KEY_POOL.length)]! : `k${Math.floor(r() * 25)}`, generate(r, depth + 1)]) };
}

/** A key as JSON, its characters escaped (\uXXXX) at random so raw and escaped forms mix. */
function encodeKey(r: () => number, key: string): string {
  let s = '"';
  for (const ch of JSON.stringify(key).slice(1, -1).match(/\\u[0-9a-f]{4}|\\.|[\s\S]/g) ?? []) {
    const plain = ch.length === 1 && ch.charCodeAt(0) < 0x10000;
    s += plain && r() < 0.2 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
  }
  return s + '"';
}

function serialize(r: () => number, g: Gen): string {
  const ws = () => [' ', '', '\n  ', '\t', ''][Math.floor(r() * 5)]!;
  if ('scalar' in g) return g.scalar;
  if ('arr' in g) return `[${ws()}${g.arr.map((x) => serialize(r, x)).join(`${ws()},${ws()}`)}${ws()}]`;
  return `{${ws()}${g.obj.map(([k, v]) => `${encodeKey(r, k)}${ws()}:${ws()}${serialize(r, v)}`).join(`,${ws()}`)}${ws()}}`;
}

function expectedDuplicates(g: Gen, path = '', out: string[] = []): string[] {
  const join = (k: string) => (path ? `${path}.${k}` : k);
  if ('arr' in g) g.arr.forEach((x, i) => expectedDuplicates(x, `${path}[${i}]`, out));
  if ('obj' in g) {
    const seen = new Set<string>();
    for (const [k, v] of g.obj) {
      if (seen.has(k)) out.push(join(k));
      seen.add(k);
      expectedDuplicates(v, join(k), out);
    }
  }
  return out;
}

test('generated documents: every duplicate, with its path, in document order', () => {
  let withDuplicates = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const r = rng(seed);
    const g = generate(r, 0);
    const raw = serialize(r, g);
    const expected = expectedDuplicates(g);
    if (expected.length) withDuplicates++;
    assert.deepEqual(findDuplicateFields(raw), expected, `seed ${seed}: ${raw}`);
  }
  // The generator does make duplicates (the test would prove little otherwise).
  assert.ok(withDuplicates > 100, `${withDuplicates} documents with duplicates`);
});

// ---- unknown fields and types ----

test('unknown fields are reported with their paths and dropped, nulls dropped, quantities made canonical', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', bogus: 1, labels: { a: 'b', n: null }, ownerReferences: null },
    spec: {
      containers: [
        { name: 'a', image: 'i', extra: true, resources: { limits: { cpu: '0.5', memory: '1024Mi' } } },
        null,
        { name: 'b', ports: [{ containerPort: 80, nope: 'x' }] },
      ],
    },
  };
  assert.deepEqual(pruneUnknownFields('v1', 'Pod', pod), ['metadata.bogus', 'spec.containers[0].extra', 'spec.containers[2].ports[0].nope']);
  assert.deepEqual(pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { a: 'b', n: null } },
    spec: { containers: [{ name: 'a', image: 'i', resources: { limits: { cpu: '500m', memory: '1Gi' } } }, null, { name: 'b', ports: [{ containerPort: 80 }] }] },
  });
  // Parsed quantities are remembered; the second body gets the same answer as the first.
  const again = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'a', resources: { limits: { cpu: '0.5', memory: 'x' } } }] } };
  assert.deepEqual(pruneUnknownFields('v1', 'Pod', again), []);
  assert.deepEqual(again.spec.containers[0]!.resources.limits, { cpu: '500m', memory: 'x' });
});

test("keys named as Object's own members are unknown fields, not a crash", () => {
  const obj = JSON.parse('{"metadata":{"constructor":1,"toString":{"a":1},"__proto__":{"x":1}},"spec":{"containers":[{"name":"a","hasOwnProperty":2}]}}');
  assert.deepEqual(pruneUnknownFields('v1', 'Pod', obj), ['metadata.constructor', 'metadata.toString', 'metadata.__proto__', 'spec.containers[0].hasOwnProperty']);
  assert.deepEqual(typeErrors('v1', 'Pod', JSON.parse('{"metadata":{"constructor":"x"}}')), []);
});

test('type errors name the struct and the path; out-of-range quantities are kept apart, every time', () => {
  const pod = {
    metadata: { name: 5, labels: { a: 1 } },
    spec: { containers: [{ name: 'a', ports: [{ containerPort: 1.5 }], resources: { limits: { cpu: 'lots', memory: '1e100' } } }] },
  };
  for (let i = 0; i < 2; i++) {
    const outOfRange: OutOfRange[] = [];
    assert.deepEqual(typeErrors('v1', 'Pod', pod, outOfRange), [
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string',
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels.a of type string',
      'json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers[0].ports[0].containerPort of type int64',
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ]);
    assert.deepEqual(outOfRange, [{ field: 'spec.containers[0].resources.limits.memory', value: '1e100', detail: 'must be no more than 9223372036854775807 in magnitude' }]);
  }
  assert.deepEqual(typeErrors('v1', 'Pod', { spec: { containers: {} } }), [
    'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container',
  ]);
  assert.deepEqual(typeErrors('v1', 'Secret', { data: { a: 'QQ==', b: 'Q?==' } }), ['illegal base64 data at input byte 1']);
});
