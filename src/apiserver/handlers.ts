// The REST verbs on resources and their subresources. Everything kind-specific comes from the
// registry; everything about persistence from RestStorage.
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import { clone, isPlainObject, type KObject } from '../api/object.js';
import { boolParam, optionalBoolParam } from '../api/query.js';
import type { ResourceType } from '../registry/index.js';
import { applyPatch, PatchError, PatchTooLargeError, type PatchType } from '../api/patch/index.js';
import { findDuplicateFields, pruneUnknownFields, strictDecodingMessage, typeErrors, warningsFor, type OutOfRange } from '../api/schema/index.js';
import { invalid as fieldInvalid, required as fieldRequired } from '../api/field-errors.js';
import { ApiError, badRequest, conflict, invalid, methodNotAllowed, notFound } from './errors.js';
import { decodeBody, decodeObject, mediaType, readBody } from './body.js';
import { listObjects, requestFilter, type Item } from './list.js';
import { validateListOptions } from './list-options.js';
import { includeObjectParam } from './negotiate.js';
import { addWarnings, sendJson, sendJsonStream } from './respond.js';
import { tableStream, toTable } from './table.js';
import { serveWatch } from './watch.js';
import { serverSideApply } from './apply.js';
import { admissionOptions, type Ctx } from './ctx.js';
import { writerFor } from './field-manager.js';
import { subresourceRest } from './subresources/index.js';

// Ctx lives in ctx.ts (apply.ts needs it too); re-exported for modules that import it from here.
export type { Ctx };

const PATCH_TYPES = new Set(['application/strategic-merge-patch+json', 'application/merge-patch+json', 'application/json-patch+json']);

function dryRun(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  for (const d of v) if (d !== 'All') throw badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  return v.length > 0;
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? '';
  if (v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`invalid fieldValidation directive: ${v}. Must be one of Ignore, Warn, or Strict`);
}

/**
 * Drops fields the schema doesn't know (upstream's decoding does the same), reporting them as
 * the request's fieldValidation asks: an error (Strict), warnings (Warn), or nothing (Ignore).
 */
function checkFields(ctx: Ctx, obj: Record<string, unknown>, apiVersion: string, kind: string, raw?: string): void {
  const mode = fieldValidation(ctx.q);
  const unknown = pruneUnknownFields(apiVersion, kind, obj);
  const duplicate = raw && mode !== 'Ignore' ? findDuplicateFields(raw) : [];
  const outOfRange: OutOfRange[] = [];
  const types = typeErrors(apiVersion, kind, obj, outOfRange);
  const version = apiVersion.split('/').pop();
  if (types.length) throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${types[0]}`);
  if (outOfRange.length) {
    const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    throw invalid(
      kind,
      group,
      String(meta.name ?? meta.generateName ?? ''),
      outOfRange.map((o) => ({ ...fieldInvalid(o.field, o.value, o.detail), omitValue: o.value === undefined })),
    );
  }
  if (!unknown.length && !duplicate.length) return;
  if (mode === 'Strict') throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${strictDecodingMessage({ unknown, duplicate })}`);
  if (mode === 'Warn') addWarnings(ctx.res, warningsFor({ unknown, duplicate }));
}

async function readObject(ctx: Ctx, expected: { apiVersion: string; kind: string }): Promise<KObject> {
  const raw = await readBody(ctx.req);
  const type = mediaType(ctx.req);
  const value = decodeBody(raw, type);
  const obj = decodeObject(value, expected);
  checkFields(ctx, obj, expected.apiVersion, expected.kind, type === 'application/json' ? raw.toString('utf8') : undefined);
  return obj as KObject;
}

/** Writes one object in the negotiated form (as JSON: the JSON its write made, when there is one). */
function respondObject(ctx: Ctx, code: number, obj: KObject, json?: string): void {
  const { r, output, res } = ctx;
  if (output.kind === 'table') {
    sendJson(res, code, toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, includeObjectParam(ctx.q.get('includeObject'))));
  } else if (output.kind === 'metadata') {
    sendJson(res, code, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
  } else if (json !== undefined && !output.yaml) {
    sendJson(res, code, json);
  } else {
    sendJson(res, code, obj, output.yaml);
  }
}

async function respondList(ctx: Ctx, items: Item[], meta: { resourceVersion: string; continue?: string; remainingItemCount?: number }): Promise<void> {
  const { r, output, res } = ctx;
  if (output.kind === 'table') {
    const table = tableStream(r, items, meta, includeObjectParam(ctx.q.get('includeObject')));
    await sendJsonStream(res, 200, table.head, items.length, table.row, ']}\n');
    return;
  }
  if (output.kind === 'metadata') {
    const head = `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(meta)},"items":[`;
    const element = (i: number) => JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: items[i]!.obj.metadata });
    await sendJsonStream(res, 200, head, items.length, element, ']}\n');
    return;
  }
  if (output.yaml) {
    sendJson(res, 200, { kind: r.listKind, apiVersion: r.apiVersion, metadata: meta, items: items.map((i) => i.obj) }, true);
    return;
  }
  // Items are already serialized (once, in the watch cache): the list is joined, not re-encoded.
  const head = `{"kind":"${r.listKind}","apiVersion":"${r.apiVersion}","metadata":${JSON.stringify(meta)},"items":[`;
  await sendJsonStream(res, 200, head, items.length, (i) => items[i]!.json, ']}\n');
}

