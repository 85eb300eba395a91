// Label selectors with upstream's string syntax (k8s.io/apimachinery/pkg/labels):
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma separated.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { isQualifiedName, isLabelValue } from './names.js';

export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export class SelectorError extends Error {}

export class Selector {
  readonly requirements: Requirement[];
  // Upstream keeps requirements sorted by key, which fixes the string form.
  constructor(requirements: Requirement[]) {
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | undefined | null): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** A selector that matches nothing (upstream labels.Nothing()), e.g. for a nil LabelSelector. */
export const NOTHING: Selector = new (class extends Selector {
  override matches(): boolean {
    return false;
  }
})([]);

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(v!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(v!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = BigInt(v!);
      const bound = BigInt(r.values[0]!);
      return r.operator === 'gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

function checkKey(key: string): void {
  const err = isQualifiedName(key);
  if (err.length) throw new SelectorError(`key: Invalid value: ${JSON.stringify(key)}: ${err.join('; ')}`);
}

function checkValue(v: string): void {
  const err = isLabelValue(v);
  if (err.length) throw new SelectorError(`values[0]: Invalid value: ${JSON.stringify(v)}: ${err.join('; ')}`);
}

type Token = { kind: 'id' | 'op' | '(' | ')' | ',' | '!'; text: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, text: c });
      i++;
    } else if (s.startsWith('==', i) || s.startsWith('!=', i)) {
      out.push({ kind: 'op', text: s.slice(i, i + 2) });
      i += 2;
    } else if (c === '=' || c === '>' || c === '<') {
      out.push({ kind: 'op', text: c });
      i++;
    } else if (c === '!') {
      out.push({ kind: '!', text: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s(),=!<>]/.test(s[j]!)) j++;
      out.push({ kind: 'id', text: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

/** Parses a selector string as a list or watch request gives it. An empty string selects everything. */
export function parseSelector(s: string): Selector {
  const toks = tokenize(s);
  const reqs: Requirement[] = [];
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  while (p < toks.length) {
    let t = next()!;
    if (t.kind === '!') {
      const k = next();
      if (!k || k.kind !== 'id') throw new SelectorError(`found '${k?.text ?? ''}', expected: identifier after '!'`);
      checkKey(k.text);
      reqs.push({ key: k.text, operator: '!', values: [] });
    } else if (t.kind === 'id') {
      const key = t.text;
      checkKey(key);
      const o = peek();
      if (!o || o.kind === ',') {
        reqs.push({ key, operator: 'exists', values: [] });
      } else if (o.kind === 'op') {
        p++;
        const v = peek()?.kind === 'id' ? next()!.text : '';
        if (o.text === '>' || o.text === '<') {
          if (!/^-?\d+$/.test(v)) throw new SelectorError(`for 'Gt', 'Lt' operators, the value must be an integer`);
          reqs.push({ key, operator: o.text === '>' ? 'gt' : 'lt', values: [v] });
        } else {
          checkValue(v);
          reqs.push({ key, operator: o.text as Operator, values: [v] });
        }
      } else if (o.kind === 'id' && (o.text === 'in' || o.text === 'notin')) {
        p++;
        if (next()?.kind !== '(') throw new SelectorError(`found '${toks[p - 1]?.text ?? ''}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          t = next()!;
          if (!t) throw new SelectorError(`found '', expected: ')'`);
          if (t.kind === ')') break;
          if (t.kind === ',') {
            if (values.length === 0 || toks[p - 2]?.kind === ',') values.push('');
            continue;
          }
          if (t.kind !== 'id') throw new SelectorError(`found '${t.text}', expected: ',', ')' or identifier`);
          checkValue(t.text);
          values.push(t.text);
        }
        if (toks[p - 2]?.kind === ',') values.push('');
        reqs.push({ key, operator: o.text, values: values.length ? values : [] });
        if (!values.length) throw new SelectorError(`for 'in', 'notin' operators, values set can't be empty`);
      } else {
        throw new SelectorError(`found '${o.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    }
    const sep = next();
    if (sep && sep.kind !== ',') throw new SelectorError(`found '${sep.text}', expected: ',' or 'end of string'`);
    if (sep && p >= toks.length) throw new SelectorError(`found '', expected: identifier after ','`);
  }
  return new Selector(reqs);
}

/** Equality selector for a label set (upstream labels.SelectorFromSet). */
export function selectorFromSet(set: Record<string, string> | undefined): Selector {
  return new Selector(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=', values: [v] })));
}

/**
 * The selector a metav1.LabelSelector stands for (upstream LabelSelectorAsSelector): a missing
 * selector matches nothing, an empty one everything.
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (!ls) return NOTHING;
  const reqs: Requirement[] = Object.entries(ls.matchLabels ?? {}).map(([key, v]) => ({ key, operator: '=', values: [v] }));
  for (const e of ls.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, operator: 'in', values });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, operator: 'notin', values });
        break;
      case 'Exists':
        reqs.push({ key: e.key, operator: 'exists', values: [] });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, operator: '!', values: [] });
        break;
      default:
        throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    }
  }
  return new Selector(reqs);
}

/** The string form of a LabelSelector, as Scale.status.selector and kubectl print it. */
export function labelSelectorAsString(ls: LabelSelector): string {
  return selectorFromLabelSelector(ls).toString();
}
