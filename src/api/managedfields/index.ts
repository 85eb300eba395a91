// metadata.managedFields of whole objects: which entries a write starts from, and writing the
// result back. The field-level work is in managers.ts and typed.ts.
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { deepEqual, isPlainObject, type KObject } from '../object.js';
import { applyConfiguration, ApplyConflictError, decodeManagedFields, encodeManagedFields, recordUpdate, type Managers, type Writer } from './managers.js';
import { rootType, type TypeNode } from './schema.js';
import { compare, createdFieldsV1, isSame, toFieldSet, TypedError, type Comparison } from './typed.js';
import type { FieldSet } from './fieldset.js';

export { ApplyConflictError, type Conflict, type Writer } from './managers.js';
export { pathString } from './fieldset.js';
export { TypedError } from './typed.js';

const STATUS: ReadonlySet<string> = new Set(['status']);
const NOT_STATUS: ReadonlySet<string> = new Set(['spec', 'metadata']);

/** `[{}]`: how a client asks for managedFields to be dropped altogether (upstream's reset). */
function isReset(entries: unknown): boolean {
  return Array.isArray(entries) && entries.length === 1 && isPlainObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

/** The stored object's own entries (read lazily); none when they can't be read. */
function decodeOrEmpty(entries: unknown): Managers {
  try {
    return decodeManagedFields(entries, true);
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
  const t = rootType(next.apiVersion ?? '', next.kind ?? '');
  // As upstream's reset fields: a write to the main resource owns no status (what the server
  // sets there on create, such as a pod's phase, is nobody's), a status write only status.
  const ignored = writer.subresource === 'status' ? NOT_STATUS : writer.subresource ? undefined : STATUS;
  let c: Comparison;
  try {
    // Creates are the hot path: the writer owns every field, nobody else owns anything.
    if (!live && !incoming?.length) {
      const fields = createdFieldsV1(t, next, ignored);
      if (Object.keys(fields).length) {
        next.metadata.managedFields = [
          {
            manager: writer.manager,
            operation: 'Update',
            apiVersion: writer.apiVersion,
            time: now,
            fieldsType: 'FieldsV1',
            fieldsV1: fields,
            ...(writer.subresource ? { subresource: writer.subresource } : {}),
          },
        ];
      } else delete next.metadata.managedFields;
      return;
    }
    c = compare(t, live ?? {}, next, ignored);
  } catch (e) {
    // An object the schema can't place (a keyed list item without its key): ownership can't
    // be tracked for this write; the object itself is validation's business.
    if (!(e instanceof TypedError)) throw e;
    c = { added: new Set(), modified: new Set(), removed: new Set() };
  }
  const liveEntries = live?.metadata.managedFields;
  let source: unknown = liveEntries;
  let managers: Managers | undefined;
  // Entries a client changed (or sent on create); a patch or an update that carries the stored
  // ones unchanged is the common case and reads them as the stored ones.
  if (Array.isArray(incoming) && incoming.length && !writer.subresource && !deepEqual(incoming, liveEntries)) {
    try {
      managers = decodeManagedFields(incoming);
      source = incoming;
    } catch {
      // Unreadable entries from a client: keep the live ones, as upstream does.
    }
  }
  if (!managers && isSame(c)) {
    // Nothing changed: the entries stay as they are, without being read.
    write(next, liveEntries);
    return;
  }
  managers ??= decodeOrEmpty(liveEntries);
  const out = recordUpdate(c, managers, writer, now);
  write(next, out === managers ? (source as ManagedFieldsEntry[] | undefined) : encodeManagedFields(out));
}

/**
 * Applies a configuration to `live` (an empty object when creating) for `writer`; returns the
 * object to store, its managedFields set. Throws ApplyConflictError or TypedError.
 */
export function applyOn(live: KObject, config: KObject, writer: Writer, force: boolean, now: string): KObject {
  const t = rootType(config.apiVersion ?? '', config.kind ?? '');
  const managers = decodeOrEmpty(live.metadata?.managedFields);
  let result: { obj: unknown; managers: Managers };
  try {
    result = applyConfiguration(t, live, config, managers, writer, force, now);
  } catch (e) {
    if (!(e instanceof ApplyConflictError)) throw e;
    const allowed = clientSideApplied(t, live, writer);
    if (!allowed) throw e;
    const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length) throw new ApplyConflictError(remaining);
    result = applyConfiguration(t, live, config, managers, writer, true, now);
  }
  const obj = result.obj as KObject;
  obj.metadata = { ...obj.metadata };
  write(obj, encodeManagedFields(result.managers));
  return obj;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Upstream's move from client-side to server-side apply: kubectl's server-side apply may take
 * the fields its client-side applies set (those of the last-applied annotation) from whoever
 * owns them now; the other conflicts still stand. Undefined when there is no such pass.
 */
function clientSideApplied(t: TypeNode, live: KObject, writer: Writer): FieldSet | undefined {
  if (writer.manager !== 'kubectl' || writer.subresource) return undefined;
  const annotation = live.metadata?.annotations?.[LAST_APPLIED];
  if (!annotation) return undefined;
  try {
    return toFieldSet(t, JSON.parse(annotation));
  } catch {
    return undefined;
  }
}
