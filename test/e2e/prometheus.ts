// Reading /metrics in tests: a strict parser of Prometheus's text exposition format and a
// lookup of a metric's value by labels.
import assert from 'node:assert/strict';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format strictly: every sample belongs to a family
 * announced by HELP and TYPE, label values are quoted, values are numbers. Throws otherwise.
 */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        assert.match(m[3]!, /^(counter|gauge|histogram|summary|untyped)$/, line);
        types.set(m[2]!, m[3]!);
      } else helps.add(m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let lm; (lm = labelRe.exec(body)); consumed = labelRe.lastIndex) labels[lm[1]!] = lm[2]!;
    assert.equal(consumed, body.length, `malformed labels: ${line}`);
    const value = Number(m[3]);
    assert.ok(!Number.isNaN(value) || m[3] === 'NaN', `not a number: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    const name = types.has(m[1]!) ? m[1]! : family;
    assert.ok(types.has(name), `sample without TYPE: ${line}`);
    assert.ok(helps.has(name), `sample without HELP: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

/** The sum of the samples of one name whose labels include all of `match`. */
export function value(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const x of samples) if (x.name === name && Object.entries(match).every(([k, v]) => x.labels[k] === v)) sum += x.value;
  return sum;
}
