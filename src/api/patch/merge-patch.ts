import { clone, isPlainObject } from '../object.js';
import { copyJson } from '../json-value.js';

/** RFC 7386 JSON merge patch, walked with an explicit stack (patches may nest 10 000 deep). */
export function jsonMergePatch(original: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return copyJson(patch);
  const out: Record<string, unknown> = isPlainObject(original) ? clone(original) : {};
  const stack: Array<[Record<string, unknown>, Record<string, unknown>]> = [[out, patch]];
  while (stack.length) {
    const [target, p] = stack.pop()!;
    for (const [k, v] of Object.entries(p)) {
      if (v === null) delete target[k];
      else if (isPlainObject(v)) {
        if (!isPlainObject(target[k])) target[k] = {};
        stack.push([target[k] as Record<string, unknown>, v]);
      } else target[k] = copyJson(v);
    }
  }
  return out;
}
