// Server-side apply (PATCH application/apply-patch+yaml): creates the object when absent,
// otherwise merges the applied configuration into the live object, and records the applier's
// fields in metadata.managedFields (FieldsV1).
//
// Not yet upstream's full semantics: fields a manager stops applying are not removed, and
// conflicts between managers are not detected (force is accepted and ignored).
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { clone, isPlainObject, type KObject } from '../api/object.js';
import { strategicMergePatch } from '../api/patch/index.js';
import { strategyAt } from '../api/patch/merge-keys.js';
import { ApiError, badRequest } from './errors.js';
import { decodeBody, decodeObject } from './body.js';
import type { Ctx } from './handlers.js';
import { nowRfc3339 } from './rest-storage.js';

type FieldSet = Record<string, unknown>;

/** The FieldsV1 set of an applied configuration: f:<field>, k:{<merge key>} and v:<value>. */
export function fieldSet(kind: string, value: unknown, path: string[] = []): FieldSet {
  const out: FieldSet = {};
  if (!isPlainObject(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (path.length === 0 && (k === 'apiVersion' || k === 'kind')) continue;
    if (path.length === 1 && path[0] === 'metadata' && (k === 'name' || k === 'namespace')) continue;
    const p = [...path, k];
    if (Array.isArray(v)) {
      const { mergeKey, strategy } = strategyAt(kind, p);
      const set: FieldSet = {};
      if (mergeKey) {
        for (const item of v) {
          if (!isPlainObject(item) || item[mergeKey] === undefined) continue;
          set[`k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`] = { '.': {}, ...fieldSet(kind, item, p) };
        }
      } else if (strategy?.includes('merge')) {
        for (const item of v) set[`v:${JSON.stringify(item)}`] = {};
      }
      out[`f:${k}`] = set;
    } else if (isPlainObject(v)) {
      const inner = fieldSet(kind, v, p);
      // metadata holding only name and namespace owns nothing (they identify, not configure).
      if (path.length === 0 && k === 'metadata' && !Object.keys(inner).length) continue;
      out[`f:${k}`] = Object.keys(inner).length ? inner : {};
    } else {
      out[`f:${k}`] = {};
    }
  }
  return out;
}

export async function serverSideApply(
  ctx: Ctx,
  raw: Buffer,
  checkFields: (obj: Record<string, unknown>, apiVersion: string, kind: string) => void,
): Promise<{ obj: KObject; created: boolean }> {
  const { r, storage, q } = ctx;
  const manager = q.get('fieldManager');
  if (!manager) {
    throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`);
  }
  const applied = decodeObject(decodeBody(raw, 'application/apply-patch+yaml'), r) as KObject;
  if (!applied.apiVersion || !applied.kind) throw badRequest('apiVersion and kind must be set in an applied configuration');
  if (applied.metadata.name && applied.metadata.name !== ctx.name) {
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${ctx.name})`);
  }
  checkFields(applied, r.apiVersion, r.kind);
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion: r.apiVersion,
    time: nowRfc3339(),
    fieldsType: 'FieldsV1',
    fieldsV1: fieldSet(r.kind, applied),
  };
  const withEntry = (obj: KObject) => {
    const mine = (m: ManagedFieldsEntry) => m.manager === manager && m.operation === 'Apply';
    const previous = obj.metadata.managedFields?.find(mine);
    // An unchanged field set keeps its entry (and time), so re-applying is a no-op write.
    if (previous && JSON.stringify(previous.fieldsV1) === JSON.stringify(entry.fieldsV1)) return obj;
    obj.metadata.managedFields = [...(obj.metadata.managedFields ?? []).filter((m) => !mine(m)), entry];
    return obj;
  };
  const dryRun = q.getAll('dryRun').includes('All');
  try {
    return await storage.update(
      r,
      ctx.namespace,
      ctx.name!,
      (cur) => {
        const patch = clone(applied) as Record<string, unknown>;
        delete (patch.metadata as Record<string, unknown>).resourceVersion;
        const merged = strategicMergePatch(cur, patch, r.kind) as KObject;
        return withEntry(merged);
      },
      { dryRun },
    );
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
  const obj = withEntry(clone(applied));
  obj.metadata.name = ctx.name;
  if (r.namespaced) obj.metadata.namespace = ctx.namespace;
  return { obj: await storage.create(r, obj, { dryRun }), created: true };
}