export async function handleGet(ctx: Ctx): Promise<void> {
  const { r, storage } = ctx;
  if (!ctx.name) {
    const filter = requestFilter(r, ctx.q);
    if (boolParam(ctx.q, 'watch')) {
      await serveWatch(storage, ctx.req, ctx.res, {
        r,
        namespace: ctx.namespace,
        q: ctx.q,
        filter,
        output: ctx.output.kind,
        includeObject: includeObjectParam(ctx.q.get('includeObject')),
      });
      return;
    }
    const list = await listObjects(storage, r, ctx.namespace, ctx.q, filter);
    const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: list.resourceVersion };
    if (list.continue) meta.continue = list.continue;
    if (list.remainingItemCount !== undefined) meta.remainingItemCount = list.remainingItemCount;
    await respondList(ctx, list.items, meta);
    return;
  }
  const obj = await storage.get(r, ctx.namespace, ctx.name);
  if (!ctx.subresource) return respondObject(ctx, 200, obj);
  const rest = subresourceRest(ctx.subresource);
  if (rest?.view) return sendJson(ctx.res, 200, rest.view.to(obj));
  if (rest?.part?.get) return respondObject(ctx, 200, obj);
  throw notFound(r, ctx.name);
}

export async function handleCreate(ctx: Ctx): Promise<void> {
  const { r, storage, q } = ctx;
  const posted = subresourceRest(ctx.subresource)?.create;
  if (posted) {
    const body = await readObject(ctx, posted.expects);
    const out = await posted.run(storage, r, ctx.namespace!, ctx.name!, body, dryRun(q), ctx);
    sendJson(ctx.res, 201, out ?? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    return;
  }
  if (ctx.name || ctx.subresource) throw methodNotAllowed();
  if (r.namespaced && !ctx.namespace) throw methodNotAllowed();
  const obj = await readObject(ctx, r);
  if (r.namespaced) {
    if (obj.metadata.namespace && obj.metadata.namespace !== ctx.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = ctx.namespace;
  }
  const created = await storage.create(r, obj, { dryRun: dryRun(q), writer: writerFor(ctx), ...admissionOptions(ctx) });
  respondObject(ctx, 201, created.obj, created.json);
}

export async function handleUpdate(ctx: Ctx): Promise<void> {
  const { r, storage, q } = ctx;
  if (!ctx.name) throw methodNotAllowed();
  const sub = ctx.subresource ?? '';
  const rest = subresourceRest(sub);
  const view = rest?.view;
  if (view) {
    const seen = await readObject(ctx, view.kind);
    const { obj } = await storage.update(r, ctx.namespace, ctx.name, (cur) => view.from(cur, seen), {
      dryRun: dryRun(q),
      writer: writerFor(ctx, sub),
      ...admissionOptions(ctx),
      precondition: seen.metadata.resourceVersion || undefined,
    });
    return sendJson(ctx.res, 200, view.to(obj));
  }
  if (sub !== '' && !rest?.part) throw methodNotAllowed();
  const body = await readObject(ctx, r);
  if (body.metadata.name && body.metadata.name !== ctx.name) {
    throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${ctx.name})`);
  }
  if (r.namespaced) {
    if (body.metadata.namespace && body.metadata.namespace !== ctx.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    body.metadata.namespace = ctx.namespace;
  }
  body.metadata.name = ctx.name;
  const precondition = body.metadata.resourceVersion || undefined;
  const { obj, json, created } = await storage.update(
    r,
    ctx.namespace,
    ctx.name,
    // An unconditional update may be retried after a conflict: a fresh copy per attempt. One
    // with a resourceVersion is tried once (its conflict is the client's 409): the body itself.
    { replacement: precondition ? () => body : () => clone(body) },
    {
      dryRun: dryRun(q),
      writer: writerFor(ctx, sub),
      ...admissionOptions(ctx),
      subresource: rest?.part?.scope ?? '',
      allowCreate: body,
      precondition,
    },
  );
  respondObject(ctx, created ? 201 : 200, obj, json);
}

export async function handlePatch(ctx: Ctx): Promise<void> {
  const { r, storage, q } = ctx;
  if (!ctx.name) throw methodNotAllowed();
  const type = mediaType(ctx.req);
  const sub = ctx.subresource ?? '';
  const rest = subresourceRest(sub);
  const view = rest?.view;
  const part = rest?.part?.patch ? rest.part : undefined;
  if (sub !== '' && !view && !part) throw methodNotAllowed();
  if (type === 'application/apply-patch+yaml') {
    const raw = await readBody(ctx.req);
    const result = await serverSideApply(ctx, raw, (obj, apiVersion, kind) => checkFields(ctx, obj, apiVersion, kind));
    if (view) return sendJson(ctx.res, 200, view.to(result.obj));
    return respondObject(ctx, result.created ? 201 : 200, result.obj, result.json);
  }
  if (!PATCH_TYPES.has(type)) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
    );
  }
  const raw = await readBody(ctx.req);
  const patch = decodeBody(raw, 'application/json');
  if (type !== 'application/json-patch+json' && !isPlainObject(patch)) throw badRequest('the patch must be a JSON object');
  const precondition =
    isPlainObject(patch) && isPlainObject(patch.metadata) && typeof patch.metadata.resourceVersion === 'string' ? patch.metadata.resourceVersion : undefined;
  const target = view ? view.kind : r;
  const { obj, json } = await storage.update(
    r,
    ctx.namespace,
    ctx.name,
    (cur) => {
      const seen = view ? view.to(cur) : cur;
      let patched: unknown;
      try {
        patched = applyPatch(type as PatchType, seen, patch, target.kind);
      } catch (e) {
        if (e instanceof PatchTooLargeError) throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${e.message}`);
        if (e instanceof PatchError) throw new ApiError(422, 'Invalid', e.message);
        throw e;
      }
      // A patch that drops the metadata leaves an object without a name: invalid, not a
      // conflict (clients retrying on 409 would retry it forever).
      if (isPlainObject(patched) && !isPlainObject(patched.metadata)) {
        throw invalid(target.kind, view ? view.group : r.group, ctx.name!, [fieldRequired('metadata.name', 'name or generateName is required')]);
      }
      const checked = decodeObject(patched, target) as KObject;
      // A resourceVersion the patch sets is a precondition; one it removes is none.
      if (checked.metadata.resourceVersion === undefined) checked.metadata.resourceVersion = seen.metadata.resourceVersion;
      if (checked.metadata.resourceVersion !== seen.metadata.resourceVersion) throw conflict(r, ctx.name!);
      checkFields(ctx, checked, target.apiVersion, target.kind);
      return view ? view.from(cur, checked) : checked;
    },
    { dryRun: dryRun(q), writer: writerFor(ctx, sub), subresource: part?.scope ?? '', precondition, ...admissionOptions(ctx) },
  );
  if (view) return sendJson(ctx.res, 200, view.to(obj));
  respondObject(ctx, 200, obj, json);
}

