// The structural schema of the served kinds (generated from kubernetes-types by
// scripts/gen-schema.ts): decoding checks as upstream's (unknown and duplicate fields, JSON type
// mismatches, canonical quantities) and the OpenAPI v3 documents kubectl reads.
import { createHash } from 'node:crypto';
import generated from './generated.json' with { type: 'json' };
import { isPlainObject } from '../object.js';
import { exceedsDepth } from '../json-value.js';
import { Quantity, QuantityRangeError } from '../quantity.js';
import { fieldStrategies, type ListStrategy } from '../patch/merge-keys.js';

const MAX_FREE_FORM_DEPTH = 512;

export type T = string | { ref: string } | { array: T } | { map: T };
interface TypeDef {
  description: string;
  properties: Record<string, { type: T; description: string }>;
  required: string[];
}

const types = generated.types as unknown as Record<string, TypeDef>;

/** `apps/v1` + `Deployment` -> `apps/v1.Deployment` (the module layout of kubernetes-types). */
function rootId(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const id = `${group!.split('.')[0] || 'core'}/${version}.${kind}`;
  return id in types ? id : undefined;
}

const pathJoin = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Removes fields the schema doesn't know and null values (upstream's decoder drops both), and
 * puts quantities in canonical form. Returns the paths of the unknown fields, as upstream names them.
 */
export function pruneUnknownFields(apiVersion: string, kind: string, obj: Record<string, unknown>): string[] {
  const id = rootId(apiVersion, kind);
  const unknown: string[] = [];
  if (id) pruneObject(id, obj, '', unknown);
  return unknown;
}

function pruneObject(id: string, obj: Record<string, unknown>, path: string, unknown: string[]): void {
  const def = types[id]!;
  for (const [k, v] of Object.entries(obj)) {
    const prop = def.properties[k];
    if (!prop) {
      unknown.push(pathJoin(path, k));
      delete obj[k];
    } else if (v === null) {
      delete obj[k];
    } else {
      const nv = pruneValue(prop.type, v, pathJoin(path, k), unknown);
      if (nv !== v) obj[k] = nv;
    }
  }
}

function pruneValue(t: T, v: unknown, path: string, unknown: string[]): unknown {
  if (t === 'quantity') {
    const q = typeof v === 'string' || typeof v === 'number' ? Quantity.tryParse(String(v)) : undefined;
    return q ? q.toString() : v;
  }
  if (typeof t === 'string') return v;
  if ('ref' in t) {
    if (isPlainObject(v)) pruneObject(t.ref, v, path, unknown);
  } else if ('array' in t) {
    if (Array.isArray(v)) v.forEach((x, i) => (v[i] = x === null ? x : pruneValue(t.array, x, `${path}[${i}]`, unknown)));
  } else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) if (x !== null) v[k] = pruneValue(t.map, x, pathJoin(path, k), unknown);
  }
  return v;
}

const jsonType = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);

function goType(t: T): string {
  if (typeof t === 'string') {
    return { string: 'string', number: 'int64', boolean: 'bool', time: 'v1.Time', quantity: 'resource.Quantity', 'int-or-string': 'intstr.IntOrString', any: 'interface {}' }[t] ?? t;
  }
  if ('ref' in t) return 'v1.' + t.ref.slice(t.ref.lastIndexOf('.') + 1);
  if ('array' in t) return '[]' + goType(t.array);
  return 'map[string]' + goType(t.map);
}

/** A value that decodes but cannot be held (a quantity beyond int64, a free-form value nested too deep): a 422. */
export interface OutOfRange {
  field: string;
  /** The value as given, when short enough to repeat in the message. */
  value?: string;
  detail: string;
}

/**
 * JSON type mismatches, worded as upstream's decoder words them. Values that decode but are out
 * of range go to `outOfRange` when given (they are a validation error, not a decoding one).
 */
export function typeErrors(apiVersion: string, kind: string, obj: Record<string, unknown>, outOfRange: OutOfRange[] = []): string[] {
  const id = rootId(apiVersion, kind);
  const sink: Sink = { errors: [], outOfRange };
  if (id) checkObject(id, obj, '', sink);
  return sink.errors;
}

interface Sink {
  errors: string[];
  outOfRange: OutOfRange[];
}

