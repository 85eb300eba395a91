// ObjectMeta validation as upstream's ValidateObjectMeta: names per kind, generateName, labels,
// annotations (256 KiB in all), finalizers and ownerReferences.
import type { KObject, Meta } from '../object.js';
import type { Validator } from '../resource.js';
import { forbidden, invalid, required, tooLong, type FieldError } from '../field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isLabelValue, isQualifiedName, isValidPathSegmentName } from '../names.js';
import { Path } from './path.js';

export type NameValidator = (name: string, prefix: boolean) => string[];

/** Validates a name, or with prefix=true a generateName prefix (which may end in '-'). */
const prefixed =
  (check: (s: string) => string[]): NameValidator =>
  (name, prefix) =>
    check(prefix ? maskTrailingDash(name) : name);
function maskTrailingDash(n: string): string {
  return n.length > 1 && n.endsWith('-') ? n.slice(0, -2) + 'a' : n;
}

export const nameIsDNSSubdomain = prefixed(isDNS1123Subdomain);
export const nameIsDNSLabel = prefixed(isDNS1123Label);
export const nameIsPathSegment: NameValidator = (name) => isValidPathSegmentName(name);

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(invalid(p.s, k, m));
    for (const m of isLabelValue(String(v))) errs.push(invalid(p.s, v, m));
  }
  return errs;
}

export function validateAnnotations(ann: Record<string, string> | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(ann ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(p.s, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push({ ...tooLong(p.s, '', TOTAL_ANNOTATION_SIZE) });
  return errs;
}

export function validateObjectMeta(meta: Meta, namespaced: boolean, nameFn: NameValidator, p = new Path('metadata')): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName) for (const m of nameFn(meta.generateName, true)) errs.push(invalid(p.child('generateName').s, meta.generateName, m));
  if (!meta.name) errs.push(required(p.child('name').s, 'name or generateName is required'));
  else for (const m of nameFn(meta.name, false)) errs.push(invalid(p.child('name').s, meta.name, m));
  if (namespaced) {
    if (!meta.namespace) errs.push(required(p.child('namespace').s));
    else for (const m of isDNS1123Label(meta.namespace)) errs.push(invalid(p.child('namespace').s, meta.namespace, m));
  } else if (meta.namespace) {
    errs.push(forbidden(p.child('namespace').s, 'not allowed on this type'));
  }
  errs.push(...validateLabels(meta.labels, p.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, p.child('annotations')));
  (meta.finalizers ?? []).forEach((f, i) => {
    for (const m of isQualifiedName(f)) errs.push(invalid(p.child('finalizers').index(i).s, f, m));
  });
  const controllers = (meta.ownerReferences ?? []).filter((o) => o.controller);
  (meta.ownerReferences ?? []).forEach((o, i) => {
    const op = p.child('ownerReferences').index(i);
    if (!o.apiVersion) errs.push(invalid(op.child('apiVersion').s, o.apiVersion ?? '', 'version must not be empty'));
    if (!o.kind) errs.push(invalid(op.child('kind').s, o.kind ?? '', 'kind must not be empty'));
    if (!o.name) errs.push(invalid(op.child('name').s, o.name ?? '', 'name must not be empty'));
    if (!o.uid) errs.push(invalid(op.child('uid').s, o.uid ?? '', 'uid must not be empty'));
  });
  if (controllers.length > 1) {
    errs.push(
      invalid(
        p.child('ownerReferences').s,
        meta.ownerReferences,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.map((c) => `${c.kind}/${c.name}`).join(' and ')}`,
      ),
    );
  }
  return errs;
}

/** Upstream's ValidateObjectMetaUpdate rule: an object being deleted takes no new finalizers. */
export function validateNoNewFinalizers(meta: Meta, old: Meta, p = new Path('metadata')): FieldError[] {
  if (!old.deletionTimestamp) return [];
  const had = new Set(old.finalizers ?? []);
  const added = [...new Set((meta.finalizers ?? []).filter((f) => !had.has(f)))].sort();
  if (!added.length) return [];
  return [
    forbidden(
      p.child('finalizers').s,
      `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
    ),
  ];
}

/** The validator of a kind whose only rules are its metadata's, plus `extra` checks of its own. */
export function metadataValidator(namespaced: boolean, nameFn: NameValidator, extra?: (o: Record<string, any>) => FieldError[]): Validator {
  return { create: (o) => [...validateObjectMeta(o.metadata, namespaced, nameFn), ...(extra?.(o) ?? [])] };
}
