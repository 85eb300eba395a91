// RFC 6902 JSON patch under upstream's limits: at most 10 000 operations (413 past that, as
// kube-apiserver's patch handler answers) and at most 3 MiB added by `copy` operations (the
// apiserver's JSONPatchMaxCopyBytes), so a small patch cannot double a value into gigabytes.
import { isPlainObject } from '../object.js';
import { PatchError } from './errors.js';
import { copyJson, jsonEqual, jsonSize } from '../json-value.js';

export const MAX_JSON_PATCH_OPERATIONS = 10_000;
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

/** A patch with more operations than upstream accepts: the API answers 413. */
export class PatchTooLargeError extends PatchError {}

type Container = Record<string, unknown> | unknown[];

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`JSON pointer must be empty or start with a "/": ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The index a token names in an array; `-` (one past the end) only where `allowEnd`. */
function arrayIndex(arr: unknown[], token: string, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid index referenced: ${path}`);
  const i = Number(token);
  if (i > arr.length || (!allowEnd && i === arr.length)) throw new PatchError(`invalid index referenced: ${path}`);
  return i;
}

/** The container holding the last token of `path`, and that token. */
function parentOf(doc: unknown, path: string, op: string): [Container, string] {
  const tokens = decodePointer(path);
  const last = tokens.pop()!;
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = /^(0|[1-9][0-9]*)$/.test(t) ? cur[Number(t)] : undefined;
    else if (isPlainObject(cur)) cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
    else cur = undefined;
    if (cur === undefined) break;
  }
  if (typeof cur !== 'object' || cur === null)
    throw new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return [cur as Container, last];
}

function get(doc: unknown, path: string, op: string): unknown {
  if (path === '') return doc;
  const [parent, key] = parentOf(doc, path, op);
  const v = Array.isArray(parent) ? parent[arrayIndex(parent, key, false, path)] : Object.hasOwn(parent, key) ? parent[key] : undefined;
  if (v === undefined) throw new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return v;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const [parent, key] = parentOf(doc, path, 'add');
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, path: string, op = 'remove'): unknown {
  if (path === '') throw new PatchError(`${op} operation does not apply: cannot remove the whole document`);
  const [parent, key] = parentOf(doc, path, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, path), 1)[0];
  if (!Object.hasOwn(parent, key)) throw new PatchError(`Unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function asOperation(raw: unknown, i: number): Operation {
  if (!isPlainObject(raw)) throw new PatchError(`json patch operation ${i} must be a JSON object`);
  const { op, path, from } = raw;
  if (typeof op !== 'string') throw new PatchError(`json patch operation ${i}: op must be a string`);
  if (typeof path !== 'string') throw new PatchError(`json patch operation ${i}: path must be a string`);
  if ((op === 'move' || op === 'copy') && typeof from !== 'string') throw new PatchError(`json patch operation ${i}: from must be a string`);
  if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) throw new PatchError(`json patch operation ${i}: value is required`);
  return { op, path, from: from as string | undefined, value: raw.value };
}

/**
 * Applies the operations to a copy of `original`; any failing operation (including `test`)
 * refuses the whole patch. The patch array is checked for size before anything is applied.
 */
export function applyJsonPatch(original: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be a JSON array of operations');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchTooLargeError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  let doc = copyJson(original);
  let copied = 0;
  patch.forEach((raw, i) => {
    const o = asOperation(raw, i);
    switch (o.op) {
      case 'add':
        doc = add(doc, o.path, copyJson(o.value));
        break;
      case 'remove':
        remove(doc, o.path);
        break;
      case 'replace':
        get(doc, o.path, 'replace');
        if (o.path === '') doc = copyJson(o.value);
        else {
          remove(doc, o.path, 'replace');
          doc = add(doc, o.path, copyJson(o.value));
        }
        break;
      case 'move': {
        if (o.path === o.from) break;
        if (o.path.startsWith(o.from! + '/'))
          throw new PatchError(`move operation does not apply: cannot move ${JSON.stringify(o.from)} into its own child ${JSON.stringify(o.path)}`);
        const v = o.from === '' ? doc : remove(doc, o.from!, 'move');
        doc = add(doc, o.path, v);
        break;
      }
      case 'copy': {
        const v = get(doc, o.from!, 'copy');
        copied += jsonSize(v);
        if (copied > MAX_JSON_PATCH_COPY_BYTES) {
          throw new PatchError(
            `Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`,
          );
        }
        doc = add(doc, o.path, copyJson(v));
        break;
      }
      case 'test':
        if (!jsonEqual(get(doc, o.path, 'test'), o.value)) throw new PatchError(`testing value ${o.path} failed: test failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`);
    }
  });
  return doc;
}
