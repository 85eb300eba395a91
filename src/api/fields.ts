// Field selectors (k8s.io/apimachinery/pkg/fields): `a=b`, `a==b`, `a!=b`, comma separated, with
// backslash escapes for `,`, `=` and `\` in values.

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export class FieldSelectorError extends Error {}

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,='.includes(n)) throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw new FieldSelectorError(`invalid field selector: unescaped ${c} in value`);
    } else {
      out += c;
    }
  }
  return out;
}

export function parseFieldSelector(s: string): FieldRequirement[] {
  if (s.trim() === '') return [];
  return splitUnescaped(s, ',').map((part) => {
    for (const op of ['!=', '==', '='] as const) {
      const i = part.indexOf(op);
      if (i < 0) continue;
      const field = part.slice(0, i).trim();
      if (!field) throw new FieldSelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
      return { field, operator: op === '!=' ? '!=' : '=', value: unescape(part.slice(i + op.length)) };
    }
    throw new FieldSelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
  });
}

/** `get` gives a field's value for the object, undefined when the kind doesn't support the field. */
export function matchesFieldSelector(reqs: FieldRequirement[], get: (field: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = get(r.field) ?? '';
    return r.operator === '=' ? v === r.value : v !== r.value;
  });
}
