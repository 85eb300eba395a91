// What a kind's folder declares (KindDef) and what the API server serves from it (ResourceType):
// names, scope, verbs, subresources and field selectors as data, and the kind's printer,
// defaulter, validator and write strategy. The list of kinds is src/registry/index.ts.
import type { KObject } from '../api/object.js';
import { resourceKey, type Defaulter, type Printer, type Validator } from '../api/resource.js';
import { ALL_VERBS, type Get, type SubresourceDef } from '../api/kind.js';
import { defaultPrinter } from '../api/printers/default.js';
import type { Strategy } from './strategy.js';

export type { SubresourceDef };

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
  /** Without one, the kind gets upstream's default table (name and creation time). */
  printer?: Printer;
  defaulter?: Defaulter;
  validator?: Validator;
  /** Without one, writes behave as the generic store's. */
  strategy?: Strategy;
}

export interface ResourceType {
  key: string;
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceDef[];
  /** The main resource ignores status, the status subresource ignores everything else. */
  hasStatus: boolean;
  /** metadata.generation starts at 1 and increments on spec changes. */
  hasGeneration: boolean;
  /** PUT creates a missing object (upstream AllowCreateOnUpdate). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object rather than a Success Status. */
  returnDeletedObject: boolean;
  /** Field selectors this kind supports beyond metadata.name and metadata.namespace. */
  fieldLabels: Record<string, Get>;
  printer: Printer;
  defaulter?: Defaulter;
  validator?: Validator;
  /** How writes of this kind differ from the generic store's (src/registry/strategy.ts). */
  strategy: Strategy;
  /** Built-in: hidden from nothing, but kept in the table to let the server know. */
  apiVersion: string;
}

/** A kind's declaration with every default filled in, as the API server serves it. */
export function resourceTypeOf(d: KindDef): ResourceType {
  const group = d.group ?? '';
  const version = d.version ?? 'v1';
  return {
    key: resourceKey(d.plural, group),
    group,
    version,
    apiVersion: group ? `${group}/${version}` : version,
    kind: d.kind,
    listKind: `${d.kind}List`,
    plural: d.plural,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? [],
    hasStatus: d.hasStatus ?? false,
    hasGeneration: d.hasGeneration ?? false,
    allowCreateOnUpdate: d.allowCreateOnUpdate ?? false,
    returnDeletedObject: d.returnDeletedObject ?? false,
    fieldLabels: d.fieldLabels ?? {},
    printer: d.printer ?? defaultPrinter,
    defaulter: d.defaulter,
    validator: d.validator,
    strategy: d.strategy ?? {},
  };
}

/** The value of a field selector's field on an object, as upstream's per-kind field sets. */
export function fieldValue(r: ResourceType, obj: KObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata?.name ?? '';
  if (field === 'metadata.namespace') return r.namespaced ? (obj.metadata?.namespace ?? '') : '';
  const get = r.fieldLabels[field];
  return get ? (get(obj) ?? '') : undefined;
}
