// What ConfigMaps and Secrets validate alike (upstream's IsConfigMapKey and the total size
// limit), and the rule of their `immutable` field.
import { deepEqual } from '../object.js';
import { forbidden, invalid, tooLong, type FieldError } from '../field-errors.js';
import { Path } from './path.js';

type Any = Record<string, any>;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIG_SIZE = 1024 * 1024;

/** Keys of the maps in `fields` are config keys, unique across them, their values 1 MiB in all. */
export function validateConfigData(o: Any, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const f of fields) {
    for (const [k, v] of Object.entries((o[f] ?? {}) as Record<string, string>)) {
      const p = new Path(f).key(k).s;
      if (!CONFIG_KEY.test(k))
        errs.push(
          invalid(
            p,
            k,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
          ),
        );
      else if (k.length > 253) errs.push(invalid(p, k, 'must be no more than 253 characters'));
      if (seen.has(k)) errs.push(invalid(p, k, 'duplicate of key present in ' + fields.filter((x) => x !== f).join()));
      seen.add(k);
      size += typeof v === 'string' ? v.length : 0;
    }
  }
  if (size > MAX_CONFIG_SIZE) errs.push(tooLong(fields[0]!, '', MAX_CONFIG_SIZE));
  return errs;
}

/** Once `immutable` is set, neither it nor the data in `fields` may change. */
export function validateImmutableData(o: Any, old: Any, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (old.immutable === true) {
    if (o.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const f of fields) if (!deepEqual(o[f], old[f])) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}
