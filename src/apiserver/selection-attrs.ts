// What label and field selectors read of an object: its labels and the values of the fields its
// kind can be selected by, as upstream's storage.AttrFunc gives them (the storeElement of its
// watch cache keeps both beside each object). The watch cache keeps these per object version
// and its JSON, not the decoded object, so that a selector never needs the object itself.
import type { KObject } from '../api/object.js';
import { fieldValue, type ResourceType } from '../registry/index.js';

export interface SelectionAttrs {
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Every field selectors of the kind may name, by field path ('' when the object has no value). */
  readonly fields: Readonly<Record<string, string>>;
}

export type AttrsFunc = (obj: KObject) => SelectionAttrs;

/** The field paths a kind can be selected by: metadata.name, metadata.namespace and the kind's own. */
export function selectableFields(r: ResourceType): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(r.fieldLabels)];
}

/** The selection attributes of the kind's objects. */
export function attrsFunc(r: ResourceType): AttrsFunc {
  const paths = selectableFields(r);
  return (obj) => {
    const fields: Record<string, string> = {};
    for (const p of paths) fields[p] = fieldValue(r, obj, p) ?? '';
    return { labels: obj.metadata?.labels ?? undefined, fields };
  };
}

/** Labels and name and namespace only: for a cache whose kind is not known (tests). */
export const metadataAttrs: AttrsFunc = (obj) => ({
  labels: obj.metadata?.labels ?? undefined,
  fields: { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' },
});
