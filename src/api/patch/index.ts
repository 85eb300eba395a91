// The three patch formats of PATCH requests. Server-side apply lives in the API server.
import jsonpatch, { type Operation } from 'fast-json-patch';
import { clone, isPlainObject } from '../object.js';
import { PatchError } from './errors.js';
import { strategicMergePatch } from './strategic.js';

export { PatchError } from './errors.js';
export { strategicMergePatch } from './strategic.js';

export type PatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

/** RFC 7386 JSON merge patch. */
export function jsonMergePatch(original: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isPlainObject(original) ? clone(original) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch; a failing operation (including `test`) refuses the whole patch. */
export function jsonPatch(original: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be a JSON array of operations');
  try {
    return jsonpatch.applyPatch(clone(original), patch as Operation[], true, false).newDocument;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    throw new PatchError(`the server rejected our request due to an error in our request: ${(err.message ?? String(e)).split('\n')[0]}`);
  }
}

export function applyPatch(type: PatchType, original: unknown, patch: unknown, kind: string): unknown {
  switch (type) {
    case 'application/json-patch+json':
      return jsonPatch(original, patch);
    case 'application/merge-patch+json':
      return jsonMergePatch(original, patch);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(original, patch, kind);
  }
}
