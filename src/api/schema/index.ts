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
 * Where a walk is, as its keys and indexes: joined into a path (`spec.containers[0].name`)
 * only for the fields reported, since most fields of a body never are.
 */
type Trail = Array<string | number>;

function trailPath(trail: Trail, length = trail.length): string {
  let path = '';
  for (let i = 0; i < length; i++) {
    const e = trail[i]!;
    path = typeof e === 'number' ? `${path}[${e}]` : pathJoin(path, e);
  }
  return path;
}

/** A quantity's text, parsed: its canonical form, or why it is not one. */
interface ParsedQuantity {
  canonical?: string;
  error?: unknown;
}

// Pods repeat the same few quantities (`100m`, `128Mi`): each text is parsed once, not on every
// write. Bounded, and only short texts, so odd bodies cannot make it grow.
const parsedQuantities = new Map<string, ParsedQuantity>();
const PARSED_QUANTITIES_MAX = 1024;
const PARSED_QUANTITY_TEXT_MAX = 64;

function parseQuantity(s: string): ParsedQuantity {
  let p = parsedQuantities.get(s);
  if (p) return p;
  try {
    p = { canonical: Quantity.parse(s).toString() };
  } catch (e) {
    p = { error: e };
  }
  if (s.length <= PARSED_QUANTITY_TEXT_MAX) {
    if (parsedQuantities.size >= PARSED_QUANTITIES_MAX) parsedQuantities.clear();
    parsedQuantities.set(s, p);
  }
  return p;
}

/**
 * Removes fields the schema doesn't know and null values (upstream's decoder drops both), and
 * puts quantities in canonical form. Returns the paths of the unknown fields, as upstream names them.
 */
export function pruneUnknownFields(apiVersion: string, kind: string, obj: Record<string, unknown>): string[] {
  const id = rootId(apiVersion, kind);
  const unknown: string[] = [];
  if (id) pruneObject(id, obj, [], unknown);
  return unknown;
}

function pruneObject(id: string, obj: Record<string, unknown>, trail: Trail, unknown: string[]): void {
  const props = types[id]!.properties;
  for (const k in obj) {
    const v = obj[k];
    // Own properties only: a body's `constructor` is an unknown field, not Object's.
    const prop = Object.hasOwn(props, k) ? props[k] : undefined;
    if (!prop) {
      trail.push(k);
      unknown.push(trailPath(trail));
      trail.pop();
      delete obj[k];
    } else if (v === null) {
      delete obj[k];
    } else {
      trail.push(k);
      const nv = pruneValue(prop.type, v, trail, unknown);
      trail.pop();
      if (nv !== v) obj[k] = nv;
    }
  }
}

function pruneValue(t: T, v: unknown, trail: Trail, unknown: string[]): unknown {
  if (t === 'quantity') {
    if (typeof v !== 'string' && typeof v !== 'number') return v;
    return parseQuantity(String(v)).canonical ?? v;
  }
  if (typeof t === 'string') return v;
  if ('ref' in t) {
    if (isPlainObject(v)) pruneObject(t.ref, v, trail, unknown);
  } else if ('array' in t) {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x === null) continue;
        trail.push(i);
        v[i] = pruneValue(t.array, x, trail, unknown);
        trail.pop();
      }
    }
  } else if (isPlainObject(v)) {
    for (const k in v) {
      const x = v[k];
      if (x === null) continue;
      trail.push(k);
      v[k] = pruneValue(t.map, x, trail, unknown);
      trail.pop();
    }
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
  if (id) checkObject(id, obj, [], sink);
  return sink.errors;
}

interface Sink {
  errors: string[];
  outOfRange: OutOfRange[];
}

