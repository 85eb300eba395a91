// Reading and decoding request bodies: size-limited (3 MiB, as upstream), JSON or YAML, with a
// clear 4xx for anything malformed.
import type { IncomingMessage } from 'node:http';
import { isPlainObject } from '../api/object.js';
import { exceedsDepth } from '../api/json-value.js';
import { decodeKubernetesProtobuf, ProtobufError } from '../api/protobuf/decode.js';
import { badRequest, tooLarge, unsupportedMediaType } from './errors.js';
import { decodeYaml } from './yaml-body.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Upstream's JSON and YAML decoders refuse documents nested deeper than this. */
export const MAX_NESTING_DEPTH = 10_000;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => !failed && resolve(Buffer.concat(chunks)));
    req.on('error', (e) => !failed && reject(e));
  });
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a JSON or YAML document into a value; the raw text is kept for duplicate-field checks. */
export function decodeBody(raw: Buffer, type: string): unknown {
  if (type === PROTOBUF) {
    let value: unknown;
    try {
      value = decodeKubernetesProtobuf(raw);
    } catch (e) {
      if (e instanceof ProtobufError) throw badRequest(`error decoding protobuf: ${e.message}`);
      throw e;
    }
    // Embedded JSON (managedFields' fieldsV1) may nest as deep as it likes.
    if (exceedsDepth(value, MAX_NESTING_DEPTH)) throw badRequest(`error decoding protobuf: exceeded max depth of ${MAX_NESTING_DEPTH}`);
    return value;
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  if (type === 'application/json' || type.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw badRequest(`error decoding JSON: ${(e as Error).message}`);
    }
    // Each level of nesting takes two characters of the text at least (its brackets): a shorter
    // text, as every ordinary body is, cannot be too deep, and is not walked to find out.
    if (text.length >= 2 * (MAX_NESTING_DEPTH + 1) && exceedsDepth(value, MAX_NESTING_DEPTH)) {
      throw badRequest(`error decoding JSON: json: exceeded max depth of ${MAX_NESTING_DEPTH}`);
    }
    return value;
  }
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') return decodeYaml(text, MAX_NESTING_DEPTH);
  throw unsupportedMediaType(type);
}

/** A body that must be one object of the expected kind (or of no stated kind). */
export function decodeObject(value: unknown, expected: { apiVersion: string; kind: string }): Record<string, unknown> {
  if (!isPlainObject(value)) throw badRequest('the body of the request must be a JSON object');
  const apiVersion = value.apiVersion;
  const kind = value.kind;
  if (apiVersion !== undefined && typeof apiVersion !== 'string') throw badRequest('apiVersion must be a string');
  if (kind !== undefined && typeof kind !== 'string') throw badRequest('kind must be a string');
  const version = expected.apiVersion.split('/').pop();
  if (kind && kind !== expected.kind) {
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${expected.kind}: no kind "${kind}" is registered for version "${apiVersion ?? expected.apiVersion}" in scheme`,
    );
  }
  if (apiVersion && apiVersion !== expected.apiVersion) {
    throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expected.apiVersion})`);
  }
  if (value.metadata !== undefined && !isPlainObject(value.metadata)) {
    throw badRequest(
      `${expected.kind} in version "${expected.apiVersion.split('/').pop()}" cannot be handled as a ${expected.kind}: json: cannot unmarshal ${typeof value.metadata} into Go struct field ${expected.kind}.metadata of type v1.ObjectMeta`,
    );
  }
  value.metadata ??= {};
  return value;
}
