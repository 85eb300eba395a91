// The pieces a kind's declaration (src/registry/kind.ts, KindDef) is made of that are plain
// data: verbs, the common subresources, and field selector getters.
import type { KObject } from './object.js';

export interface SubresourceDef {
  name: string;
  verbs: string[];
  /** Set when the subresource speaks another kind (deployments/scale is autoscaling/v1 Scale). */
  group?: string;
  version?: string;
  kind?: string;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const STATUS: SubresourceDef = { name: 'status', verbs: ['get', 'patch', 'update'] };
/** certificatesigningrequests/approval: where Approved and Denied conditions are written. */
export const APPROVAL: SubresourceDef = { name: 'approval', verbs: ['get', 'patch', 'update'] };
export const SCALE: SubresourceDef = { name: 'scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1', kind: 'Scale' };

export type Get = (o: KObject) => string | undefined;
export const path =
  (...p: string[]): Get =>
  (o) => {
    let v: unknown = o;
    for (const k of p) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return v === undefined || v === null ? undefined : String(v);
  };
