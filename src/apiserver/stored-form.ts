// What the store holds for an object: its JSON without resourceVersion, which the store owns
// (the key's modRevision). RestStorage writes it; so does admission where it writes itself
// (ResourceQuota's usage charge).
import type { KObject } from '../api/object.js';

/** Turns an object into what is stored: everything but resourceVersion, which the store owns. */
export function encode(obj: KObject): string {
  const rv = obj.metadata.resourceVersion;
  delete obj.metadata.resourceVersion;
  const s = JSON.stringify(obj);
  if (rv !== undefined) obj.metadata.resourceVersion = rv;
  return s;
}

/**
 * An object as its writer handed it to the store: the decoded object (without resourceVersion)
 * and where its metadata begins in the stored JSON. It rides along with the store's change event
 * (SQLite notifies in process), so that the watch cache takes the writer's object and makes its
 * JSON by inserting the resourceVersion, instead of parsing the value and serializing it again.
 */
export class WrittenObject {
  constructor(
    readonly obj: KObject,
    /** Offset of the `{` that opens metadata in the stored value; -1 when metadata is not an object. */
    readonly metadataAt: number,
    /** Offset of the `}` that closes metadata in the stored value; -1 when metadata is not an object. */
    readonly metadataEnd = -1,
  ) {}
}

/**
 * encode(), and where metadata's object begins in it. The top level is written key by key with
 * JSON.stringify's own rules (insertion order, undefined values left out), so the text is
 * exactly encode()'s.
 */
export function encodeWritten(obj: KObject): { value: string; written: WrittenObject } {
  const rv = obj.metadata.resourceVersion;
  delete obj.metadata.resourceVersion;
  let value = '{';
  let metadataAt = -1;
  let metadataEnd = -1;
  for (const k of Object.keys(obj)) {
    const v = JSON.stringify((obj as unknown as Record<string, unknown>)[k]);
    if (v === undefined) continue;
    if (value.length > 1) value += ',';
    value += JSON.stringify(k) + ':';
    if (k === 'metadata' && v.startsWith('{')) {
      metadataAt = value.length;
      metadataEnd = metadataAt + v.length - 1;
    }
    value += v;
  }
  value += '}';
  if (rv !== undefined) obj.metadata.resourceVersion = rv;
  return { value, written: new WrittenObject(obj, metadataAt, metadataEnd) };
}

/**
 * JSON.stringify of the object a write stored, once its resourceVersion is set to the store's
 * revision: what the write's response sends, made from the stored value instead of serializing
 * the object a second time. encodeWritten puts resourceVersion back last in metadata (a write
 * that had none gets it added there), so it goes just before metadata's closing brace.
 * Undefined when metadata is not an object (then the caller serializes).
 */
export function jsonWithRevisionLast(value: string, written: WrittenObject, rev: number): string | undefined {
  const end = written.metadataEnd;
  if (end < 0 || value.charCodeAt(end) !== 0x7d /* } */) return undefined;
  const empty = end === written.metadataAt + 1;
  return `${value.slice(0, end)}${empty ? '' : ','}"resourceVersion":"${rev}"${value.slice(end)}`;
}

/**
 * The JSON of a stored value at a revision, made by inserting resourceVersion where metadata
 * begins (see WrittenObject); undefined when the value's metadata is not where it was said to be.
 */
export function jsonAtRevision(value: string, metadataAt: number, rev: number): string | undefined {
  if (metadataAt < 0 || value.charCodeAt(metadataAt) !== 0x7b /* { */) return undefined;
  const empty = value.charCodeAt(metadataAt + 1) === 0x7d; /* } */
  return `${value.slice(0, metadataAt + 1)}"resourceVersion":"${rev}"${empty ? '' : ','}${value.slice(metadataAt + 1)}`;
}

/**
 * The object a stored value holds, at the revision the store gave it. Reads and writes that
 * only hand the object on use this; the watch cache also keeps its JSON (decode).
 */
export function decodeObject(value: string, rev: number): KObject {
  const obj = JSON.parse(value) as KObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(rev);
  return obj;
}
