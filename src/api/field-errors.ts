// Field errors shaped like upstream's k8s.io/apimachinery/pkg/util/validation/field, so that
// the messages kubectl prints ("The Pod \"x\" is invalid: spec.containers[0].image: Required
// value") match a real cluster word for word.

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  /** Path as upstream prints it: `spec.containers[0].image`, `metadata.labels`. */
  field: string;
  value?: unknown;
  detail?: string;
  /** Upstream omits the value from the message for some errors (e.g. TooLong on big values). */
  omitValue?: boolean;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value });
export const notFound = (field: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field, value });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });
export const notSupported = (field: string, value: unknown, valid: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  value,
  detail: valid.length ? 'supported values: ' + valid.map((v) => JSON.stringify(v)).join(', ') : '',
});
export const tooLong = (field: string, value: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field,
  value,
  detail: `must have at most ${max} bytes`,
  omitValue: true,
});
export const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: 'FieldValueTooMany',
  field,
  value: actual,
  detail: `must have at most ${max} items`,
  omitValue: true,
});

/**
 * A value upstream prints with Go's %#v (a slice or struct: `[]string{"10.43.0.5"}`): printed
 * as given, so that such messages read as on a real cluster.
 */
export class GoValue {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}
export const goValue = (text: string) => new GoValue(text);

/** Upstream's value rendering: strings quoted, numbers and booleans bare, objects as JSON. */
function renderValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** The part of the message after the field path (also the `message` of a Status cause). */
export function errorBody(e: FieldError): string {
  let s: string;
  switch (e.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
    case 'InternalError':
      s = typeText[e.type];
      break;
    default:
      s = e.omitValue ? typeText[e.type] : `${typeText[e.type]}: ${renderValue(e.value)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

/** Upstream's aggregate: one error alone, several in brackets separated by ", ". */
export function aggregateMessage(errs: FieldError[]): string {
  const msgs = [...new Set(errs.map(fieldErrorMessage))];
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}
