// Decodes Kubernetes protobuf (application/vnd.kubernetes.protobuf) request bodies into the
// JSON form the rest of the server works with. kubectl's typed clients (create namespace,
// create configmap, drain's evictions, ...) send protobuf since client-go 1.31.
//
// The message layouts in messages.json are read from the generated.proto descriptors of
// k8s.io/api and k8s.io/apimachinery that kubectl embeds (scripts/gen-protobuf-fields.ts).
// Go's protobuf encoding writes non-pointer fields even when empty; JSON omits those
// (omitempty), so empty strings, zero numbers and false are dropped except for the fields marked
// 'keep', where a zero is meaningful (pointer fields and those without omitempty).
// Fields marked 'inline' are Go structs embedded with `json:",inline"` (Volume.volumeSource,
// Probe.handler, ...; found by scripts/gen-protobuf-fields.ts): their fields go into the parent.
import messages from './messages.json' with { type: 'json' };
import { ProtobufError, readFields, signed64, type WireField } from './wire.js';

export { ProtobufError } from './wire.js';

/** A field: [name, type], repeated, inlined (Go embedding) or keeping its zero; or a map. */
export type FieldDef = [string, string] | [string, string, 'rep' | 'inline' | 'keep'] | [string, 'map', string, string];
const schema = messages as unknown as Record<string, Record<string, FieldDef>>;

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const SPECIAL: Record<string, (b: Uint8Array) => unknown> = {
  'k8s.io.apimachinery.pkg.api.resource.Quantity': (b) => stringField(b, 1) ?? '0',
  [`${META}Time`]: (b) => timeValue(b, false),
  [`${META}MicroTime`]: (b) => timeValue(b, true),
  [`${META}Duration`]: (b) => goDuration(intField(b, 1)),
  [`${META}FieldsV1`]: (b) => jsonField(b),
  'k8s.io.apimachinery.pkg.runtime.RawExtension': (b) => jsonField(b),
  // Go's `type Verbs []string` travels as a message of repeated items; JSON is the bare list.
  [`${META}Verbs`]: (b) =>
    readFields(b)
      .map((f) => (f.field === 1 && f.bytes ? Buffer.from(f.bytes).toString('utf8') : undefined))
      .filter((v) => v !== undefined),
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': (b) => {
    const type = intField(b, 1);
    return type === 1n ? (stringField(b, 3) ?? '') : Number(intField(b, 2));
  },
};

function stringField(b: Uint8Array, n: number): string | undefined {
  const f = readFields(b)
    .filter((x) => x.field === n)
    .pop();
  return f?.bytes ? Buffer.from(f.bytes).toString('utf8') : undefined;
}

function intField(b: Uint8Array, n: number): bigint {
  const f = readFields(b)
    .filter((x) => x.field === n)
    .pop();
  return f?.varint !== undefined ? signed64(f.varint) : 0n;
}

function jsonField(b: Uint8Array): unknown {
  const raw = readFields(b).find((x) => x.field === 1)?.bytes;
  if (!raw || raw.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    throw new ProtobufError('embedded JSON is malformed');
  }
}

/** Go's zero time (0001-01-01T00:00:00Z) is JSON null: undefined, so the field is left out. */
const GO_ZERO_TIME_SECONDS = -62135596800n;

function timeValue(b: Uint8Array, micro: boolean): string | undefined {
  const seconds = intField(b, 1);
  const nanos = Number(intField(b, 2));
  if ((seconds === GO_ZERO_TIME_SECONDS || seconds === 0n) && nanos === 0) return undefined;
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Go's time.Duration.String() for the few Duration fields. */
function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  let s = '';
  let rest = ns < 0n ? -ns : ns;
  const h = rest / 3_600_000_000_000n;
  rest %= 3_600_000_000_000n;
  const m = rest / 60_000_000_000n;
  rest %= 60_000_000_000n;
  if (h) s += `${h}h`;
  if (h || m) s += `${m}m`;
  const secs = Number(rest) / 1e9;
  s += `${secs}s`;
  return (ns < 0n ? '-' : '') + s;
}

function scalar(type: string, f: WireField): unknown {
  switch (type) {
    case 'string':
      return Buffer.from(f.bytes ?? []).toString('utf8');
    case 'bytes':
      return Buffer.from(f.bytes ?? []).toString('base64');
    case 'bool':
      return f.varint !== undefined && f.varint !== 0n;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return Number(type.startsWith('u') ? (f.varint ?? 0n) : signed64(f.varint ?? 0n));
    case 'double':
      return f.bytes ? Buffer.from(f.bytes).readDoubleLE(0) : 0;
    case 'float':
      return f.bytes ? Buffer.from(f.bytes).readFloatLE(0) : 0;
    default:
      throw new ProtobufError(`unsupported scalar type ${type}`);
  }
}

