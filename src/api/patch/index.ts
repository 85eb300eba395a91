// The three patch formats of PATCH requests. Server-side apply lives in the API server.
import { applyJsonPatch, PatchTooLargeError } from './json-patch.js';
import { PatchError } from './errors.js';
import { jsonMergePatch } from './merge-patch.js';
import { strategicMergePatch } from './strategic.js';

export { PatchError } from './errors.js';
export { PatchTooLargeError } from './json-patch.js';
export { strategicMergePatch } from './strategic.js';
export { jsonMergePatch } from './merge-patch.js';

export type PatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

/** RFC 6902 JSON patch; a failing operation (including `test`) refuses the whole patch. */
export function jsonPatch(original: unknown, patch: unknown): unknown {
  try {
    return applyJsonPatch(original, patch);
  } catch (e) {
    if (e instanceof PatchTooLargeError || !(e instanceof PatchError)) throw e;
    throw new PatchError(`the server rejected our request due to an error in our request: ${e.message}`);
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
