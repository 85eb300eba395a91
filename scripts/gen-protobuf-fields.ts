// Generates src/api/protobuf/messages.json, the field tables of the Kubernetes protobuf messages
// the server decodes, from upstream's own generated.proto descriptors.
//
// Go's protobuf packages register each .proto file's FileDescriptorProto, gzipped, in the binary;
// kubectl links k8s.io/api and k8s.io/apimachinery, so every kubectl binary carries the exact
// interface definitions. This reads them back out instead of restating them by hand.
// What protobuf can't say about the JSON form (which embedded structs Go inlines, which zeros
// JSON keeps) comes from upstream's OpenAPI, as kubernetes-types restates it: see markInlined
// and markKeptZeros.
// Run with: node --import tsx scripts/gen-protobuf-fields.ts [/path/to/kubectl]
import { readFileSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { readFields, type WireField } from '../src/api/protobuf/wire.js';
import type { FieldDef } from '../src/api/protobuf/decode.js';
import { definitionId, OpenApiTypes } from '../src/api/protobuf/openapi-types.js';

const BINARY = process.argv[2] ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
const OUT = 'src/api/protobuf/messages.json';

/** The .proto files whose messages the served kinds (and their request bodies) use. */
const FILES = [
  'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto',
  'k8s.io/apimachinery/pkg/api/resource/generated.proto',
  'k8s.io/apimachinery/pkg/runtime/generated.proto',
  'k8s.io/apimachinery/pkg/util/intstr/generated.proto',
  'k8s.io/api/core/v1/generated.proto',
  'k8s.io/api/apps/v1/generated.proto',
  'k8s.io/api/policy/v1/generated.proto',
  'k8s.io/api/coordination/v1/generated.proto',
  'k8s.io/api/scheduling/v1/generated.proto',
  'k8s.io/api/events/v1/generated.proto',
  'k8s.io/api/autoscaling/v1/generated.proto',
  'k8s.io/api/certificates/v1/generated.proto',
  'k8s.io/api/rbac/v1/generated.proto',
  'k8s.io/api/authorization/v1/generated.proto',
  'k8s.io/api/authentication/v1/generated.proto',
  'k8s.io/api/batch/v1/generated.proto',
];

const SCALAR: Record<number, string> = {
  1: 'double',
  2: 'float',
  3: 'int64',
  4: 'uint64',
  5: 'int32',
  6: 'fixed64',
  7: 'fixed32',
  8: 'bool',
  9: 'string',
  12: 'bytes',
  13: 'uint32',
  15: 'sfixed32',
  16: 'sfixed64',
  17: 'sint32',
  18: 'sint64',
};
const LABEL_REPEATED = 3;
const TYPE_MESSAGE = 11;

const str = (f: WireField | undefined) => (f?.bytes ? Buffer.from(f.bytes).toString('utf8') : '');
const all = (fs: WireField[], n: number) => fs.filter((f) => f.field === n);
const one = (fs: WireField[], n: number) => fs.find((f) => f.field === n);

/** Every gzip member in the binary whose payload is a generated.proto FileDescriptorProto. */
function descriptors(bin: Buffer): Map<string, WireField[]> {
  const found = new Map<string, WireField[]>();
  const magic = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
  for (let at = bin.indexOf(magic); at >= 0; at = bin.indexOf(magic, at + 1)) {
    let raw: Buffer;
    try {
      // The 10-byte header has no optional parts (flags 0); inflateRaw stops at the stream's end.
      raw = inflateRawSync(bin.subarray(at + 10, at + 10 + 2_000_000));
    } catch {
      continue;
    }
    let file: WireField[];
    try {
      file = readFields(raw);
    } catch {
      continue;
    }
    const name = str(one(file, 1));
    if (name.endsWith('generated.proto')) found.set(name, file);
  }
  return found;
}

/** `message.field` of every singular field that is a pointer in Go. */
const pointerFields = new Set<string>();
/** gogoproto.nullable (FieldOptions extension 65001): false on every field that is no pointer in Go. */
const GOGO_NULLABLE = 65001;

function main() {
  const files = descriptors(readFileSync(BINARY));
  const messages: Record<string, Record<string, FieldDef>> = {};
  for (const name of FILES) {
    const file = files.get(name);
    if (!file) throw new Error(`${BINARY} has no descriptor for ${name}`);
    const pkg = str(one(file, 2));
    for (const m of all(file, 4)) addMessage(messages, pkg, readFields(m.bytes!));
  }
  const openapi = new OpenApiTypes();
  markInlined(messages, openapi);
  markKeptZeros(messages, openapi);
  const sorted = Object.fromEntries(Object.entries(messages).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(OUT, JSON.stringify(sorted, null, 0).replace(/\},"/g, '},\n"') + '\n');
  console.log(`${OUT}: ${Object.keys(sorted).length} messages from ${FILES.length} files of ${BINARY}`);
}

function addMessage(out: Record<string, Record<string, FieldDef>>, scope: string, msg: WireField[]) {
  const fullName = `${scope}.${str(one(msg, 1))}`;
  // Map fields are repeated XxxEntry messages marked map_entry (MessageOptions field 7).
  const mapEntries = new Map<string, [string, string]>();
  for (const nested of all(msg, 3)) {
    const n = readFields(nested.bytes!);
    const options = one(n, 7);
    const isMap = options ? one(readFields(options.bytes!), 7)?.varint === 1n : false;
    if (!isMap) {
      addMessage(out, fullName, n);
      continue;
    }
    const fields = all(n, 2).map((f) => fieldType(readFields(f.bytes!)));
    mapEntries.set(`.${fullName}.${str(one(n, 1))}`, [fields[0]!, fields[1]!]);
  }
  const table: Record<string, FieldDef> = {};
  for (const f of all(msg, 2)) {
    const fd = readFields(f.bytes!);
    const name = str(one(fd, 1));
    const number = String(one(fd, 3)!.varint);
    const repeated = one(fd, 4)?.varint === BigInt(LABEL_REPEATED);
    const entry = mapEntries.get(str(one(fd, 6)));
    const options = one(fd, 8);
    if (!repeated && (!options || one(readFields(options.bytes!), GOGO_NULLABLE)?.varint !== 0n)) pointerFields.add(`${fullName}.${name}`);
    if (entry) table[number] = [name, 'map', entry[0], entry[1]];
    else if (repeated) table[number] = [name, fieldType(fd), 'rep'];
    else table[number] = [name, fieldType(fd)];
  }
  out[fullName] = table;
}

/**
 * Marks the fields that Go embeds with `json:",inline"` (Volume.volumeSource, Probe.handler, ...):
 * in JSON their message's fields sit directly in the parent.
 *
 * The descriptors can't tell: they carry no json tags, and the gogoproto options they do carry
 * (customname equal to the type's name, nullable=false) mark every embedded Go struct, including
 * ObjectMeta, which is embedded but named "metadata" in JSON. Upstream's OpenAPI document can: it
 * describes the JSON, so an inlined field has no property of its own there while its message's
 * fields are properties of the parent. A majority of them, not all, because the OpenAPI at hand
 * (kubernetes-types) may be a few releases older than the descriptors (Volume lacks 1.31's `image`).
 */
function markInlined(messages: Record<string, Record<string, FieldDef>>, openapi: OpenApiTypes): void {
  for (const [type, table] of Object.entries(messages)) {
    const id = definitionId(type);
    const props = id && openapi.definition(id);
    if (!props) continue;
    for (const fd of Object.values(table)) {
      const [name, fieldType, how] = fd;
      const embedded = messages[fieldType];
      if (how !== undefined || !embedded || props.has(name)) continue;
      const names = Object.values(embedded).map((f) => f[0]);
      if (names.filter((n) => props.has(n)).length * 2 <= names.length) continue;
      (fd as unknown[])[2] = 'inline';
      console.log(`inlined: ${type}.${name} (${fieldType})`);
    }
  }
}

/** Field types whose decoded value can be a zero ('', 0, false). */
const ZEROABLE = new Set([...Object.values(SCALAR), 'k8s.io.apimachinery.pkg.util.intstr.IntOrString']);

/**
 * Marks the scalar fields whose zero value JSON keeps ('keep'); the decoder drops the others'
 * zeros. Go's protobuf encoding writes every non-pointer field, zero or not, while its JSON
 * encoding leaves out the zeros of `omitempty` fields: a zero is kept for a pointer (set, so
 * chosen: replicas: 0, optional: false), known from the descriptors (no gogoproto.nullable=false),
 * and for a field without omitempty (HTTPHeader.value, ContainerStatus.ready), which upstream's
 * OpenAPI lists as required. An inlined message's fields are described in its parent's definition.
 */
function markKeptZeros(messages: Record<string, Record<string, FieldDef>>, openapi: OpenApiTypes): void {
  const jsonDefinition = new Map<string, string>();
  for (const type of Object.keys(messages)) {
    const id = definitionId(type);
    if (id && openapi.definition(id)) jsonDefinition.set(type, id);
  }
  for (const [type, table] of Object.entries(messages)) {
    for (const [, fieldType, how] of Object.values(table)) {
      const id = jsonDefinition.get(type);
      if (how === 'inline' && id && !jsonDefinition.has(fieldType)) jsonDefinition.set(fieldType, id);
    }
  }
  for (const [type, table] of Object.entries(messages)) {
    const id = jsonDefinition.get(type);
    const required = id ? openapi.required(id) : new Set<string>();
    for (const fd of Object.values(table)) {
      const [name, fieldType, how] = fd;
      if (how !== undefined || !ZEROABLE.has(fieldType)) continue;
      if (pointerFields.has(`${type}.${name}`) || required.has(name)) (fd as unknown[])[2] = 'keep';
    }
  }
}

function fieldType(fd: WireField[]): string {
  const type = Number(one(fd, 5)!.varint);
  if (type === TYPE_MESSAGE) return str(one(fd, 6)).replace(/^\./, '');
  const scalar = SCALAR[type];
  if (!scalar) throw new Error(`field ${str(one(fd, 1))}: unsupported protobuf type ${type}`);
  return scalar;
}

main();
