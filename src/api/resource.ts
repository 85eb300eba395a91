import type { FieldError } from './field-errors.js';
import type { KObject } from './object.js';

/** One column of a server-side Table (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** Upstream's table printer for one resource: the columns and one row per object. */
export interface Printer {
  columns: TableColumn[];
  /** Cells in column order; `now` is passed in so ages are computed once per response. */
  cells(obj: KObject, now: Date): unknown[];
}

export type Defaulter = (obj: KObject) => void;

export interface Validator {
  /** Validation of a new object (metadata included). */
  create(obj: KObject): FieldError[];
  /** Validation of an update of the main resource, old being the stored object. */
  update?(obj: KObject, old: KObject): FieldError[];
  /** Validation of an update through the /status subresource. */
  updateStatus?(obj: KObject, old: KObject): FieldError[];
}

/**
 * Key of a resource in every per-resource table of src/api: the plural for the core group
 * ("pods"), `plural.group` otherwise ("deployments.apps", "events.events.k8s.io").
 */
export function resourceKey(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}