async function readDeleteOptions(ctx: Ctx): Promise<DeleteOptions> {
  const raw = await readBody(ctx.req);
  let opts: DeleteOptions = {};
  if (raw.length && raw.toString('utf8').trim()) {
    const v = decodeBody(raw, mediaType(ctx.req) === 'application/yaml' ? 'application/yaml' : 'application/json');
    if (!isPlainObject(v)) throw badRequest('DeleteOptions must be a JSON object');
    opts = v as DeleteOptions;
  }
  const q = ctx.q;
  if (q.has('gracePeriodSeconds')) opts.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.has('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy')!;
  const orphan = optionalBoolParam(q, 'orphanDependents');
  if (orphan !== undefined) opts.orphanDependents = orphan;
  if (opts.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw new ApiError(
      422,
      'Invalid',
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
    );
  }
  if (opts.gracePeriodSeconds !== undefined && !Number.isInteger(opts.gracePeriodSeconds)) throw badRequest('gracePeriodSeconds must be an integer');
  return opts;
}

export async function handleDelete(ctx: Ctx): Promise<void> {
  const { r, storage, q } = ctx;
  const options = await readDeleteOptions(ctx);
  const dry = dryRun(q) || (options.dryRun?.length ?? 0) > 0;
  if (!ctx.name) {
    // deletecollection: everything the selectors match, one by one, as upstream.
    if (!r.verbs.includes('deletecollection')) throw methodNotAllowed();
    validateListOptions(q, false);
    const list = await listObjects(storage, r, ctx.namespace, new URLSearchParams(), requestFilter(r, q));
    const deleted: Item[] = [];
    for (const item of list.items) {
      try {
        const out = await storage.delete(r, item.obj.metadata.namespace, item.obj.metadata.name!, options, { dryRun: dry, ...admissionOptions(ctx) });
        deleted.push({ obj: out.obj, json: out.json ?? JSON.stringify(out.obj) });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    await respondList(ctx, deleted, { resourceVersion: list.resourceVersion });
    return;
  }
  if (ctx.subresource) throw methodNotAllowed();
  const { obj, json, deleted } = await storage.delete(r, ctx.namespace, ctx.name, options, { dryRun: dry, ...admissionOptions(ctx) });
  if (deleted && !r.returnDeletedObject) {
    sendJson(ctx.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: ctx.name, group: r.group || undefined, kind: r.plural, uid: obj.metadata.uid },
    });
    return;
  }
  respondObject(ctx, 200, obj, json);
}