function checkObject(id: string, obj: Record<string, unknown>, path: string, sink: Sink): void {
  const def = types[id]!;
  const typeName = id.slice(id.lastIndexOf('.') + 1);
  for (const [k, v] of Object.entries(obj)) {
    const prop = def.properties[k];
    if (prop && v !== null) checkValue(prop.type, v, pathJoin(path, k), typeName, sink);
    if (BYTES_FIELDS[id]?.includes(k) && isPlainObject(v)) {
      for (const x of Object.values(v)) {
        const at = typeof x === 'string' ? base64ErrorAt(x) : undefined;
        if (at !== undefined) sink.errors.push(`illegal base64 data at input byte ${at}`);
      }
    }
  }
}

/** Maps of []byte in Go, base64 strings in JSON: upstream's decoder refuses anything else. */
const BYTES_FIELDS: Record<string, string[]> = { 'core/v1.Secret': ['data'], 'core/v1.ConfigMap': ['binaryData'] };

/** Where strict, padded base64 (Go's StdEncoding, which skips newlines) goes wrong, if it does. */
export function base64ErrorAt(s: string): number | undefined {
  const text = s.replace(/[\r\n]/g, '');
  const body = text.replace(/={1,2}$/, '');
  const bad = /[^A-Za-z0-9+/]/.exec(body);
  if (bad) return bad.index;
  if (text.length % 4 !== 0 || (text.length - body.length > 0 && body.length % 4 < 2)) return Math.floor(body.length / 4) * 4;
  return undefined;
}

