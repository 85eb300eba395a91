// Every message type of the served groups, round-tripped: a JSON object with every field of
// upstream's OpenAPI definition set is built from that definition, encoded as protobuf with the
// test encoder, decoded with the server's decoder, and must come back equal. An OpenAPI field
// that protobuf can't carry (or that the decoder puts elsewhere, as it did with Go's inlined
// structs) fails its type's test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import messages from './messages.json' with { type: 'json' };
import { decodeMessage } from './decode.js';
import { definitionId, OpenApiTypes, type JsonType } from './openapi-types.js';
import { encodeMessage, fieldFor } from './test-encoder.js';

const openapi = new OpenApiTypes();
const GROUPS = ['core', 'apps', 'policy', 'coordination', 'scheduling', 'events', 'autoscaling'];
const PACKAGES = [...GROUPS.map((g) => `k8s.io.api.${g}.v1.`), 'k8s.io.apimachinery.pkg.apis.meta.v1.'];

/**
 * A value of JSON type `t` for a field of protobuf type `protoType`. Values are never zero (Go's
 * encoder writes zeros that JSON omits, and the decoder rightly drops them) and differ between
 * fields, so a field decoded into the wrong place can't pass by accident.
 */
function sample(t: JsonType, protoType: string, name: string, stack: string[], seq: { n: number }): unknown {
  const n = ++seq.n;
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return protoType === 'bytes' ? Buffer.from(`${name}#${n}`).toString('base64') : `${name}-${n}`;
      case 'number':
        return protoType === 'int64' ? 5_000_000_000 + n : protoType === 'double' || protoType === 'float' ? n + 0.5 : n;
      case 'boolean':
        return true;
      case 'quantity':
        return `${n}50m`;
      case 'time':
        return new Date(Date.UTC(2024, 4, 6, 7, 8, n % 60)).toISOString().replace('.000Z', 'Z');
      case 'micro-time':
        return new Date(Date.UTC(2024, 4, 6, 7, 8, n % 60)).toISOString().replace('.000Z', `.${String(123400 + n).padStart(6, '0')}Z`);
      case 'int-or-string':
        return n % 2 ? n : `${n}%`;
      case 'any':
        return { [`${name}-key`]: [n, `v${n}`] };
      default:
        throw new Error(`no sample for JSON type ${t}`);
    }
  }
  if ('ref' in t) return build(protoType, t.ref, stack, seq);
  if ('array' in t) return [sample(t.array, protoType, name, stack, seq), sample(t.array, protoType, name, stack, seq)];
  return { [`${name}-a`]: sample(t.map, protoType, name, stack, seq), [`${name}-b`]: sample(t.map, protoType, name, stack, seq) };
}

const removedUpstream = new Set<string>();
const tables = messages as unknown as Record<string, Record<string, string[]>>;

/** A message-typed field of `protoType`, absent from JSON, whose message has a field `name`. */
function embeddedHolder(protoType: string, name: string, props: Map<string, JsonType>): boolean {
  return Object.values(tables[protoType]!).some(([field, type]) => !props.has(field) && Object.values(tables[type!] ?? {}).some(([f]) => f === name));
}

/** A JSON object of the OpenAPI definition `id` with every property set (recursive types once). */
function build(protoType: string, id: string, stack: string[], seq = { n: 0 }): Record<string, unknown> {
  const props = openapi.definition(id);
  if (!props) throw new Error(`no OpenAPI definition ${id}`);
  const out: Record<string, unknown> = {};
  for (const [name, t] of props) {
    const fd = fieldFor(protoType, name);
    // apiVersion and kind of a top-level kind travel in the envelope, not in the message.
    if (!fd && (name === 'apiVersion' || name === 'kind')) continue;
    if (!fd) {
      // A field of a message-typed field that JSON doesn't name is one Go inlines: it must decode.
      if (embeddedHolder(protoType, name, props)) throw new Error(`${protoType} has no protobuf field for ${id}.${name}`);
      // Otherwise an alpha field upstream removed after the OpenAPI at hand was made.
      removedUpstream.add(`${id}.${name}`);
      continue;
    }
    if (typeof t === 'object' && 'ref' in t && stack.includes(t.ref)) continue;
    const elementType = fd[1] === 'map' ? fd[3]! : fd[1];
    out[name] = sample(t, elementType, name, [...stack, id], seq);
  }
  return out;
}

const tested: string[] = [];
const undefinedInOpenApi: string[] = [];
for (const type of Object.keys(messages).filter((m) => PACKAGES.some((p) => m.startsWith(p)))) {
  const id = definitionId(type)!;
  if (!openapi.definition(id)) {
    undefinedInOpenApi.push(type);
    continue;
  }
  tested.push(type);
  test(`protobuf round trip: ${type}`, () => {
    const json = build(type, id, []);
    const decoded = decodeMessage(type, Uint8Array.from(encodeMessage(type, json)));
    assert.deepEqual(decoded, json);
  });
}

test('the round trip covers every core/v1 type the OpenAPI defines, inlined structs included', (t) => {
  const core = tested.filter((t) => t.startsWith('k8s.io.api.core.v1.'));
  assert.ok(core.length > 200, `only ${core.length} core/v1 types tested`);
  for (const kind of ['Pod', 'Volume', 'Probe', 'EphemeralContainer', 'PersistentVolumeSpec', 'ConfigMapKeySelector']) {
    assert.ok(core.includes(`k8s.io.api.core.v1.${kind}`), `${kind} is tested`);
  }
  // Types upstream's OpenAPI leaves out are the embedded ones (their fields are in their parent's
  // definition) and those newer than the OpenAPI at hand; the embedded ones are reached through
  // their parents' round trips.
  for (const t of ['VolumeSource', 'ProbeHandler', 'EphemeralContainerCommon', 'PersistentVolumeSource']) {
    assert.ok(undefinedInOpenApi.includes(`k8s.io.api.core.v1.${t}`), `${t} has no OpenAPI definition of its own`);
  }
  t.diagnostic(`${tested.length} types round-tripped; OpenAPI fields no longer in protobuf: ${[...removedUpstream].join(', ') || 'none'}`);
  assert.ok(removedUpstream.size < 10, 'only a few alpha fields disappear between releases');
});
