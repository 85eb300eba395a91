// Test-only: a protobuf encoder that writes Kubernetes objects as Go's generated marshallers
// do, from the same field tables the decoder reads. Berth itself never encodes protobuf (it
// answers JSON to every client), so this lives only for the decoder's tests.
import messages from './messages.json' with { type: 'json' };
import { PROTOBUF_MAGIC, type FieldDef } from './decode.js';

const tables = messages as unknown as Record<string, Record<string, FieldDef>>;

export const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
export const bytes = (field: number, b: Buffer | number[]): number[] => [...varint((field << 3) | 2), ...varint(b.length), ...b];
export const str = (field: number, s: string) => bytes(field, Buffer.from(s));
export const int = (field: number, n: number | bigint) => [...varint(field << 3), ...varint(n)];
export const entry = (field: number, k: string, v: string) => bytes(field, [...str(1, k), ...str(2, v)]);

/** The "k8s\0" magic and the runtime.Unknown envelope around an encoded object. */
export function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  return Buffer.concat([PROTOBUF_MAGIC, Buffer.from([...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw)])]);
}

/** The protobuf field that carries a JSON property of a message: direct, or inside an inlined field. */
export function fieldFor(type: string, json: string): FieldDef | undefined {
  for (const fd of Object.values(tables[type] ?? {})) {
    if (fd[2] === 'inline') {
      const inner = fieldFor(fd[1], json);
      if (inner) return inner;
    } else if (fd[0] === json) return fd;
  }
  return undefined;
}

/**
 * Encodes a JSON object as the protobuf message `type`. Throws for a JSON property that has no
 * protobuf field: the decoder could never give it back.
 */
export function encodeMessage(type: string, obj: Record<string, unknown>): number[] {
  const table = tables[type];
  if (!table) throw new Error(`no protobuf table for ${type}`);
  for (const key of Object.keys(obj)) if (!fieldFor(type, key)) throw new Error(`${type} has no protobuf field for JSON property ${key}`);
  const out: number[] = [];
  for (const [num, fd] of Object.entries(table)) {
    const n = Number(num);
    const [name, fieldType] = fd;
    if (fd[2] === 'inline') {
      // Go writes a non-pointer embedded struct always, empty or not.
      const own = Object.fromEntries(Object.entries(obj).filter(([k]) => fieldFor(fieldType, k)));
      out.push(...bytes(n, encodeMessage(fieldType, own)));
      continue;
    }
    const v = obj[name];
    if (v === undefined) continue;
    if (fieldType === 'map') {
      const [, , keyType, valueType] = fd as [string, 'map', string, string];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        out.push(...bytes(n, [...encodeValue(1, keyType, k), ...encodeValue(2, valueType, x)]));
      }
    } else if (fd[2] === 'rep') {
      for (const x of v as unknown[]) out.push(...encodeValue(n, fieldType, x));
    } else out.push(...encodeValue(n, fieldType, v));
  }
  return out;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';

function timestamp(n: number, iso: string): number[] {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${iso}`);
  const micros = /\.(\d{6})Z$/.exec(iso)?.[1];
  return bytes(n, [...int(1, Math.floor(ms / 1000)), ...int(2, micros ? Number(micros) * 1000 : 0)]);
}

function encodeValue(n: number, type: string, v: unknown): number[] {
  switch (type) {
    case 'string':
      return str(n, v as string);
    case 'bytes':
      return bytes(n, Buffer.from(v as string, 'base64'));
    case 'bool':
      return int(n, v ? 1 : 0);
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return int(n, v as number);
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v as number);
      return [...varint((n << 3) | 1), ...b];
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v as number);
      return [...varint((n << 3) | 5), ...b];
    }
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return bytes(n, str(1, v as string));
    case `${META}Time`:
    case `${META}MicroTime`:
      return timestamp(n, v as string);
    case `${META}FieldsV1`:
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
      return bytes(n, str(1, JSON.stringify(v)));
    case `${META}Verbs`:
      return bytes(
        n,
        (v as string[]).flatMap((verb) => str(1, verb)),
      );
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return bytes(n, typeof v === 'number' ? [...int(1, 0), ...int(2, v)] : [...int(1, 1), ...str(3, v as string)]);
    default:
      if (!type.includes('.')) throw new Error(`the test encoder has no case for ${type}`);
      return bytes(n, encodeMessage(type, v as Record<string, unknown>));
  }
}