function checkValue(t: T, v: unknown, path: string, owner: string, sink: Sink): void {
  const mismatch = () => sink.errors.push(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${owner}.${path} of type ${goType(t)}`);
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
      case 'time':
        if (typeof v !== 'string') mismatch();
        return;
      case 'number':
        if (typeof v !== 'number') mismatch();
        else if (!Number.isInteger(v)) sink.errors.push(`json: cannot unmarshal number ${v} into Go struct field ${owner}.${path} of type int64`);
        return;
      case 'boolean':
        if (typeof v !== 'boolean') mismatch();
        return;
      case 'int-or-string':
        if (typeof v !== 'string' && typeof v !== 'number') mismatch();
        return;
      case 'quantity':
        if (typeof v !== 'string' && typeof v !== 'number') mismatch();
        else {
          try {
            Quantity.parse(String(v));
          } catch (e) {
            if (e instanceof QuantityRangeError) sink.outOfRange.push({ field: path, value: String(v), detail: e.message });
            else sink.errors.push(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
          }
        }
        return;
      case 'any':
        // Free-form values are stored as given; past this depth encoding them would overflow
        // the stack (no real field set nests anywhere near it: the schema is far shallower).
        if (exceedsDepth(v, MAX_FREE_FORM_DEPTH)) sink.outOfRange.push({ field: path, detail: `must not be nested more than ${MAX_FREE_FORM_DEPTH} levels deep` });
        return;
      default:
        return;
    }
  }
  if ('ref' in t) {
    if (!isPlainObject(v)) return void mismatch();
    checkObject(t.ref, v, path, sink);
  } else if ('array' in t) {
    if (!Array.isArray(v)) return void mismatch();
    v.forEach((x, i) => x !== null && checkValue(t.array, x, `${path}[${i}]`, owner, sink));
  } else {
    if (!isPlainObject(v)) return void mismatch();
    for (const [k, x] of Object.entries(v)) if (x !== null) checkValue(t.map, x, pathJoin(path, k), owner, sink);
  }
}

/** Paths of keys that appear twice in the same JSON object, e.g. `spec.replicas`. */
export function findDuplicateFields(raw: string): string[] {
  const dups: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < raw.length && ' \t\n\r'.includes(raw[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < raw.length && raw[i] !== '"') i += raw[i] === '\\' ? 2 : 1;
    i++;
    try {
      return JSON.parse(raw.slice(start, i)) as string;
    } catch {
      return raw.slice(start + 1, i - 1);
    }
  };
  // An explicit stack, not recursion: bodies may nest up to the decoder's depth limit.
  type Frame = { path: string; seen?: Set<string>; n: number };
  const stack: Frame[] = [];
  let path = '';
  for (;;) {
    // A value starts at i.
    ws();
    const c = raw[i];
    if (c === '{' || c === '[') {
      i++;
      stack.push({ path, seen: c === '{' ? new Set() : undefined, n: 0 });
    } else if (c === '"') {
      str();
    } else {
      while (i < raw.length && !',]} \t\n\r'.includes(raw[i]!)) i++;
    }
    // Then the next member or element of the innermost open container, closing finished ones.
    let next: string | undefined;
    while (next === undefined) {
      const top = stack.at(-1);
      if (!top) return dups;
      ws();
      if (raw[i] === ',') i++;
      ws();
      if (raw[i] === (top.seen ? '}' : ']') || i >= raw.length) {
        i++;
        stack.pop();
        continue;
      }
      if (top.seen) {
        if (raw[i] !== '"') return dups;
        const k = str();
        next = pathJoin(top.path, k);
        if (top.seen.has(k)) dups.push(next);
        top.seen.add(k);
        ws();
        i++; // ':'
      } else {
        next = `${top.path}[${top.n++}]`;
      }
    }
    path = next;
  }
}

export interface FieldReport {
  unknown: string[];
  duplicate: string[];
}

function reportItems(r: FieldReport): string[] {
  return [...r.unknown.map((p) => `unknown field "${p}"`), ...r.duplicate.map((p) => `duplicate field "${p}"`)];
}

export function strictDecodingMessage(r: FieldReport): string {
  return `strict decoding error: ${reportItems(r).join(', ')}`;
}

export function warningsFor(r: FieldReport): string[] {
  return reportItems(r);
}

// ---- OpenAPI v3 ----

const GROUP_OF_MODULE: Record<string, string> = {
  core: '',
  apps: 'apps',
  events: 'events.k8s.io',
  coordination: 'coordination.k8s.io',
  scheduling: 'scheduling.k8s.io',
  autoscaling: 'autoscaling',
  policy: 'policy',
  meta: 'meta.k8s.io',
  discovery: 'discovery.k8s.io',
  storage: 'storage.k8s.io',
  certificates: 'certificates.k8s.io',
  rbac: 'rbac.authorization.k8s.io',
  authorization: 'authorization.k8s.io',
  authentication: 'authentication.k8s.io',
};

function schemaName(id: string): string {
  const [mod, name] = [id.slice(0, id.lastIndexOf('.')), id.slice(id.lastIndexOf('.') + 1)];
  const [dir, version] = mod.split('/');
  if (dir === 'meta') return `io.k8s.apimachinery.pkg.apis.meta.${version}.${name}`;
  return `io.k8s.api.${dir}.${version}.${name}`;
}

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function schemaOf(t: T, description: string): Record<string, unknown> {
  const d = description ? { description } : {};
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return { ...d, type: 'string' };
      case 'number':
        return { ...d, type: 'integer', format: 'int64' };
      case 'boolean':
        return { ...d, type: 'boolean' };
      case 'quantity':
        return { ...d, allOf: [ref(QUANTITY)] };
      case 'time':
        return { ...d, allOf: [ref(TIME)] };
      case 'int-or-string':
        return { ...d, allOf: [ref(INT_OR_STRING)] };
      default:
        return { ...d, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
  }
  if ('ref' in t) return { ...d, default: {}, allOf: [ref(schemaName(t.ref))] };
  if ('array' in t) return { ...d, type: 'array', items: schemaOf(t.array, '') };
  return { ...d, type: 'object', additionalProperties: schemaOf(t.map, '') };
}

function componentSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {
    [QUANTITY]: { type: 'string', description: 'Quantity is a fixed-point representation of a number.' },
    [TIME]: { type: 'string', format: 'date-time', description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.' },
    [INT_OR_STRING]: { type: 'string', format: 'int-or-string', description: 'IntOrString is a type that can hold an int32 or a string.' },
  };
  const roots = new Set(generated.roots);
  for (const [id, def] of Object.entries(types)) {
    const properties: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(def.properties)) {
      properties[k] = schemaOf(p.type, p.description);
      const st = fieldStrategies[id]?.[k];
      if (st?.strategy) Object.assign(properties[k] as object, patchExtensions(st));
    }
    const s: Record<string, unknown> = { description: def.description, type: 'object', properties };
    if (def.required.length) s.required = def.required;
    if (roots.has(id)) {
      const [dir, version] = id.slice(0, id.lastIndexOf('.')).split('/');
      s['x-kubernetes-group-version-kind'] = [{ group: GROUP_OF_MODULE[dir!] ?? dir, version, kind: id.slice(id.lastIndexOf('.') + 1) }];
    }
    out[schemaName(id)] = s;
  }
  return out;
}

/** Upstream's patch and list extensions, which kubectl's client-side apply reads. */
function patchExtensions(st: ListStrategy): Record<string, unknown> {
  const ext: Record<string, unknown> = { 'x-kubernetes-patch-strategy': st.strategy };
  if (st.mergeKey) {
    ext['x-kubernetes-patch-merge-key'] = st.mergeKey;
    ext['x-kubernetes-list-type'] = 'map';
    ext['x-kubernetes-list-map-keys'] = [st.mergeKey];
  } else if (st.strategy === 'merge') {
    ext['x-kubernetes-list-type'] = 'set';
  }
  return ext;
}

export interface OpenApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
  subresources: string[];
}

const queryParam = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
  ),
];
const PATCH_CONTENT = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

function operations(r: OpenApiResource, sub: string | undefined, item: boolean): Record<string, unknown> {
  const gvk = { group: r.group, version: r.version, kind: sub === 'scale' ? 'Scale' : r.kind };
  const kindRef = sub === 'scale' ? schemaName('autoscaling/v1.Scale') : schemaName(`${r.group.split('.')[0] || 'core'}/${r.version}.${r.kind}`);
  const body = (types: string[]) => ({ content: Object.fromEntries(types.map((t) => [t, { schema: ref(kindRef) }])), required: true });
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref(kindRef) } } }, '401': { description: 'Unauthorized' } };
  const op = (action: string, extra: Record<string, unknown> = {}) => ({
    operationId: `${action}${r.kind}${sub ? sub[0]!.toUpperCase() + sub.slice(1) : ''}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: ok,
    ...extra,
  });
  const ops: Record<string, unknown> = {};
  const verbs = sub ? ['get', 'update', 'patch'] : r.verbs;
  if (item) {
    if (verbs.includes('get')) ops.get = op('get');
    if (verbs.includes('update')) ops.put = op('put', { parameters: WRITE_PARAMS, requestBody: body(['*/*']) });
    if (verbs.includes('patch')) ops.patch = op('patch', { parameters: [...WRITE_PARAMS, queryParam('force', 'Force is going to "force" Apply requests.', 'boolean')], requestBody: body(PATCH_CONTENT) });
    if (verbs.includes('delete') && !sub) ops.delete = op('delete');
  } else {
    if (verbs.includes('list')) ops.get = op('list');
    if (verbs.includes('create')) ops.post = op('post', { parameters: WRITE_PARAMS, requestBody: body(['*/*']) });
    if (verbs.includes('deletecollection')) ops.delete = op('deletecollection');
  }
  return ops;
}