function checkObject(id: string, obj: Record<string, unknown>, trail: Trail, sink: Sink): void {
  const props = types[id]!.properties;
  const bytes = BYTES_FIELDS[id];
  for (const k in obj) {
    const v = obj[k];
    const prop = Object.hasOwn(props, k) ? props[k] : undefined;
    if (prop && v !== null) {
      trail.push(k);
      checkValue(prop.type, v, trail, id, sink);
      trail.pop();
    }
    if (bytes?.includes(k) && isPlainObject(v)) {
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

/** A value of the wrong JSON type, worded as Go's decoder words it (`owner` is the struct's type id). */
function mismatch(t: T, v: unknown, trail: Trail, owner: string, sink: Sink): void {
  sink.errors.push(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${owner.slice(owner.lastIndexOf('.') + 1)}.${trailPath(trail)} of type ${goType(t)}`);
}

function checkValue(t: T, v: unknown, trail: Trail, owner: string, sink: Sink): void {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
      case 'time':
        if (typeof v !== 'string') mismatch(t, v, trail, owner, sink);
        return;
      case 'number':
        if (typeof v !== 'number') mismatch(t, v, trail, owner, sink);
        else if (!Number.isInteger(v)) sink.errors.push(`json: cannot unmarshal number ${v} into Go struct field ${owner.slice(owner.lastIndexOf('.') + 1)}.${trailPath(trail)} of type int64`);
        return;
      case 'boolean':
        if (typeof v !== 'boolean') mismatch(t, v, trail, owner, sink);
        return;
      case 'int-or-string':
        if (typeof v !== 'string' && typeof v !== 'number') mismatch(t, v, trail, owner, sink);
        return;
      case 'quantity':
        if (typeof v !== 'string' && typeof v !== 'number') mismatch(t, v, trail, owner, sink);
        else {
          const { error } = parseQuantity(String(v));
          if (error instanceof QuantityRangeError) sink.outOfRange.push({ field: trailPath(trail), value: String(v), detail: error.message });
          else if (error !== undefined) sink.errors.push(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
        }
        return;
      case 'any':
        // Free-form values are stored as given; past this depth encoding them would overflow
        // the stack (no real field set nests anywhere near it: the schema is far shallower).
        if (exceedsDepth(v, MAX_FREE_FORM_DEPTH)) sink.outOfRange.push({ field: trailPath(trail), detail: `must not be nested more than ${MAX_FREE_FORM_DEPTH} levels deep` });
        return;
      default:
        return;
    }
  }
  if ('ref' in t) {
    if (!isPlainObject(v)) return mismatch(t, v, trail, owner, sink);
    checkObject(t.ref, v, trail, sink);
  } else if ('array' in t) {
    if (!Array.isArray(v)) return mismatch(t, v, trail, owner, sink);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === null) continue;
      trail.push(i);
      checkValue(t.array, x, trail, owner, sink);
      trail.pop();
    }
  } else {
    if (!isPlainObject(v)) return mismatch(t, v, trail, owner, sink);
    for (const k in v) {
      const x = v[k];
      if (x === null) continue;
      trail.push(k);
      checkValue(t.map, x, trail, owner, sink);
      trail.pop();
    }
  }
}

/** Paths of keys that appear twice in the same JSON object, e.g. `spec.replicas`. */
export function findDuplicateFields(raw: string): string[] {
  return new DuplicateScan(raw).run();
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

// Objects with more keys than this remember them in a Set; smaller ones (nearly all) in a list.
const SEEN_LIST_MAX = 16;

/**
 * One pass over a JSON text (every request body on the write path: kept cheap). Keys are
 * compared as their raw text and decoded only when they hold an escape; a path is built only
 * for a duplicate, from the keys and indexes of the open containers.
 */
class DuplicateScan {
  private i = 0;
  /** The first backslash at or after `i` (the text's length when there is none). */
  private backslash = -1;
  // The open containers, innermost last: whether each is an object, the key or index of the
  // member being read, and the keys it has had.
  private depth = 0;
  private readonly isObject: boolean[] = [];
  private readonly at: Array<string | number> = [];
  private readonly seenList: string[][] = [];
  private readonly seenSet: Array<Set<string> | undefined> = [];
  private readonly dups: string[] = [];

  constructor(private readonly raw: string) {}

  run(): string[] {
    const raw = this.raw;
    const n = raw.length;
    // true: a value comes next; false: a `,` or the end of the innermost container.
    let value = true;
    for (;;) {
      let c = this.skipSpace();
      if (this.i >= n) return this.dups;
      if (value) {
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          this.i++;
          this.open(c === OPEN_BRACE);
          c = this.skipSpace();
          if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            this.i++;
            this.depth--;
            value = false;
          } else if (this.isObject[this.depth - 1]) {
            if (!this.member()) return this.dups;
          }
          continue;
        }
        if (c === QUOTE) this.skipString();
        else this.skipScalar();
        value = false;
        continue;
      }
      if (this.depth === 0) return this.dups;
      this.i++;
      if (c === COMMA) {
        const top = this.depth - 1;
        if (this.isObject[top]) {
          if (!this.member()) return this.dups;
        } else this.at[top] = (this.at[top] as number) + 1;
        value = true;
      } else {
        // `}` or `]`
        this.depth--;
      }
    }
  }

  private open(isObject: boolean): void {
    const d = this.depth++;
    this.isObject[d] = isObject;
    this.at[d] = 0;
    if (isObject) {
      const list = this.seenList[d];
      if (list) list.length = 0;
      else this.seenList[d] = [];
      this.seenSet[d] = undefined;
    }
  }

  /** Reads `"key":` of the innermost object, noting a duplicate; false on malformed text. */
  private member(): boolean {
    if (this.skipSpace() !== QUOTE) return false;
    const key = this.readKey();
    const top = this.depth - 1;
    this.at[top] = key;
    const list = this.seenList[top]!;
    let set = this.seenSet[top];
    const seen = set ? set.has(key) : list.includes(key);
    if (seen) this.dups.push(trailPath(this.at, top + 1));
    else if (set) set.add(key);
    else if (list.length < SEEN_LIST_MAX) list.push(key);
    else {
      this.seenSet[top] = set = new Set(list);
      set.add(key);
    }
    if (this.skipSpace() === COLON) this.i++;
    return true;
  }

  private skipSpace(): number {
    const raw = this.raw;
    let i = this.i;
    let c = raw.charCodeAt(i);
    while (isSpace(c)) c = raw.charCodeAt(++i);
    this.i = i;
    return c;
  }

  /** Moves past the string starting at `i` (a quote); returns whether it held an escape. */
  private skipString(): boolean {
    const raw = this.raw;
    const start = this.i + 1;
    if (this.backslash < start) {
      this.backslash = raw.indexOf('\\', start);
      if (this.backslash < 0) this.backslash = raw.length;
    }
    let end = raw.indexOf('"', start);
    if (end < 0) end = raw.length;
    if (end < this.backslash) {
      this.i = end + 1;
      return false;
    }
    let i = start;
    while (i < raw.length) {
      const c = raw.charCodeAt(i);
      if (c === QUOTE) break;
      i += c === BACKSLASH ? 2 : 1;
    }
    this.i = i + 1;
    return true;
  }

  private readKey(): string {
    const start = this.i;
    const escaped = this.skipString();
    const end = Math.min(this.i, this.raw.length + 1);
    if (!escaped) return this.raw.slice(start + 1, end - 1);
    try {
      return JSON.parse(this.raw.slice(start, end)) as string;
    } catch {
      return this.raw.slice(start + 1, end - 1);
    }
  }

  /** Moves past a number, `true`, `false` or `null`. */
  private skipScalar(): void {
    const raw = this.raw;
    let i = this.i;
    for (let c = raw.charCodeAt(i); i < raw.length && !isSpace(c) && c !== COMMA && c !== CLOSE_BRACE && c !== CLOSE_BRACKET; c = raw.charCodeAt(++i));
    this.i = i;
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
