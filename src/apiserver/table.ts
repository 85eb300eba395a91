// Server-side printing (meta.k8s.io/v1 Table): what `kubectl get` shows comes from here.
import type { KObject } from '../api/object.js';
import type { ResourceType } from '../registry/index.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  includeObject: IncludeObject;
}

export function tableRow(r: ResourceType, obj: KObject, now: Date, include: IncludeObject): unknown {
  let object: unknown;
  if (include === 'Object') object = obj;
  else if (include === 'Metadata') object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  let cells: unknown[];
  try {
    cells = r.printer.cells(obj, now);
  } catch {
    // A malformed object must not break a whole listing; upstream prints what it can.
    cells = [obj.metadata.name ?? '', ...r.printer.columns.slice(1).map(() => '<unknown>')];
  }
  return object === undefined ? { cells } : { cells, object };
}

export function toTable(
  r: ResourceType,
  objs: KObject[],
  meta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  withColumns = true,
): Record<string, unknown> {
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: withColumns ? r.printer.columns : [],
    rows: objs.map((o) => tableRow(r, o, now, include)),
  };
}

/** toTable of a list as its JSON head and rows, serialized one at a time when sent (see sendJsonStream). */
export function tableStream(
  r: ResourceType,
  items: ReadonlyArray<{ obj: KObject }>,
  meta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
): { head: string; row: (i: number) => string } {
  const now = new Date();
  return {
    head: `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(meta)},"columnDefinitions":${JSON.stringify(r.printer.columns)},"rows":[`,
    row: (i) => JSON.stringify(tableRow(r, items[i]!.obj, now, include)),
  };
}
