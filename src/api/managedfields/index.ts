// metadata.managedFields of whole objects: which entries a write starts from, and writing the
// result back. The field-level work is in managers.ts and typed.ts.
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { isPlainObject, type KObject } from '../object.js';
import { applyConfiguration, decodeManagedFields, encodeManagedFields, recordUpdate, type Managers, type Writer } from './managers.js';
import { rootType } from './schema.js';
import { TypedError } from './typed.js';

export { ApplyConflictError, type Conflict, type Writer } from './managers.js';
export { pathString } from './fieldset.js';
export { TypedError } from './typed.js';

/** `[{}]`: how a client asks for managedFields to be dropped altogether (upstream's reset). */
function isReset(entries: unknown): boolean {
  return Array.isArray(entries) && entries.length === 1 && isPlainObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

function decodeOrEmpty(entries: unknown): Managers {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

function write(obj: KObject, entries: ManagedFieldsEntry[] | undefined): void {
  if (entries?.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

/**
 * Records an Update by `writer` on `next` (the object about to be stored; `live` is what is
 * stored now, undefined on create). As upstream, the managedFields a client sends are taken
 * when it sends some (so they can be edited), those of the live object otherwise.
 */
export function recordUpdateOn(live: KObject | undefined, next: KObject, writer: Writer, now: string): void {
  const incoming = next.metadata.managedFields;
  if (isReset(incoming)) {
    delete next.metadata.managedFields;
    return;
  }
  const liveEntries = live?.metadata.managedFields;
  let source: unknown = liveEntries;
  let managers: Managers | undefined;
  if (Array.isArray(incoming) && incoming.length && !writer.subresource) {
    try {
      managers = decodeManagedFields(incoming);
      source = incoming;
    } catch {
      // Unreadable entries from a client: keep the live ones, as upstream does.
    }
  }
  managers ??= decodeOrEmpty(liveEntries);
  let out: Managers;
  try {
    out = recordUpdate(rootType(next.apiVersion ?? '', next.kind ?? ''), live ?? {}, next, managers, writer, now);
  } catch (e) {
    // An object the schema can't place (a keyed list item without its key): ownership can't
    // be tracked for this write; the object itself is validation's business.
    if (!(e instanceof TypedError)) throw e;
    out = managers;
  }
  write(next, out === managers ? (source as ManagedFieldsEntry[] | undefined) : encodeManagedFields(out));
}

/**
 * Applies a configuration to `live` (an empty object when creating) for `writer`; returns the
 * object to store, its managedFields set. Throws ApplyConflictError or TypedError.
 */
export function applyOn(live: KObject, config: KObject, writer: Writer, force: boolean, now: string): KObject {
  const managers = decodeOrEmpty(live.metadata?.managedFields);
  const { obj, managers: out } = applyConfiguration(rootType(config.apiVersion ?? '', config.kind ?? ''), live, config, managers, writer, force, now);
  const result = obj as KObject;
  result.metadata = { ...result.metadata };
  write(result, encodeManagedFields(out));
  return result;
}
