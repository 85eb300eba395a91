// Content negotiation on Accept: plain JSON, a Table (kubectl get), or partial object metadata
// (client-go's metadata client), in the client's order of preference; 406 when none is served.
import type { IncomingMessage } from 'node:http';
import type { IncludeObject } from './table.js';
import { notAcceptable } from './errors.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

export type OutputKind = 'object' | 'table' | 'metadata';

export interface Output {
  kind: OutputKind;
  yaml: boolean;
}

export function negotiate(req: IncomingMessage): Output {
  const accept = (req.headers.accept ?? '').trim();
  if (accept === '') return { kind: 'object', yaml: false };
  let protobuf = false;
  for (const part of accept.split(',')) {
    const [type, ...paramList] = part.split(';').map((s) => s.trim());
    // Protobuf clients (client-go) always list JSON too; one asking for protobuf alone gets
    // JSON, which every client library decodes, rather than a 406.
    if (type === PROTOBUF && !paramList.some((p) => p.startsWith('as='))) protobuf = true;
    const params = Object.fromEntries(paramList.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    if (type !== 'application/json' && type !== 'application/yaml' && type !== '*/*' && type !== 'application/*') continue;
    if (params.as === 'Table' && params.g === 'meta.k8s.io') return { kind: 'table', yaml: false };
    if ((params.as === 'PartialObjectMetadata' || params.as === 'PartialObjectMetadataList') && params.g === 'meta.k8s.io') {
      return { kind: 'metadata', yaml: false };
    }
    if (params.as) continue;
    return { kind: 'object', yaml: type === 'application/yaml' };
  }
  if (protobuf) return { kind: 'object', yaml: false };
  throw notAcceptable();
}

export function includeObjectParam(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
