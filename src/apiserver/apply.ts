// Server-side apply (PATCH application/apply-patch+yaml): creates the object when absent,
// otherwise merges the applied configuration into the live object per the schema, removes the
// fields the manager stopped applying and refuses to take fields other managers own (409)
// unless force=true. Field ownership is recorded in metadata.managedFields (operation Apply).
import { clone, isPlainObject, type KObject } from '../api/object.js';
import { applyOn, ApplyConflictError, TypedError, type Writer } from '../api/managedfields/index.js';
import { ApiError, badRequest } from './errors.js';
import { decodeBody, decodeObject } from './body.js';
import { admissionOptions, type Ctx } from './ctx.js';
import { applyConflict, checkManagerName } from './field-manager.js';
import { nowRfc3339, type Written } from './rest-storage.js';
import { SCALE_KIND } from './subresources/index.js';

/**
 * The applied configuration as a configuration of the whole object: status only for the status
 * subresource, spec.replicas for scale, everything but status for the main resource.
 */
function asObjectConfiguration(ctx: Ctx, applied: KObject): KObject {
  const { r } = ctx;
  const base: KObject = { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: ctx.name } };
  if (r.namespaced) base.metadata.namespace = ctx.namespace;
  switch (ctx.subresource ?? '') {
    case 'status':
      if (applied.status !== undefined) base.status = applied.status;
      return base;
    case 'scale': {
      const replicas = isPlainObject(applied.spec) ? applied.spec.replicas : undefined;
      if (replicas !== undefined) base.spec = { replicas };
      return base;
    }
    default: {
      const config: KObject = { ...applied, apiVersion: r.apiVersion, kind: r.kind };
      // Status is the system's to write on the main resource (nodes report their own on create).
      if (r.hasStatus && !r.strategy.keepsStatusOnCreate) delete config.status;
      return config;
    }
  }
}

export async function serverSideApply(
  ctx: Ctx,
  raw: Buffer,
  checkFields: (obj: Record<string, unknown>, apiVersion: string, kind: string) => void,
): Promise<Written & { created: boolean }> {
  const { r, storage, q } = ctx;
  const manager = q.get('fieldManager');
  if (!manager) {
    throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`);
  }
  checkManagerName(manager);
  const sub = ctx.subresource ?? '';
  const expected = sub === 'scale' ? SCALE_KIND : r;
  const applied = decodeObject(decodeBody(raw, 'application/apply-patch+yaml'), expected) as KObject;
  if (!applied.apiVersion || !applied.kind) throw badRequest('apiVersion and kind must be set in an applied configuration');
  if (applied.metadata.name && applied.metadata.name !== ctx.name) {
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${ctx.name})`);
  }
  if (applied.metadata.managedFields?.length) throw badRequest('metadata.managedFields must be nil');
  checkFields(applied, expected.apiVersion, expected.kind);
  delete applied.metadata.resourceVersion;
  delete applied.metadata.managedFields;
  const config = asObjectConfiguration(ctx, applied);
  const writer: Writer = { manager, apiVersion: r.apiVersion, subresource: sub || undefined };
  const force = q.get('force') === 'true';
  const apply = (live: KObject) => {
    try {
      return applyOn(live, config, writer, force, nowRfc3339());
    } catch (e) {
      if (e instanceof ApplyConflictError) throw applyConflict(e);
      if (e instanceof TypedError)
        throw new ApiError(422, 'Invalid', `failed to create typed patch object (${r.group ? r.group + '/' : ''}${r.version}, Kind=${r.kind}): ${e.message}`);
      throw e;
    }
  };
  const dryRun = q.getAll('dryRun').includes('All');
  try {
    return await storage.update(r, ctx.namespace, ctx.name!, (cur) => apply(cur), {
      dryRun,
      subresource: sub === 'status' ? 'status' : '',
      ...admissionOptions(ctx),
    });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
    // Only the main resource is created by an apply; a subresource needs its object.
    if (sub) throw e;
  }
  const obj = apply({ metadata: {} } as KObject);
  obj.metadata.name = ctx.name;
  if (r.namespaced) obj.metadata.namespace = ctx.namespace;
  return { ...(await storage.create(r, clone(obj), { dryRun, ...admissionOptions(ctx) })), created: true };
}