function pathsFor(gvPath: string, resources: OpenApiResource[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const nsParam = { name: 'namespace', in: 'path', required: true, description: 'object name and auth scope, such as for teams and projects', schema: { type: 'string', uniqueItems: true } };
  const nameParam = (kind: string) => ({ name: 'name', in: 'path', required: true, description: `name of the ${kind}`, schema: { type: 'string', uniqueItems: true } });
  for (const r of resources) {
    const base = r.namespaced ? `/${gvPath}/namespaces/{namespace}/${r.plural}` : `/${gvPath}/${r.plural}`;
    const scope = r.namespaced ? [nsParam] : [];
    paths[base] = { parameters: scope, ...operations(r, undefined, false) };
    paths[`${base}/{name}`] = { parameters: [nameParam(r.kind), ...scope], ...operations(r, undefined, true) };
    for (const sub of r.subresources) {
      if (sub !== 'status' && sub !== 'scale') continue;
      paths[`${base}/{name}/${sub}`] = { parameters: [nameParam(r.kind), ...scope], ...operations(r, sub, true) };
    }
  }
  return paths;
}

const documents = new Map<string, { doc: unknown; hash: string }>();

function documentFor(gvPath: string, resources: OpenApiResource[]): { doc: unknown; hash: string } {
  let d = documents.get(gvPath);
  if (!d) {
    const doc = { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: pathsFor(gvPath, resources), components: { schemas: componentSchemas() } };
    d = { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase() };
    documents.set(gvPath, d);
  }
  return d;
}

/** GET /openapi/v3: one entry per group-version; the hash lets clients cache documents. */
export function openapiV3Index(gvPaths: string[], resourcesOf: (gvPath: string) => OpenApiResource[]): unknown {
  return {
    paths: Object.fromEntries(gvPaths.map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${documentFor(p, resourcesOf(p)).hash}` }])),
  };
}

export function openapiV3Document(gvPath: string, resources: OpenApiResource[]): unknown {
  return documentFor(gvPath, resources).doc;
}
