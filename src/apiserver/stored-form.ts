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
 * The object a stored value holds, at the revision the store gave it. Reads and writes that
 * only hand the object on use this; the watch cache also keeps its JSON (decode).
 */
export function decodeObject(value: string, rev: number): KObject {
  const obj = JSON.parse(value) as KObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(rev);
  return obj;
}
