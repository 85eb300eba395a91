import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowth } from './heap-growth.js';
import { peekMetadataName } from './json-peek.js';

test('peekMetadataName: the name of a created pod, wherever metadata sits and whatever comes before it', () => {
  assert.equal(peekMetadataName('{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-x2x9q","generateName":"web-"}}'), 'web-x2x9q');
  const tricky = {
    spec: { containers: [{ args: ['}', ']', '"{', '\\', 'a\\"b'], n: [1, -2.5e3, true, false, null, {}, []] }] },
    status: { message: 'a "quoted" } brace', empty: '' },
    metadata: { labels: { name: 'not-this-one' }, managedFields: [{ fieldsV1: { 'f:metadata': { 'f:name': {} } } }], name: 'the-one' },
  };
  assert.equal(peekMetadataName(JSON.stringify(tricky)), 'the-one');
  assert.equal(peekMetadataName(JSON.stringify(tricky, null, 2)), 'the-one', 'with whitespace between tokens');
  assert.equal(peekMetadataName('{"metadata":{"name":"caf\\u00e9\\n\\"x\\""}}'), 'café\n"x"', 'escapes decoded');
});

test('peekMetadataName: undefined when there is no string name, or the text is not an object', () => {
  for (const text of [
    '{"kind":"Status","status":"Success"}',
    '{"metadata":{"namespace":"a"}}',
    '{"metadata":{"name":7}}',
    '{"metadata":"x"}',
    '{"metadata":{}}',
    '{}',
    '[{"metadata":{"name":"x"}}]',
    '',
    'not JSON',
    '{"spec":{"a":"unterminated',
    '{"metadata":{"name":"unterminated',
  ]) {
    assert.equal(peekMetadataName(text), undefined, text);
  }
});

test('peekMetadataName agrees with JSON.parse on generated objects', () => {
  // A small deterministic generator (no Math.random: a failure must be reproducible).
  let seed = 17;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 8) % n;
  const strings = ['', 'name', 'metadata', '{', '}', '[', ']', '"', '\\', ',', ':', 'é', '\u2028', 'a b', '\n'];
  const value = (depth: number): unknown => {
    switch (depth > 3 ? rnd(4) : rnd(7)) {
      case 0:
        return strings[rnd(strings.length)]! + strings[rnd(strings.length)]!;
      case 1:
        return rnd(2000) - 1000 + rnd(10) / 10;
      case 2:
        return [true, false, null][rnd(3)];
      case 3:
        return rnd(2) ? 'plain' : -0.5e-3;
      case 4:
        return Array.from({ length: rnd(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = rnd(5); i > 0; i--) o[strings[rnd(strings.length)]! + i] = value(depth + 1);
        if (rnd(3) === 0) o.name = value(depth + 1);
        return o;
      }
    }
  };
  let named = 0;
  for (let n = 0; n < 500; n++) {
    const obj: Record<string, unknown> = {};
    for (let i = rnd(4); i > 0; i--) obj[`k${i}`] = value(1);
    if (rnd(5)) {
      // Mostly an object with members around a name (a string, mostly), else any value.
      const md: Record<string, unknown> = {};
      for (let i = rnd(3); i > 0; i--) md[`a${i}`] = value(1);
      if (rnd(4)) md.name = rnd(4) ? value(4) : strings[rnd(strings.length)];
      for (let i = rnd(3); i > 0; i--) md[`b${i}`] = value(1);
      obj.metadata = rnd(5) ? md : value(0);
    }
    for (let i = rnd(3); i > 0; i--) obj[`z${i}`] = value(1);
    const text = JSON.stringify(obj, null, rnd(2) ? 0 : 1);
    const metadata = obj.metadata as { name?: unknown } | undefined;
    const want = metadata && typeof metadata === 'object' && !Array.isArray(metadata) && typeof metadata.name === 'string' ? metadata.name : undefined;
    if (want !== undefined) named++;
    assert.equal(peekMetadataName(text), want, text);
  }
  assert.ok(named > 100, `${named} generated objects had a name: the generator must exercise the found case`);
});

test('peekMetadataName: the name is a copy that does not keep the answer it came from alive', () => {
  // A slice of the text would be a V8 sliced string holding the whole text: 200 names peeked
  // from 200 KB answers would keep 40 MB (a controller's event cache keeps such names).
  const { bytes, result: names } = heapGrowth(() =>
    Array.from({ length: 200 }, (_, i) =>
      peekMetadataName(`{"kind":"Pod","metadata":{"name":"web-${i}-7d4f8b9c6d-x2x9q","namespace":"default"},"spec":{"pad":"${'x'.repeat(200_000)}"}}`)!,
    ),
  );
  const grownMb = bytes / 1048576;
  assert.equal(names[7], 'web-7-7d4f8b9c6d-x2x9q');
  assert.ok(grownMb < 10, `200 peeked names keep ${grownMb.toFixed(1)} MB alive`);
});
