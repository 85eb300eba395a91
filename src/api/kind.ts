// What declares a kind to the registry (src/api/registry.ts): its names, scope, verbs,
// subresources and field selectors as data, and, for a kind that needs code, its printer,
// defaulter, validator and write strategy. A kind with code declares itself in its folder
// (src/registry/<plural>/index.ts); the registry lists it.
import type { KObject } from './object.js';
import type { Defaulter, Printer, Validator } from './resource.js';
import type { Strategy } from '../registry/strategy.js';

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

export interface KindDef {
  group?: string;
  version?: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: SubresourceDef[];
  hasStatus?: boolean;
  hasGeneration?: boolean;
  allowCreateOnUpdate?: boolean;
  returnDeletedObject?: boolean;
  fieldLabels?: Record<string, Get>;
  /** Code of the kind's own; without it the registry's tables (or the defaults) apply. */
  printer?: Printer;
  defaulter?: Defaulter;
  validator?: Validator;
  strategy?: Strategy;
}

