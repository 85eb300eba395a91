// What label and field selectors read of an object: its labels and the values of the fields its
// kind can be selected by, as upstream's storage.AttrFunc gives them (the storeElement of its
// watch cache keeps both beside each object). The watch cache keeps these per object version
// and its JSON, not the decoded object, so that a selector never needs the object itself.
import type { KObject } from '../api/object.js';
import { fieldValue, type ResourceType } from '../registry/index.js';
import { StringInterner } from '../client/intern.js';

export interface SelectionAttrs {
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Every field selectors of the kind may name, by field path ('' when the object has no value). */
  readonly fields: Readonly<Record<string, string>>;
}

/** The attributes of an object; the labels a copy, never the object's own record. */
export type AttrsFunc = (obj: KObject) => SelectionAttrs;

/** The field paths a kind can be selected by: metadata.name, metadata.namespace and the kind's own. */
export function selectableFields(r: ResourceType): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(r.fieldLabels)];
}

/** Fields whose value is the object's own: sharing them would only fill the interner. */
const UNIQUE_FIELDS = new Set(['metadata.name', 'status.podIP']);

/**
 * The selection attributes of the kind's objects. Their strings are shared between objects
 * (an interner per kind): each decoded object had its own copy of its namespace, node name,
 * phase, scheduler name and every label value, ~300 bytes a pod kept by the watch cache for as
 * long as the pod is current (45 MB at 150 000 pods). The labels are a copy, never the
 * object's own record, whose writer may still hold it.
 */
export function attrsFunc(r: ResourceType): AttrsFunc {
  const paths = selectableFields(r);
  const shared = new StringInterner();
  return (obj) => {
    const fields: Record<string, string> = {};
    for (const p of paths) {
      const v = fieldValue(r, obj, p) ?? '';
      fields[p] = UNIQUE_FIELDS.has(p) ? v : shared.intern(v);
    }
    const own = obj.metadata?.labels;
    let labels: Record<string, string> | undefined;
    if (own) {
      labels = {};
      for (const k in own) labels[k] = shared.intern(own[k]!);
    }
    return { labels, fields };
  };
}

/** Labels (a copy) and name and namespace only: for a cache whose kind is not known (tests). */
export const metadataAttrs: AttrsFunc = (obj) => ({
  labels: obj.metadata?.labels ? { ...obj.metadata.labels } : undefined,
  fields: { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' },
});