function isScalar(type: string): boolean {
  return !type.includes('.');
}

function value(type: string, f: WireField): unknown {
  if (isScalar(type)) return scalar(type, f);
  if (f.wireType !== 2) throw new ProtobufError(`field ${f.field}: expected a message`);
  const special = SPECIAL[type];
  return special ? special(f.bytes!) : decodeMessage(type, f.bytes!);
}

const isZero = (v: unknown) => v === '' || v === 0 || v === false;

export function decodeMessage(type: string, buf: Uint8Array): Record<string, unknown> {
  const def = schema[type];
  if (!def) throw new ProtobufError(`no protobuf schema for ${type}`);
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const fd = def[String(f.field)];
    if (!fd) continue; // unknown fields are ignored, as Go's decoder does
    const [name, type2] = fd;
    if (type2 === 'map') {
      const [, , keyType, valueType] = fd as [string, 'map', string, string];
      const entry = readFields(f.bytes ?? new Uint8Array());
      const k = entry.find((e) => e.field === 1);
      const v = entry.find((e) => e.field === 2);
      const map = (out[name] ??= {}) as Record<string, unknown>;
      const key = k ? String(scalar(keyType, k)) : '';
      map[key] = v ? value(valueType, v) : isScalar(valueType) ? (valueType === 'string' ? '' : valueType === 'bytes' ? '' : 0) : {};
    } else if (fd[2] === 'rep') {
      const list = (out[name] ??= []) as unknown[];
      if (f.wireType === 2 && isScalar(type2) && type2 !== 'string' && type2 !== 'bytes') {
        // packed repeated scalars
        const inner = readPacked(type2, f.bytes!);
        list.push(...inner);
      } else list.push(value(type2, f));
    } else if (fd[2] === 'inline') {
      if (f.wireType !== 2) throw new ProtobufError(`field ${f.field}: expected a message`);
      Object.assign(out, decodeMessage(type2, f.bytes!));
    } else {
      // The last occurrence of a field wins, as in Go, even when it is a zero that JSON omits.
      const v = value(type2, f);
      if (v === undefined || (isZero(v) && fd[2] !== 'keep')) delete out[name];
      else out[name] = v;
    }
  }
  return out;
}

function readPacked(type: string, b: Uint8Array): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < b.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[i++]!;
      result |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) break;
      shift += 7n;
    }
    out.push(scalar(type, { field: 0, wireType: 0, varint: result }));
  }
  return out;
}

const GROUP_PACKAGE: Record<string, string> = {
  '': 'k8s.io.api.core',
  apps: 'k8s.io.api.apps',
  'events.k8s.io': 'k8s.io.api.events',
  'coordination.k8s.io': 'k8s.io.api.coordination',
  'scheduling.k8s.io': 'k8s.io.api.scheduling',
  'certificates.k8s.io': 'k8s.io.api.certificates',
  autoscaling: 'k8s.io.api.autoscaling',
  batch: 'k8s.io.api.batch',
  policy: 'k8s.io.api.policy',
  'rbac.authorization.k8s.io': 'k8s.io.api.rbac',
  'authorization.k8s.io': 'k8s.io.api.authorization',
  'authentication.k8s.io': 'k8s.io.api.authentication',
  'meta.k8s.io': 'k8s.io.apimachinery.pkg.apis.meta',
};

/**
 * Decodes a protobuf body: the "k8s\0" magic, then a runtime.Unknown whose typeMeta names the
 * kind and whose raw bytes are the object.
 */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(PROTOBUF_MAGIC))
    throw new ProtobufError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  const envelope = readFields(body.subarray(4));
  const typeMetaBytes = envelope.find((f) => f.field === 1)?.bytes ?? new Uint8Array();
  const raw = envelope.find((f) => f.field === 2)?.bytes ?? new Uint8Array();
  const apiVersion = stringField(typeMetaBytes, 1) ?? '';
  const kind = stringField(typeMetaBytes, 2) ?? '';
  if (!kind) throw new ProtobufError('object has no kind');
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  // Older clients send DeleteOptions as v1 core; it is the meta type either way.
  const pkg = kind === 'DeleteOptions' ? 'k8s.io.apimachinery.pkg.apis.meta' : GROUP_PACKAGE[group!];
  if (!pkg) throw new ProtobufError(`no protobuf schema for ${apiVersion}, Kind=${kind}`);
  const obj = decodeMessage(`${pkg}.${version}.${kind}`, raw);
  return { apiVersion, kind, ...obj };
}
